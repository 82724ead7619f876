package vfs

import "fmt"

// MountFlags are mount(2) flags (include/uapi/linux/mount.h).
type MountFlags uint32

// mount(2) flags.
const (
	MS_RDONLY  MountFlags = 1
	MS_NOSUID  MountFlags = 2
	MS_NODEV   MountFlags = 4
	MS_NOEXEC  MountFlags = 8
	MS_REMOUNT MountFlags = 32
	MS_BIND    MountFlags = 4096
	MS_REC     MountFlags = 16384
)

// umount2(2) flags.
const (
	MNT_FORCE       = 1
	MNT_DETACH      = 2
	UMOUNT_NOFOLLOW = 8
)

// Mount is analogous to Linux's struct mount / struct vfsmount: one place
// where a superblock's tree (or a subtree, for a bind mount) is attached.
// Two mounts of one superblock — a bind mount, a second mount of the same
// device (or, on Linux, the copies unshare(CLONE_NEWNS) makes; the
// simulator has no unshare) — are distinct Mounts, and link and rename
// between them fail with EXDEV: do_linkat compares vfsmounts, not
// superblocks.
//
// Its reference count models mnt_count. References are held by the mount
// namespace it is attached in (one), by each child mount, by each open file
// and each task root or cwd on it, and transiently by path walks. A detached
// mount (umount -l) lives until the last of those goes.
//
// Differences from Linux: no propagation (shared/slave mounts), no
// per-mount flags except read-only, no idmapped mounts.
type Mount struct {
	kobj

	id         int
	sb         *Superblock
	root       *Dentry // mnt_root
	parent     *Mount  // mnt_parent; the mount itself for a namespace root
	mountpoint *Dentry // mnt_mountpoint; nil while detached
	ns         *MountNamespace
	children   []*Mount
	readonly   bool // MNT_READONLY
	writers    int  // mnt_writers
	attached   bool
	stack      *mountStack // the stack it is in while it has a mountpoint (mountstack.go)
}

func (m *Mount) kind() string { return "mount" }

func (m *Mount) describe() string {
	return fmt.Sprintf("%d %s root %s", m.id, m.sb.describe(), m.root.fsPath())
}

func (m *Mount) String() string { return fmt.Sprintf("mount %d (%s)", m.id, m.sb.describe()) }

// ID returns the mount id (mnt_id).
func (m *Mount) ID() int { return m.id }

// Superblock returns the mounted superblock.
func (m *Mount) Superblock() *Superblock { return m.sb }

// Root returns the dentry the mount shows at its mountpoint (mnt_root).
func (m *Mount) Root() *Dentry { return m.root }

// Parent returns the mount this one is attached to (itself for a namespace
// root, nil once detached).
func (m *Mount) Parent() *Mount { return m.parent }

// Mountpoint returns the dentry of the parent mount this one covers.
func (m *Mount) Mountpoint() *Dentry { return m.mountpoint }

// ReadOnly reports whether the mount or its superblock is read-only
// (__mnt_is_readonly).
func (m *Mount) ReadOnly() bool { return m.readonly || m.sb.readonly }

// Refs returns mnt_count.
func (m *Mount) Refs() int64 { return m.refs }

// Mntget takes a reference on m (models fs/namespace.c:mntget).
func Mntget(m *Mount) *Mount {
	if m.refs <= 0 {
		Bug("mntget on freed mount %s", m.describe())
	}
	m.refs++
	return m
}

// Mntput drops a reference (models fs/namespace.c:mntput). The last one of
// a detached mount frees it, dropping its root dentry and its superblock's
// active reference.
func Mntput(m *Mount) {
	if m.refs <= 0 {
		Bug("mntput: mount %s has no references", m.describe())
	}
	m.refs--
	if m.refs > 0 {
		return
	}
	if m.attached {
		Bug("last reference of attached mount %s dropped", m.describe())
	}
	if m.sb.k.Tracing() {
		m.sb.k.Tracef("fs/namespace.c:cleanup_mnt", "mount %d of %s", m.id, m.sb.describe())
	}
	root := m.root
	m.root = nil
	m.sb.k.unregister(&m.kobj)
	m.sb.mounts = removeMount(m.sb.mounts, m)
	Dput(root)
	deactivateSuper(m.sb)
}

// newMount models fs/namespace.c:vfs_create_mount and clone_mnt: a detached
// mount showing root of sb. It takes over an active reference on sb from the
// caller and a new reference on root. The caller owns the mount's one
// reference.
func (k *Kernel) newMount(sb *Superblock, root *Dentry) *Mount {
	k.nextMntID++
	m := &Mount{id: k.nextMntID, sb: sb, root: Dget(root)}
	m.refs = 1
	k.register(m, &m.kobj)
	sb.mounts = append(sb.mounts, m)
	return m
}

// mntWantWrite models fs/namespace.c:mnt_want_write: a writer on m, refused
// with EROFS on a read-only mount or superblock.
func mntWantWrite(m *Mount) error {
	if m.ReadOnly() {
		return EROFS
	}
	m.writers++
	return nil
}

// mntDropWrite models fs/namespace.c:mnt_drop_write.
func mntDropWrite(m *Mount) {
	if m.writers <= 0 {
		Bug("mnt_drop_write without a writer on %s", m.describe())
	}
	m.writers--
}

// Path is analogous to Linux's struct path: a dentry as seen through a
// mount. Paths returned by the VFS to callers hold a reference on both;
// PathPut drops them.
type Path struct {
	Mnt    *Mount
	Dentry *Dentry
}

// PathGet models fs/namei.c:path_get.
func PathGet(p Path) Path {
	Mntget(p.Mnt)
	Dget(p.Dentry)
	return p
}

// PathPut models fs/namei.c:path_put: the dentry first, then the mount.
func PathPut(p Path) {
	Dput(p.Dentry)
	Mntput(p.Mnt)
}

// Inode returns the path's inode (nil for a negative dentry).
func (p Path) Inode() *Inode { return p.Dentry.inode }

func (p Path) String() string {
	if p.Mnt == nil {
		return "<nil path>"
	}
	return fmt.Sprintf("%s:%s", p.Mnt, p.Dentry.fsPath())
}
