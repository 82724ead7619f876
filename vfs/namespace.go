package vfs

import (
	"fmt"
	"strings"
)

// MountNamespace is analogous to Linux's struct mnt_namespace: a tree of
// mounts. Each task works in one (Linux: task->nsproxy->mnt_ns); the
// namespace's reference count is the number of tasks using it, and when it
// drops to zero the whole tree is unmounted (put_mnt_ns / umount_tree).
type MountNamespace struct {
	kobj

	k      *Kernel
	seq    int
	inum   uint64
	root   *Mount
	mounts []*Mount // attached mounts, in attach order
}

func (ns *MountNamespace) kind() string { return "mnt_namespace" }

func (ns *MountNamespace) describe() string { return fmt.Sprintf("mnt_namespace %d", ns.seq) }

// Root returns the namespace's root mount.
func (ns *MountNamespace) Root() *Mount { return ns.root }

// Mounts returns the attached mounts in the order they were attached.
func (ns *MountNamespace) Mounts() []*Mount { return append([]*Mount(nil), ns.mounts...) }

func (k *Kernel) newMntNS() *MountNamespace {
	ns := &MountNamespace{k: k}
	ns.refs = 1
	k.register(ns, &ns.kobj)
	ns.seq = int(ns.id)
	ns.inum = k.AllocInum()
	return ns
}

// GetMntNS models fs/namespace.c:get_mnt_ns: a new reference on ns.
func GetMntNS(ns *MountNamespace) *MountNamespace {
	if ns.refs <= 0 {
		Bug("get_mnt_ns on dead %s", ns.describe())
	}
	ns.refs++
	return ns
}

// PutMntNS models fs/namespace.c:put_mnt_ns: the last reference unmounts
// the namespace's whole tree.
func PutMntNS(ns *MountNamespace) {
	if ns.refs <= 0 {
		Bug("put_mnt_ns: %s has no references", ns.describe())
	}
	ns.refs--
	if ns.refs > 0 {
		return
	}
	if ns.k.Tracing() {
		ns.k.Tracef("fs/namespace.c:put_mnt_ns", "%s", ns.describe())
	}
	if ns.root != nil {
		ns.k.umountTree(ns.root)
		ns.root = nil
	}
	ns.k.unregister(&ns.kobj)
}

// detachMounts models fs/namespace.c:__detach_mounts: after a dentry was
// unlinked, removed or renamed over — which its own namespace refuses
// while it is a mountpoint there (EBUSY), but another namespace does not —
// every mount on it, in whatever namespace, is detached with what is
// under it, as a lazy umount would.
func (k *Kernel) detachMounts(d *Dentry) {
	if d.mounted == 0 {
		return
	}
	var on []*Mount
	for o := range k.liveObjects() {
		if m, ok := o.(*Mount); ok && m.attached && m.parent != m && m.mountpoint == d {
			on = append(on, m)
		}
	}
	for _, m := range on {
		// (A mount on d may be gone already: under another one on d,
		// detached with it.)
		if m.registered() && m.attached {
			if k.Tracing() {
				k.Tracef("fs/namespace.c:__detach_mounts", "%s", m.describe())
			}
			k.umountTree(m)
		}
	}
}

// initMountTree models fs/namespace.c:init_mount_tree: the root filesystem
// mounted as the root of a new initial mount namespace.
func (k *Kernel) initMountTree(fsName string) (*MountNamespace, error) {
	fsType, ok := k.fsTypes[fsName]
	if !ok {
		return nil, ENODEV
	}
	sb, err := k.sget(fsType, "rootfs", 0, "")
	if err != nil {
		return nil, err
	}
	ns := k.newMntNS()
	m := k.newMount(sb, sb.root)
	m.parent = m
	m.ns = ns
	m.attached = true // the namespace owns the creation reference
	ns.root = m
	ns.mounts = append(ns.mounts, m)
	return ns, nil
}

// lookupMnt returns the mount attached on dentry d of mount m, or nil
// (models fs/namespace.c:lookup_mnt; the most recent mount wins).
func (k *Kernel) lookupMnt(m *Mount, d *Dentry) *Mount {
	if d.mounted == 0 {
		return nil
	}
	k.stats.MountSteps++
	return k.mountHash[mountpoint{m, d}]
}

// attachMnt models fs/namespace.c:attach_recursive_mnt: the detached tree
// rooted at child is mounted on at, in at's namespace, which takes over the
// caller's reference on child. Path walks follow mounts to the topmost one,
// so at never already has a mount on it.
func (k *Kernel) attachMnt(child *Mount, at Path) {
	if k.lookupMnt(at.Mnt, at.Dentry) != nil {
		Bug("attach_mnt: %s already has a mount", at)
	}
	k.linkMnt(child, at)
	var add func(m *Mount)
	add = func(m *Mount) {
		m.ns = at.Mnt.ns
		m.ns.mounts = append(m.ns.mounts, m)
		for _, c := range m.children {
			add(c)
		}
	}
	add(child)
}

// countMounts models fs/namespace.c:count_mounts, which
// attach_recursive_mnt calls first: n more mounts must keep ns within
// fs.mount-max (Options.MountMax), or ENOSPC.
func (k *Kernel) countMounts(ns *MountNamespace, n int) error {
	max := k.opts.MountMax
	if max == 0 {
		max = DefaultMountMax
	}
	if len(ns.mounts)+n > max {
		return ENOSPC
	}
	return nil
}

// treeSize counts the mounts of the tree rooted at m.
func treeSize(m *Mount) int {
	n := 1
	for _, c := range m.children {
		n += treeSize(c)
	}
	return n
}

// linkMnt hangs child on at (models fs/namespace.c:mnt_set_mountpoint plus
// commit_tree's hashing): child holds a reference on its parent mount and on
// the mountpoint dentry.
func (k *Kernel) linkMnt(child *Mount, at Path) {
	child.parent = Mntget(at.Mnt)
	child.mountpoint = Dget(at.Dentry)
	at.Dentry.mounted++
	child.attached = true
	k.mountHash[mountpoint{at.Mnt, at.Dentry}] = child
	at.Mnt.children = append(at.Mnt.children, child)
	k.joinStack(child, at)
}

// removeMount drops m from list, searching from the end: mounts are
// mostly unmounted newest first, so a stack comes down in linear time.
func removeMount(list []*Mount, m *Mount) []*Mount {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == m {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// umountTree models fs/namespace.c:umount_tree: m and every mount under it
// are detached and lose the namespace's reference; each is freed when its
// last other user lets go.
func (k *Kernel) umountTree(m *Mount) {
	// Children first, newest first, so parents are detached last.
	for len(m.children) > 0 {
		k.umountTree(m.children[len(m.children)-1])
	}
	if k.Tracing() {
		k.Tracef("fs/namespace.c:umount_tree", "mount %d of %s", m.id, m.sb.describe())
	}
	if m.ns != nil {
		m.ns.mounts = removeMount(m.ns.mounts, m)
		m.ns = nil
	}
	if m.parent != m && m.parent != nil {
		parent, mp := m.parent, m.mountpoint
		leaveStack(m)
		delete(k.mountHash, mountpoint{parent, mp})
		mp.mounted--
		parent.children = removeMount(parent.children, m)
		m.parent, m.mountpoint = nil, nil
		Dput(mp)
		Mntput(parent)
	} else {
		m.parent = nil
	}
	m.attached = false
	Mntput(m)
}

// isMountRoot reports whether p is the root of its mount.
func isMountRoot(p Path) bool { return p.Dentry == p.Mnt.root }

// Mount models the mount(2) system call (fs/namespace.c:path_mount): a new
// mount of fstype from source at target, a bind mount (MS_BIND, recursive
// with MS_REC), a per-mount read-only remount (MS_REMOUNT|MS_BIND) or a
// superblock remount (MS_REMOUNT).
//
// Errors, in order:
//   - EINVAL: a string with a NUL in it (refused before the call, as Go's
//     syscall package does).
//   - ENOENT, ENOTDIR, ...: from resolving target.
//   - EPERM: the caller lacks CAP_SYS_ADMIN.
//   - Remounts: EINVAL when target is not on a mount of the caller's
//     namespace or is not a mount root, or (Relink2011Fixed) when relink=
//     would change; EBUSY going read-only while an
//     unlinked file is open (s_remove_count > 0) or a file is open for
//     writing on any mount of the superblock (on the mount itself, for a
//     per-mount remount).
//   - Bind mounts (do_loopback): EINVAL for an empty source; errors from
//     resolving source; ENOENT when target was removed (cant_mount); EINVAL
//     when target or source is not in the caller's namespace; ENOTDIR when
//     one is a directory and the other is not; ENOSPC when the copied
//     mounts would take the namespace past fs.mount-max (count_mounts).
//   - New mounts (do_new_mount): ENODEV for an unregistered fstype;
//     under Relink2011Fixed, EINVAL or ENAMETOOLONG for a relink= it
//     refuses (relinkopt.go); the
//     filesystem's errors (for a device: ENOENT without one, EBUSY when it
//     is mounted with a different read-only state, EACCES writing a
//     read-only one, and whatever filling the superblock fails with); then
//     ENOENT when target was removed; EINVAL outside the caller's namespace;
//     EBUSY mounting a filesystem again on the root of one of its own
//     mounts; ENOTDIR on a non-directory; ENOSPC when the namespace holds
//     fs.mount-max mounts already (count_mounts).
func (t *Task) Mount(source, target, fstype string, flags MountFlags, data string) error {
	t.enter()
	return pathErr("mount", target, t.doMount(source, target, fstype, flags, data))
}

func (t *Task) doMount(source, target, fstype string, flags MountFlags, data string) error {
	if err := cString(source, target, fstype, data); err != nil {
		return err
	}
	at, err := t.lookupPath(AT_FDCWD, target, lookupFollow)
	if err != nil {
		return err
	}
	defer func() { PathPut(at) }()
	if !t.cred.Capable(CAP_SYS_ADMIN) {
		return EPERM
	}
	k := t.k
	switch {
	case flags&(MS_REMOUNT|MS_BIND) == MS_REMOUNT|MS_BIND:
		// do_reconfigure_mnt: per-mount flags only; going read-only is
		// refused while the mount has writers (mnt_make_readonly).
		if at.Mnt.ns != t.mntns || !isMountRoot(at) {
			return EINVAL
		}
		ro := flags&MS_RDONLY != 0
		if ro && !at.Mnt.readonly && at.Mnt.writers > 0 {
			return EBUSY
		}
		at.Mnt.readonly = ro
		return nil
	case flags&MS_REMOUNT != 0:
		if at.Mnt.ns != t.mntns {
			return EINVAL
		}
		return t.doRemount(at, flags, data)
	case flags&MS_BIND != 0:
		// do_loopback
		if source == "" {
			return EINVAL
		}
		src, err := t.lookupPath(AT_FDCWD, source, lookupFollow)
		if err != nil {
			return err
		}
		defer PathPut(src)
		if err := t.lockMount(&at); err != nil {
			return err
		}
		if at.Mnt.ns != t.mntns || src.Mnt.ns != t.mntns {
			return EINVAL // check_mnt of the parent, then __do_loopback's
		}
		if src.Dentry.inode.Mode.IsDir() != at.Dentry.inode.Mode.IsDir() {
			return ENOTDIR // graft_tree
		}
		if src.Dentry.Unlinked() {
			// A source unlinked since (the root of a bind mount of a
			// removed name, a /proc/PID/fd link) cannot be bound again:
			// ENOENT, after ENOTDIR (verified on 6.18, the kernel-
			// differential campaign's find).
			return ENOENT
		}
		clone := k.copyTree(src.Mnt, src.Dentry, flags&MS_REC != 0)
		if err := k.countMounts(at.Mnt.ns, treeSize(clone)); err != nil {
			k.umountTree(clone)
			return err
		}
		k.attachMnt(clone, at)
		return nil
	}
	// do_new_mount
	fsType, ok := k.fsTypes[fstype]
	if !ok {
		return ENODEV
	}
	// The relink eras take relink= out before the filesystem sees data.
	relink, err := k.relinkMountOpt(data)
	if err != nil {
		return err
	}
	// "ro" and "rw" in the data are the superblock's flag (the mount's
	// read-only flag comes from flags alone).
	sbFlags, fsData := k.sbFlagOpts(flags, relink.data)
	sb, err := k.sget(fsType, source, sbFlags, fsData)
	if err != nil {
		return err
	}
	k.setRelinkDir(sb, relink, len(sb.mounts) == 0) // a reused superblock has mounts
	m := k.newMount(sb, sb.root)                    // vfs_create_mount
	m.readonly = flags&MS_RDONLY != 0
	err = func() error {
		// do_new_mount_fc: lock_mount, then do_add_mount.
		if err := t.lockMount(&at); err != nil {
			return err
		}
		if at.Mnt.ns != t.mntns {
			return EINVAL
		}
		if at.Mnt.sb == sb && isMountRoot(at) {
			return EBUSY // the same filesystem on the same mountpoint
		}
		if !at.Dentry.inode.Mode.IsDir() {
			return ENOTDIR // graft_tree
		}
		return k.countMounts(at.Mnt.ns, 1)
	}()
	if err != nil {
		Mntput(m) // drops the superblock reference sget gave
		return err
	}
	k.attachMnt(m, at)
	if k.Tracing() {
		k.Tracef("fs/namespace.c:do_new_mount", "%s %s on %s", fstype, source, target)
	}
	return nil
}

// lockMount models the checks of fs/namespace.c:lock_mount: the new mount
// goes on top of whatever already covers *at (a walk ending in "/", "." or
// a magic link stops below it), and a target that was removed cannot be
// mounted on (cant_mount).
func (t *Task) lockMount(at *Path) error {
	*at = t.k.followMounts(*at)
	if at.Dentry.Unlinked() || at.Dentry.inode.IsDeadDir() {
		return ENOENT
	}
	return nil
}

// doRemount models fs/namespace.c:do_remount for the read-only switch:
// going read-only is refused with EBUSY while any inode of the superblock
// has nlink 0 but is still in use, or any mount of it has writers
// (sb_prepare_remount_readonly).
func (t *Task) doRemount(at Path, flags MountFlags, data string) error {
	if !isMountRoot(at) {
		return EINVAL
	}
	sb := at.Mnt.sb
	data, err := t.k.remountRelinkOpt(sb, data)
	if err != nil {
		return err
	}
	mntRO := flags&MS_RDONLY != 0
	flags, data = t.k.sbFlagOpts(flags, data)
	ro := flags&MS_RDONLY != 0
	if ro && !sb.readonly {
		if sb.removeCount > 0 {
			return EBUSY
		}
		for _, m := range sb.mounts {
			if m.writers > 0 {
				return EBUSY // any mount of the superblock, attached or not
			}
		}
	}
	if r, ok := sb.Ops.(Remounter); ok {
		if err := r.Remount(sb, flags, data); err != nil {
			return err
		}
	}
	sb.readonly = ro
	// do_remount applies the mount flags to the mount too ("ro" in the
	// data does not make the mount read-only).
	at.Mnt.readonly = mntRO
	return nil
}

// sbFlagOpts models fs/fs_context.c:vfs_parse_sb_flag as mount(2)'s
// monolithic data parsing applies it (Linux 5.1 and later: the Upstream
// era): "ro" and "rw" in the data set and clear the superblock's read-only
// flag and never reach the filesystem; the rest of the data is returned.
// The other superblock flags it knows (sync, dirsync, lazytime, mand and
// their negations) are not modelled.
func (k *Kernel) sbFlagOpts(flags MountFlags, data string) (MountFlags, string) {
	if k.opts.Era != Upstream || data == "" {
		return flags, data
	}
	var keep []string
	for _, o := range strings.Split(data, ",") {
		switch o {
		case "ro":
			flags |= MS_RDONLY
		case "rw":
			flags &^= MS_RDONLY
		default:
			keep = append(keep, o)
		}
	}
	return flags, strings.Join(keep, ",")
}

// copyTree models fs/namespace.c:copy_tree (recursive) and clone_mnt (not):
// a detached copy of mount m showing root, with copies of the mounts under
// root when recursive. The caller owns the returned mount's reference.
func (k *Kernel) copyTree(m *Mount, root *Dentry, recursive bool) *Mount {
	m.sb.refs++
	clone := k.newMount(m.sb, root)
	clone.readonly = m.readonly
	if !recursive {
		return clone
	}
	for _, c := range m.children {
		if c.mountpoint != root && !isAncestor(root, c.mountpoint) {
			continue
		}
		k.linkMnt(k.copyTree(c, c.root, true), Path{clone, c.mountpoint})
	}
	return clone
}

// Umount models umount2(2) (fs/namespace.c:do_umount).
//
// Errors, in order:
//   - EINVAL: flags holds unknown bits.
//   - ENOENT, ENOTDIR, ...: from resolving target.
//   - EPERM: the caller lacks CAP_SYS_ADMIN.
//   - EINVAL: target is not the root of a mount in the caller's namespace.
//   - EBUSY: the mount has mounts under it or is in use (an open file, a
//     task's cwd or root), unless MNT_DETACH detaches it lazily.
func (t *Task) Umount(target string, flags int) error {
	t.enter()
	return pathErr("umount2", target, t.doUmount(target, flags))
}

func (t *Task) doUmount(target string, flags int) error {
	if flags&^(MNT_FORCE|MNT_DETACH|UMOUNT_NOFOLLOW) != 0 {
		return EINVAL
	}
	lf := lookupFollow
	if flags&UMOUNT_NOFOLLOW != 0 {
		lf = 0
	}
	p, err := t.lookupPath(AT_FDCWD, target, lf)
	if err != nil {
		return err
	}
	if !t.cred.Capable(CAP_SYS_ADMIN) {
		PathPut(p)
		return EPERM
	}
	m := p.Mnt
	if !isMountRoot(p) || m.ns != t.mntns {
		PathPut(p)
		return EINVAL
	}
	if m.parent == m {
		PathPut(p)
		return EBUSY // the namespace root
	}
	if flags&MNT_DETACH == 0 {
		// propagate_mount_busy(mnt, 2): the namespace's reference and ours.
		if len(m.children) > 0 || m.refs > 2 {
			PathPut(p)
			return EBUSY
		}
	}
	PathPut(p)
	t.k.umountTree(m)
	return nil
}

// MountInfo returns the caller's mount table in the format of /proc/mounts
// (models fs/proc_namespace.c:show_vfsmnt): "source mountpoint fstype
// rw|ro<options> 0 0", one line per mount the caller's root reaches; the
// options are show_sb_opts' (the relink eras' relink=, where seed patch 07
// prints it), show_mnt_opts' (relatime), then the filesystem's.
func (t *Task) MountInfo() []string {
	var lines []string
	for _, m := range t.mntns.mounts {
		mp, ok := t.mountPoint(m)
		if !ok {
			continue
		}
		rw := "rw"
		if m.ReadOnly() {
			rw = "ro"
		}
		opts := rw + m.sb.showRelinkDir() + mntOpts(m) + m.showOptions()
		lines = append(lines, strings.Join([]string{escapeMnt(m.sb.source), escapeMnt(mp), m.sb.fsType.Name(), opts, "0", "0"}, " "))
	}
	return lines
}

// Mountinfo returns the caller's /proc/self/mountinfo (models
// fs/proc_namespace.c:show_mountinfo): per mount, "ID PARENT MAJ:MIN ROOT
// MOUNTPOINT MOUNT-OPTIONS - FSTYPE SOURCE SUPER-OPTIONS". Every mount is
// private (no shared:/master: fields: the simulator has no propagation).
func (t *Task) Mountinfo() []string {
	var lines []string
	for _, m := range t.mntns.mounts {
		mp, ok := t.mountPoint(m)
		if !ok {
			continue
		}
		rw, srw := "rw", "rw"
		if m.readonly {
			rw = "ro"
		}
		if m.sb.readonly {
			srw = "ro"
		}
		dev := m.sb.dev
		root := dentryPath(m.root)
		lines = append(lines, fmt.Sprintf("%d %d %d:%d %s %s %s%s - %s %s %s%s",
			m.id, m.parent.id, dev>>8, dev&0xff, escapeMnt(root), escapeMnt(mp), rw, mntOpts(m),
			m.sb.fsType.Name(), escapeMnt(m.sb.source), srw, m.sb.showRelinkDir()+m.showOptions()))
	}
	return lines
}

// showOptions is the filesystem's part of m's options (sb->s_op->
// show_options(seq, mnt->mnt_root)).
func (m *Mount) showOptions() string {
	if s, ok := m.sb.Ops.(MountOptionShower); ok {
		return s.ShowMountOptions(m.sb, m.root)
	}
	return m.sb.ShowOptions()
}

// dentryPath models fs/d_path.c:dentry_path, what mountinfo shows as a
// mount's root (seq_dentry): the dentry's path from its filesystem's root,
// never crossing a mount, with "//deleted" after it once it is unlinked.
func dentryPath(d *Dentry) string {
	suffix := ""
	if d.Unlinked() {
		suffix = "//deleted"
	}
	var parts []string
	for ; !d.IsRoot(); d = d.parent {
		parts = append(parts, d.name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	if b.Len() == 0 {
		b.WriteByte('/')
	}
	return b.String() + suffix
}

// mountPoint returns where m is mounted as t sees it (seq_path_root), and
// false when t's root does not reach it.
func (t *Task) mountPoint(m *Mount) (string, bool) {
	if m.parent == m {
		return t.k.dPathFrom(Path{m, m.root}, t.fs.root)
	}
	return t.k.dPathFrom(Path{m.parent, m.mountpoint}, t.fs.root)
}

// mntOpts models fs/proc_namespace.c:show_mnt_opts for the flags the
// simulator keeps: every mount is relatime (the default atime mode).
func mntOpts(m *Mount) string { return ",relatime" }

// escapeMnt escapes space, tab, newline and backslash as octal, as
// seq_escape does for /proc/mounts fields.
func escapeMnt(s string) string {
	if !strings.ContainsAny(s, " \t\n\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
