package vfs

import (
	"fmt"
	"sort"
)

// Superblock is analogous to Linux's struct super_block: one mounted
// instance of a filesystem, shared by every Mount of it.
//
// Its reference count models s_active: each Mount holds one. When the last
// Mount goes, the superblock is killed (generic_shutdown_super): unused
// dentries are freed, cached inodes evicted, and the filesystem's PutSuper
// runs. A dentry or inode still referenced at that point has leaked and is
// reported, as Linux reports "Busy inodes after unmount".
//
// Differences from Linux:
//   - there is no s_umount semaphore and no freezing;
//   - a filesystem's private state hangs off Private (s_fs_info).
type Superblock struct {
	kobj

	k      *Kernel
	fsType FilesystemType
	source string
	dev    uint32
	bdev   BlockDevice
	root   *Dentry
	// options is the option string the superblock was first mounted with.
	options string

	// Ops holds the super operations, each an optional interface the VFS
	// (or a tool) asks for with a type assertion: InodeEvicter, SuperKiller,
	// OptionShower, Remounter and Syncer (struct super_operations);
	// DentryDeleter (the dentry operation d_delete, one table for the whole
	// superblock as s_d_op gives it); DirentWalker and SuperChecker (for
	// CheckInvariants); and the capabilities OrphanLister, OrphanFileLister
	// and FaultInjector (capabilities.go).
	Ops any
	// Private is the filesystem's own state (s_fs_info).
	Private any
	// MaxLinks is s_max_links: when non-zero, vfs_link refuses with EMLINK
	// to raise nlink past it. Filesystems that check their own limit inside
	// Link (ext4, btrfs) leave it 0.
	MaxLinks uint32
	// DropUnused makes the last Iput of any inode evict it and the last
	// Dput of any dentry free it, whatever nlink says (->drop_inode =
	// generic_delete_inode plus an always-true ->d_delete). procfs uses it:
	// its objects describe live kernel state and are rebuilt on lookup.
	DropUnused bool
	// MaxBytes is s_maxbytes, the largest file size (MAX_LFS_FILESIZE
	// unless the filesystem sets less).
	MaxBytes int64
	// KeepInodes tells DropCaches not to evict unused inodes: the
	// filesystem keeps its data in them (tmpfs).
	KeepInodes bool

	// relinkDir is s_relink_dir (seed patch 07), set by the relink= mount
	// option in the relink eras (relinkopt.go; RelinkDir).
	relinkDir *relinkString

	readonly    bool
	failed      bool // forced read-only after an error
	dying       bool
	mounts      []*Mount          // every live Mount of the superblock
	inodes      map[uint64]*Inode // in-core inodes by object id (s_inodes)
	removeCount int64             // s_remove_count: nlink-0 inodes still in core
	renameMutex Lock
}

func (sb *Superblock) kind() string { return "superblock" }

func (sb *Superblock) describe() string { return sb.fsType.Name() + ":" + sb.source }

func (sb *Superblock) String() string { return sb.describe() }

// Kernel returns the kernel the superblock belongs to.
func (sb *Superblock) Kernel() *Kernel { return sb.k }

// Type returns the filesystem type.
func (sb *Superblock) Type() FilesystemType { return sb.fsType }

// Source returns the device name the superblock was mounted from.
func (sb *Superblock) Source() string { return sb.source }

// Device returns the block device, or nil for a filesystem without one.
func (sb *Superblock) Device() BlockDevice { return sb.bdev }

// Dev returns st_dev for files on this superblock (s_dev).
func (sb *Superblock) Dev() uint32 { return sb.dev }

// Root returns the root dentry (s_root).
func (sb *Superblock) Root() *Dentry { return sb.root }

// SetRoot installs the root dentry; FillSuper must call it once.
func (sb *Superblock) SetRoot(d *Dentry) {
	if sb.root != nil {
		Bug("%s: s_root set twice", sb.describe())
	}
	sb.root = d
}

// Options returns the filesystem option string of the first mount.
func (sb *Superblock) Options() string { return sb.options }

// ReadOnly reports whether the superblock is mounted read-only (SB_RDONLY).
func (sb *Superblock) ReadOnly() bool { return sb.readonly }

// ForceReadOnly is what a filesystem does when it hits an error it cannot
// recover from in flight: it sets SB_RDONLY on itself (btrfs_handle_fs_error's
// "forced readonly", ext4's errors=remount-ro), so every mnt_want_write of
// its mounts fails with EROFS from then on. The superblock counts as having
// failed: its in-memory state is whatever the failed operation left, which
// Linux never writes back, so the name-counting invariants (V1–V3) are no
// longer checked on it; the reference counts still are.
func (sb *Superblock) ForceReadOnly() {
	sb.readonly = true
	sb.failed = true
}

// Failed reports whether the filesystem forced itself read-only after an
// error (ForceReadOnly).
func (sb *Superblock) Failed() bool { return sb.failed }

// RemoveCount returns s_remove_count: in-core inodes whose nlink is 0.
func (sb *Superblock) RemoveCount() int64 { return sb.removeCount }

// NewInode models fs/inode.c:new_inode: an in-core inode on this superblock
// with inode number ino, i_count 1 (owned by the caller), nlink 1, and all
// timestamps set to now. The filesystem fills in the rest (InitOwner, Ops)
// and hands the reference to a dentry with Instantiate.
func (sb *Superblock) NewInode(ino uint64, mode FileMode) *Inode {
	now := sb.k.clock
	i := &Inode{Sb: sb, Ino: ino, Mode: mode, nlink: 1, Atime: now, Mtime: now, Ctime: now}
	i.refs = 1
	i.rwsem.Name = "i_rwsem"
	sb.k.register(i, &i.kobj)
	sb.inodes[i.id] = i
	return i
}

// Inodes returns the superblock's in-core inodes in creation order.
func (sb *Superblock) Inodes() []*Inode {
	out := make([]*Inode, 0, len(sb.inodes))
	for _, i := range sb.inodes {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	return out
}

// sget finds or creates the superblock for a mount (models fs/super.c:sget
// with get_tree_bdev's test_bdev_super, and get_tree_nodev). A filesystem
// type that needs a device shares one superblock per device: mounting an
// already-mounted device again returns the existing superblock and ignores
// the new options (docs/linux-semantics.md §6.2), but refuses a read-only/
// read-write mismatch with EBUSY. Other types get a new superblock per mount.
// Under Upstream the reused superblock's type still checks the options
// (OptionChecker): an option it does not know is EINVAL on Linux 6.18 even
// then.
//
// The caller owns one active reference on the result.
func (k *Kernel) sget(fsType FilesystemType, source string, flags MountFlags, data string) (*Superblock, error) {
	var bdev BlockDevice
	if fsType.RequiresDevice() {
		d, ok := k.devices[source]
		if !ok {
			return nil, ENOENT // lookup_bdev: no such device node
		}
		bdev = d
		for _, sb := range k.supers {
			if sb.bdev == bdev && !sb.dying {
				if oc, ok := fsType.(OptionChecker); ok && k.opts.Era == Upstream {
					// The fs_context API parses every option before
					// get_tree looks for the superblock, so a bad one
					// fails even when the superblock is then reused;
					// 2.6.38's mount_bdev never parsed them.
					if err := oc.CheckOptions(k, data); err != nil {
						return nil, err
					}
				}
				if sb.fsType != fsType {
					return nil, EBUSY // the device is claimed by another filesystem
				}
				if sb.readonly != (flags&MS_RDONLY != 0) {
					mixed, ok := fsType.(MixedReadOnlyMounter)
					if !ok || !mixed.MixedReadOnly() {
						return nil, EBUSY // "would change RO state"
					}
					if sb.readonly {
						// btrfs_reconfigure_for_mount: read-write again.
						if r, ok := sb.Ops.(Remounter); ok {
							if err := r.Remount(sb, 0, ""); err != nil {
								return nil, err
							}
						}
						sb.readonly = false
					}
				}
				sb.refs++
				return sb, nil
			}
		}
		if bdev.ReadOnly() && flags&MS_RDONLY == 0 {
			return nil, EACCES // opening the device for write fails
		}
	}
	sb := &Superblock{
		k: k, fsType: fsType, source: source, bdev: bdev, options: data,
		readonly: flags&MS_RDONLY != 0,
		inodes:   map[uint64]*Inode{},
	}
	sb.renameMutex.Name = "s_vfs_rename_mutex"
	sb.MaxBytes = MaxFileSize
	sb.refs = 1
	sb.dev = k.allocDev(bdev)
	k.register(sb, &sb.kobj)
	k.supers = append(k.supers, sb)
	if err := fsType.FillSuper(sb, data); err != nil {
		k.killSuper(sb)
		return nil, err
	}
	if sb.root == nil {
		Bug("%s: FillSuper succeeded without setting s_root", sb.describe())
	}
	return sb, nil
}

// allocDev assigns st_dev: the device's number for a block device (major 7,
// like loop devices, in the order devices were added), a fresh anonymous
// number (major 0) otherwise (models fs/super.c:get_anon_bdev).
func (k *Kernel) allocDev(bdev BlockDevice) uint32 {
	if bdev != nil {
		return k.devNums[bdev]
	}
	k.nextAnonDev++
	return k.nextAnonDev
}

// GetAnonDev models fs/super.c:get_anon_bdev: a new anonymous device
// number (major 0) for st_dev, as btrfs gives each subvolume.
//
// Divergence: Linux reuses the numbers of freed anonymous devices; the
// simulator never frees one.
func (k *Kernel) GetAnonDev() uint32 { return k.allocDev(nil) }

// deactivateSuper drops an active reference (models fs/super.c:
// deactivate_super); the last one kills the superblock.
func deactivateSuper(sb *Superblock) {
	if sb.refs <= 0 {
		Bug("deactivate_super: %s has no active references", sb.describe())
	}
	sb.refs--
	if sb.refs == 0 {
		sb.k.killSuper(sb)
	}
}

// killSuper models fs/super.c:generic_shutdown_super. Dentries and inodes
// still referenced afterwards are leaks; they stay registered so Shutdown
// reports them.
func (k *Kernel) killSuper(sb *Superblock) {
	sb.dying = true
	if k.Tracing() {
		k.Tracef("fs/super.c:generic_shutdown_super", "%s", sb.describe())
	}
	if root := sb.root; root != nil {
		shrinkDcache(root)
		sb.root = nil
		Dput(root)
	}
	for _, i := range sb.Inodes() {
		if i.refs == 0 {
			evict(i)
		}
	}
	if n := len(sb.inodes); n > 0 {
		k.Printk("VFS: Busy inodes after unmount of %s (%d). Self-destruct in 5 seconds.  Have a nice day...", sb.describe(), n)
	}
	if sk, ok := sb.Ops.(SuperKiller); ok {
		sk.KillSuper(sb)
	}
	for i, s := range k.supers {
		if s == sb {
			k.supers = append(k.supers[:i], k.supers[i+1:]...)
			break
		}
	}
	k.freeRelinkDir(sb) // destroy_super
	k.unregister(&sb.kobj)
}

// Supers returns the live superblocks in creation order.
func (k *Kernel) Supers() []*Superblock { return append([]*Superblock(nil), k.supers...) }

// ShowOptions returns the filesystem option text of /proc/mounts for sb
// (",size=..." style, from the filesystem's OptionShower), or "".
func (sb *Superblock) ShowOptions() string {
	if s, ok := sb.Ops.(OptionShower); ok {
		return s.ShowOptions(sb)
	}
	return ""
}

// GoString helps debugging output.
func (sb *Superblock) GoString() string { return fmt.Sprintf("Superblock(%s)", sb.describe()) }

// DropCaches models writing 3 to /proc/sys/vm/drop_caches: every unused
// dentry is freed, and every unused inode of a filesystem whose inodes live
// on a device is evicted (to be read back from it when next needed). A
// filesystem whose in-core inodes are its storage (tmpfs) sets KeepInodes.
func (k *Kernel) DropCaches() {
	for _, sb := range k.supers {
		if sb.root != nil {
			shrinkDcache(sb.root)
		}
		if sb.KeepInodes {
			continue
		}
		for _, i := range sb.Inodes() {
			if i.refs == 0 {
				evict(i)
			}
		}
	}
}
