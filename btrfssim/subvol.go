package btrfssim

import (
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// The ioctls that make subvolumes and snapshots, as user space calls them
// (include/uapi/linux/btrfs.h). Pass them to vfs.Task.Ioctl on a
// descriptor of the directory that is to hold the new subvolume.
const (
	// IOC_SUBVOL_CREATE is BTRFS_IOC_SUBVOL_CREATE, with a *VolArgs.
	IOC_SUBVOL_CREATE uint = 0x5000940e
	// IOC_SNAP_CREATE_V2 is BTRFS_IOC_SNAP_CREATE_V2, with a *VolArgsV2.
	IOC_SNAP_CREATE_V2 uint = 0x50009417
	// IOC_INO_LOOKUP is BTRFS_IOC_INO_LOOKUP, with an *InoLookupArgs.
	IOC_INO_LOOKUP uint = 0xd0009412
	// SUBVOL_RDONLY is BTRFS_SUBVOL_RDONLY: a read-only snapshot.
	SUBVOL_RDONLY uint64 = 1 << 1
)

// InoLookupArgs is struct btrfs_ioctl_ino_lookup_args. With TreeID 0 and
// Objectid 256 (the unprivileged query) the ioctl fills in TreeID: the id
// of the subvolume the descriptor is in.
type InoLookupArgs struct {
	TreeID, Objectid uint64
}

// subvolCreateArgsMask is BTRFS_SUBVOL_CREATE_ARGS_MASK: the flags
// BTRFS_IOC_SNAP_CREATE_V2 accepts.
const subvolCreateArgsMask = SUBVOL_RDONLY | 1<<2 // RDONLY | QGROUP_INHERIT

// VolArgs is struct btrfs_ioctl_vol_args: the new subvolume's name.
type VolArgs struct {
	Name string
}

// VolArgsV2 is struct btrfs_ioctl_vol_args_v2 for a snapshot: a descriptor
// of the source subvolume's root directory, flags, and the name.
type VolArgsV2 struct {
	Fd    int
	Flags uint64
	Name  string
}

// Ioctl implements vfs.Ioctler (models fs/btrfs/ioctl.c:btrfs_ioctl for the
// subvolume and snapshot commands).
func (o dirOps) Ioctl(t *vfs.Task, f *vfs.File, cmd uint, arg any) (int, error) {
	return o.fs.ioctl(t, f, cmd, arg)
}

// Ioctl implements vfs.Ioctler: the same commands on a non-directory fail
// with ENOTDIR.
func (o fileOps) Ioctl(t *vfs.Task, f *vfs.File, cmd uint, arg any) (int, error) {
	return o.fs.ioctl(t, f, cmd, arg)
}

func (fs *fsInfo) ioctl(t *vfs.Task, f *vfs.File, cmd uint, arg any) (int, error) {
	switch cmd {
	case IOC_SUBVOL_CREATE:
		a, ok := arg.(*VolArgs)
		if !ok {
			return -1, vfs.EFAULT
		}
		return 0, fs.snapCreate(t, f, a.Name, nil, false)
	case IOC_INO_LOOKUP:
		a, ok := arg.(*InoLookupArgs)
		if !ok {
			return -1, vfs.EFAULT
		}
		return 0, fs.inoLookup(t, f, a)
	case IOC_SNAP_CREATE_V2:
		a, ok := arg.(*VolArgsV2)
		if !ok {
			return -1, vfs.EFAULT
		}
		if a.Flags&^subvolCreateArgsMask != 0 {
			return -1, vfs.EOPNOTSUPP
		}
		src := a.Fd
		return 0, fs.snapCreate(t, f, a.Name, &src, a.Flags&SUBVOL_RDONLY != 0)
	}
	return -1, vfs.ENOTTY
}

// inoLookup models fs/btrfs/ioctl.c:btrfs_ioctl_ino_lookup for its
// unprivileged query: a tree id of 0 becomes the id of the subvolume f is
// in, and objectid 256 asks for nothing more. Resolving other objectids to
// paths needs CAP_SYS_ADMIN and is not modelled (EOPNOTSUPP).
func (fs *fsInfo) inoLookup(t *vfs.Task, f *vfs.File, a *InoLookupArgs) error {
	if a.TreeID == 0 {
		a.TreeID = info(f.Inode()).root.id
	}
	if a.Objectid == firstFreeObjectid {
		return nil
	}
	if !t.Cred().Capable(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM
	}
	return vfs.EOPNOTSUPP
}

// snapCreate models fs/btrfs/ioctl.c:__btrfs_ioctl_snap_create: a new
// subvolume, or with srcFd a snapshot of the subvolume whose root
// directory srcFd is open on, named name in the directory f is open on.
//
// Errors, in order: ENOTDIR when f is not a directory; EROFS on a
// read-only mount; EINVAL for a name with '/'; EEXIST for "." or "..";
// for a snapshot, EINVAL when srcFd is not open, EXDEV when it is on
// another filesystem, EPERM when the caller neither owns the source nor has
// CAP_FOWNER, EINVAL when it is not a subvolume's root; then those of
// creating the name (EACCES, ENAMETOOLONG, EEXIST, ENOENT).
func (fs *fsInfo) snapCreate(t *vfs.Task, f *vfs.File, name string, srcFd *int, readonly bool) error {
	if !f.Inode().Mode.IsDir() {
		return vfs.ENOTDIR
	}
	done, err := t.MntWantWriteFile(f)
	if err != nil {
		return err
	}
	defer done()
	if strings.Contains(name, "/") {
		return vfs.EINVAL
	}
	if name == "." || name == ".." {
		return vfs.EEXIST
	}
	var src *rootInfo
	if srcFd != nil {
		sf, err := t.File(*srcFd)
		if err != nil {
			return vfs.EINVAL
		}
		si := sf.Inode()
		if si.Sb != fs.sb {
			fs.k.Printk("BTRFS info (device %s): Snapshot src from another FS", devShort(fs.dev.name))
			return vfs.EXDEV
		}
		if !vfs.OwnerOrCapable(t.Cred(), si) {
			return vfs.EPERM
		}
		if ei := info(si); ei.dummy || ei.ino != firstFreeObjectid {
			return vfs.EINVAL
		}
		src = info(si).root
		// btrfs_mksnapshot: the source's delalloc is written back before
		// the name is even looked up, so a snapshot that then fails
		// (EEXIST, EACCES) has still flushed it.
		for _, ino := range src.cachedInodes() {
			src.writeData(ino)
		}
	}
	return t.CreateNamed(f.Path(), name, func(dirVI *vfs.Inode, d *vfs.Dentry) error {
		if info(dirVI).root.dead() {
			return vfs.ENOENT
		}
		if src != nil {
			return fs.createSnapshot(src, dirVI, d, readonly)
		}
		return fs.createSubvol(dirVI, d)
	})
}

// devShort is the device's name as the kernel log shows it ("loop0").
func devShort(name string) string { return strings.TrimPrefix(name, "/dev/") }

// createSubvol models fs/btrfs/ioctl.c:create_subvol: a new tree whose root
// directory, inode 256, is owned by the caller with mode 0755, linked into
// dir under the next index. It is not committed.
func (fs *fsInfo) createSubvol(dirVI *vfs.Inode, d *vfs.Dentry) error {
	dir := info(dirVI)
	tr, err := fs.startTransaction("create_subvol")
	if err != nil {
		return err
	}
	defer tr.end()
	id := fs.nextRootID
	fs.nextRootID++
	tree := newFSTree()
	now := fs.k.Now()
	it := &inodeItem{Mode: vfs.S_IFDIR | 0o755, Nlink: 1, Atime: now, Mtime: now, Ctime: now,
		Refs: []inodeRef{{Dir: firstFreeObjectid, Index: 0, Name: ".."}}, Generation: fs.transid()}
	cred := fs.k.Current().Cred()
	it.UID, it.GID = cred.UID, cred.GID
	if dirVI.Mode&vfs.S_ISGID != 0 {
		it.GID = dirVI.GID
		it.Mode |= vfs.S_ISGID
	}
	tree.inodes[firstFreeObjectid] = it
	tree.dirs[firstFreeObjectid] = newDirItems()
	fs.cur.roots[id] = &rootItem{id: id, refs: 1, tree: tree}
	sub := fs.getRoot(id)
	sub.orphanCleaned = true // a new tree has no orphans to clean
	vi, err := fs.iget(sub, firstFreeObjectid)
	if err != nil {
		return err
	}
	fs.relinkEntry(tr, dirVI, d.Name(), vi, setInodeIndex(dir))
	d.Instantiate(vi)
	fs.trace("create_subvol", "subvolume %d %q in directory %d of root %d", id, d.Name(), dir.ino, dir.root.id)
	return nil
}

// createSnapshot models fs/btrfs/ioctl.c:create_snapshot with
// transaction.c:create_pending_snapshot: the transaction is committed with
// a copy of src's tree as it is now (unsynced data included) linked into
// dir, then orphan cleanup runs on the copy, deleting the open-but-unlinked
// inodes it holds (in the next transaction). So a snapshot never keeps
// those files; the source keeps them until they are closed.
func (fs *fsInfo) createSnapshot(src *rootInfo, dirVI *vfs.Inode, d *vfs.Dentry, readonly bool) error {
	if src.dead() {
		// create_snapshot: a deleted subvolume (its root item's refs 0),
		// still reachable through a mount or an open descriptor, cannot
		// be snapshotted.
		return vfs.ENOENT
	}
	dir := info(dirVI)
	tr, err := fs.startTransaction("create_snapshot")
	if err != nil {
		return err
	}
	for _, ino := range src.cachedInodes() {
		src.writeData(ino)
	}
	id := fs.nextRootID
	fs.nextRootID++
	fs.cur.roots[id] = &rootItem{id: id, refs: 1, readonly: readonly, tree: src.tree().clone()}
	// The root directory of the copy is a new inode of the new tree; the
	// entry pointing at it is made in the committing transaction.
	snap := fs.getRoot(id)
	vi, err := fs.iget(snap, firstFreeObjectid)
	if err != nil {
		tr.end()
		return err
	}
	fs.relinkEntry(tr, dirVI, d.Name(), vi, setInodeIndex(dir))
	tr.end()
	fs.commit()
	fs.trace("create_snapshot", "snapshot %d of root %d as %q (read-only %v)", id, src.id, d.Name(), readonly)
	fs.orphanCleanup(snap)
	d.Instantiate(vi)
	return nil
}

// deleteSubvolume models fs/btrfs/inode.c:btrfs_delete_subvolume for rmdir
// of an empty subvolume: its entry goes and its root's reference count
// drops to 0; the tree is dropped later, by the cleaner (here: at the next
// mount). Descriptors open in it keep working, but st_dev reads 0.
func (fs *fsInfo) deleteSubvolume(dirVI *vfs.Inode, d *vfs.Dentry) error {
	sub := info(d.Inode()).root
	tr, err := fs.startTransaction("btrfs_delete_subvolume")
	if err != nil {
		return err
	}
	defer tr.end()
	fs.unlinkEntry(tr, dirVI, d.Name())
	sub.item.refs = 0
	fs.trace("btrfs_delete_subvolume", "subvolume %d", sub.id)
	return nil
}

// SubvolumeOf returns the id of the subvolume inode i is in (what
// BTRFS_IOC_INO_LOOKUP reports as the tree id), or false when i is not a
// btrfssim inode.
func SubvolumeOf(i *vfs.Inode) (uint64, bool) {
	ei, ok := i.Private.(*inodeInfo)
	if !ok {
		return 0, false
	}
	return ei.root.id, true
}

// SubvolCreate implements vfs.Subvolumer: BTRFS_IOC_SUBVOL_CREATE.
func (fs *fsInfo) SubvolCreate(t *vfs.Task, dir *vfs.File, name string) error {
	return fs.snapCreate(t, dir, name, nil, false)
}

// SnapshotCreate implements vfs.Subvolumer: BTRFS_IOC_SNAP_CREATE_V2.
func (fs *fsInfo) SnapshotCreate(t *vfs.Task, dir *vfs.File, name string, srcfd int, readonly bool) error {
	return fs.snapCreate(t, dir, name, &srcfd, readonly)
}

// SubvolOrphans implements vfs.Subvolumer: the orphan items of the
// subvolume f is in, found through the unprivileged BTRFS_IOC_INO_LOOKUP
// as `btrfs inspect-internal dump-tree -t ID` would after a sync.
func (fs *fsInfo) SubvolOrphans(t *vfs.Task, f *vfs.File) ([]uint64, error) {
	a := &InoLookupArgs{Objectid: firstFreeObjectid}
	if err := fs.inoLookup(t, f, a); err != nil {
		return nil, err
	}
	inos, _ := (&Mounted{fs}).Orphans(a.TreeID)
	return inos, nil
}

// SubvolCreate implements vfs.Subvolumer for directories.
func (o dirOps) SubvolCreate(t *vfs.Task, dir *vfs.File, name string) error {
	return o.fs.SubvolCreate(t, dir, name)
}

// SnapshotCreate implements vfs.Subvolumer for directories.
func (o dirOps) SnapshotCreate(t *vfs.Task, dir *vfs.File, name string, srcfd int, readonly bool) error {
	return o.fs.SnapshotCreate(t, dir, name, srcfd, readonly)
}

// SubvolOrphans implements vfs.Subvolumer for directories.
func (o dirOps) SubvolOrphans(t *vfs.Task, f *vfs.File) ([]uint64, error) {
	return o.fs.SubvolOrphans(t, f)
}

// SubvolCreate implements vfs.Subvolumer: ENOTDIR, as the ioctl on a file.
func (o fileOps) SubvolCreate(t *vfs.Task, dir *vfs.File, name string) error {
	return o.fs.SubvolCreate(t, dir, name)
}

// SnapshotCreate implements vfs.Subvolumer: ENOTDIR, as the ioctl on a
// file.
func (o fileOps) SnapshotCreate(t *vfs.Task, dir *vfs.File, name string, srcfd int, readonly bool) error {
	return o.fs.SnapshotCreate(t, dir, name, srcfd, readonly)
}

// SubvolOrphans implements vfs.Subvolumer for files.
func (o fileOps) SubvolOrphans(t *vfs.Task, f *vfs.File) ([]uint64, error) {
	return o.fs.SubvolOrphans(t, f)
}

var (
	_ vfs.Subvolumer = dirOps{}
	_ vfs.Subvolumer = fileOps{}
)
