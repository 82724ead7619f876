package vfs

// Optional capabilities of filesystems and devices, io/fs style: code that
// needs one (the op language's runner, and through it the race explorer;
// later the checkpoint code) asks for it with a type assertion, without
// importing a concrete filesystem.

// OrphanLister is implemented by the super operations of filesystems with
// an on-disk orphan list (ext4sim, btrfssim): the inode numbers on it, in
// the order the kernel oracle reports them (ext4: the chain from
// s_last_orphan; btrfs: orphan items by ascending inode number), as a
// reader of the device sees them.
type OrphanLister interface {
	OnDiskOrphans(sb *Superblock) []uint64
}

// OrphanGroup is one of the on-disk orphan lists of a filesystem that
// keeps several: btrfs keeps orphan items in each subvolume's tree.
type OrphanGroup struct {
	// Label names the list ("subvolume 256").
	Label string
	// Inos are the inode numbers on it, in on-disk order.
	Inos []uint64
	// Inodes are the in-memory inodes of Inos, index for index; nil where
	// the inode is not in memory.
	Inodes []*Inode
}

// OrphanGroupLister is implemented by the super operations of
// filesystems with one orphan list per subvolume (btrfssim): every
// subvolume's list that has an item, as a reader of the device sees them
// (OrphanLister gives the top subvolume's only).
type OrphanGroupLister interface {
	OrphanGroups(sb *Superblock) []OrphanGroup
}

// OrphanSlot is one occupied slot of an orphan file.
type OrphanSlot struct {
	Block, Slot int
	Ino         uint64
}

// OrphanFileLister is implemented by the super operations of filesystems
// with an orphan file (ext4's orphan_file feature): its occupied slots in
// block and slot order.
type OrphanFileLister interface {
	OrphanFileSlots(sb *Superblock) []OrphanSlot
}

// Crasher is implemented by block devices that survive a power cut: the
// device as it would be found after one — its durable state only — under
// the same name.
type Crasher interface {
	CrashImage() BlockDevice
}

// FaultInjector is implemented by the super operations of filesystems that
// can fail on demand: the next n calls of kind fail (ext4sim: "add_entry"
// and "journal_start" fail with ENOSPC).
type FaultInjector interface {
	InjectFault(kind string, n int) error
}

// Subvolumer is implemented by the inode operations of filesystems with
// subvolumes and snapshots (btrfssim), beside their Ioctler: what the btrfs
// ioctls
// BTRFS_IOC_SUBVOL_CREATE, BTRFS_IOC_SNAP_CREATE_V2 and, for a reader of the
// device, `btrfs inspect-internal dump-tree` give user space. Task's
// SubvolCreate, SnapshotCreate and SubvolOrphans reach it, so tools above
// vfs need not import the filesystem.
type Subvolumer interface {
	// SubvolCreate makes a subvolume called name in the directory dir is
	// open on.
	SubvolCreate(t *Task, dir *File, name string) error
	// SnapshotCreate makes a snapshot called name, in the directory dir is
	// open on, of the subvolume whose root directory the descriptor srcfd
	// is open on; read-only when readonly is set.
	SnapshotCreate(t *Task, dir *File, name string, srcfd int, readonly bool) error
	// SubvolOrphans returns the inode numbers of the orphan items of the
	// subvolume f is in, in ascending order, as they are on the device.
	SubvolOrphans(t *Task, f *File) ([]uint64, error)
}

// subvolumer returns the Subvolumer behind descriptor fd, or ENOTTY where
// the filesystem has none (the ioctl is not one it knows) or fd is a
// special file.
func (t *Task) subvolumer(op string, fd int) (*File, Subvolumer, error) {
	f, err := t.fgetIO(fd)
	if err != nil {
		return nil, nil, pathErr(op, fdName(fd), err)
	}
	// As for any ioctl, an inode whose operations lack the handler (a
	// special file, btrfs's stand-in directory for a nested subvolume)
	// answers ENOTTY.
	sv, ok := f.inode.Ops.(Subvolumer)
	if m := f.inode.Mode; !ok || !m.IsRegular() && !m.IsDir() {
		return nil, nil, pathErr(op, fdName(fd), ENOTTY)
	}
	return f, sv, nil
}

// SubvolCreate makes subvolume name in the directory dirfd is open on, as
// `btrfs subvolume create` does with BTRFS_IOC_SUBVOL_CREATE. ENOTTY on a
// filesystem without subvolumes.
func (t *Task) SubvolCreate(dirfd int, name string) error {
	t.enter()
	f, sv, err := t.subvolumer("ioctl(BTRFS_IOC_SUBVOL_CREATE)", dirfd)
	if err != nil {
		return err
	}
	if err := sv.SubvolCreate(t, f, name); err != nil {
		return pathErr("ioctl(BTRFS_IOC_SUBVOL_CREATE)", fdName(dirfd), err)
	}
	return nil
}

// SnapshotCreate makes snapshot name of the subvolume srcfd is open on, in
// the directory dirfd is open on, as `btrfs subvolume snapshot [-r]` does
// with BTRFS_IOC_SNAP_CREATE_V2. ENOTTY on a filesystem without
// subvolumes.
func (t *Task) SnapshotCreate(dirfd int, name string, srcfd int, readonly bool) error {
	t.enter()
	f, sv, err := t.subvolumer("ioctl(BTRFS_IOC_SNAP_CREATE_V2)", dirfd)
	if err != nil {
		return err
	}
	if err := sv.SnapshotCreate(t, f, name, srcfd, readonly); err != nil {
		return pathErr("ioctl(BTRFS_IOC_SNAP_CREATE_V2)", fdName(dirfd), err)
	}
	return nil
}

// SubvolOrphans syncs, as a tool reading the device does first, and returns
// the orphan items of the subvolume fd is in (found, as on the real kernel,
// through BTRFS_IOC_INO_LOOKUP). ENOTTY on a filesystem without
// subvolumes.
func (t *Task) SubvolOrphans(fd int) ([]uint64, error) {
	t.enter()
	f, sv, err := t.subvolumer("ioctl(BTRFS_IOC_INO_LOOKUP)", fd)
	if err != nil {
		return nil, err
	}
	t.Sync()
	inos, err := sv.SubvolOrphans(t, f)
	if err != nil {
		return nil, pathErr("ioctl(BTRFS_IOC_INO_LOOKUP)", fdName(fd), err)
	}
	return inos, nil
}

// OnDiskOrphans syncs, as the oracle does before it reads the device, and
// returns the on-disk orphan list of the filesystem path is on
// (OrphanLister); ok is false for a filesystem without one (tmpfs).
func (t *Task) OnDiskOrphans(path string) (inos []uint64, ok bool, err error) {
	t.Sync()
	sb, err := t.SuperblockOf(path)
	if err != nil {
		return nil, false, err
	}
	ol, ok := sb.Ops.(OrphanLister)
	if !ok {
		return nil, false, nil
	}
	return ol.OnDiskOrphans(sb), true, nil
}

// OrphanFileSlots returns the occupied slots of the orphan file of the
// filesystem path is on (OrphanFileLister), or none.
func (t *Task) OrphanFileSlots(path string) ([]OrphanSlot, error) {
	sb, err := t.SuperblockOf(path)
	if err != nil {
		return nil, err
	}
	if l, ok := sb.Ops.(OrphanFileLister); ok {
		return l.OrphanFileSlots(sb), nil
	}
	return nil, nil
}

// InjectFault makes the next n calls of kind fail on the filesystem path
// is on (FaultInjector). EOPNOTSUPP when it cannot inject faults, EINVAL
// for a kind it does not know.
func (t *Task) InjectFault(path, kind string, n int) error {
	sb, err := t.SuperblockOf(path)
	if err != nil {
		return err
	}
	fi, ok := sb.Ops.(FaultInjector)
	if !ok {
		return EOPNOTSUPP
	}
	return fi.InjectFault(kind, n)
}

// InodeFlags returns the S_APPEND and S_IMMUTABLE flags of the inode fd is
// open on, as FS_IOC_GETFLAGS reports them to chattr.
func (t *Task) InodeFlags(fd int) (InodeFlags, error) {
	f, err := t.fget(fd)
	if err != nil {
		return 0, err
	}
	return f.inode.Flags & (S_APPEND | S_IMMUTABLE), nil
}

// DropCaches models `echo 3 > /proc/sys/vm/drop_caches` (Kernel.DropCaches).
func (t *Task) DropCaches() { t.k.DropCaches() }

// NsproxyView is what a picture shows of the object a task's namespaces
// are grouped in (package nsproxy's struct nsproxy).
type NsproxyView struct {
	// ID is the object's id in the kernel's object registry.
	ID uint64
	// Count is the number of tasks sharing it.
	Count int64
	// Name is how the object describes itself ("nsproxy 2").
	Name string
}

// NsproxyViewer is implemented by namespace operations that group a
// task's namespaces in a shared object (package nsproxy): the object t
// uses, if any.
type NsproxyViewer interface {
	TaskNsproxy(t *Task) (NsproxyView, bool)
}
