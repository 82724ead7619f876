package vfs

import "fmt"

// Ioctler is the file operation unlocked_ioctl: filesystem-specific
// commands on an open file (btrfs's subvolume and snapshot creation).
type Ioctler interface {
	// Ioctl runs cmd with arg (a command-specific Go value standing for the
	// user-space argument structure) for t on f, and returns the ioctl's
	// non-negative result.
	//
	// Errors: ENOTTY for an unknown command; the command's own.
	Ioctl(t *Task, f *File, cmd uint, arg any) (int, error)
}

// Ioctl models ioctl(2) for the commands filesystems define (fs/ioctl.c:
// do_vfs_ioctl falling through to vfs_ioctl).
//
// Errors, in order: EBADF when fd is not open or is an O_PATH descriptor;
// ENOTTY when the file's filesystem has no ioctls or fd is a special file;
// the filesystem's.
func (t *Task) Ioctl(fd int, cmd uint, arg any) (int, error) {
	t.enter()
	f, err := t.fgetIO(fd)
	if err != nil {
		return -1, pathErr("ioctl", fdName(fd), err)
	}
	// Special files (fifos, devices, sockets) have the file operations of
	// their kind, not the filesystem's (init_special_inode).
	io, ok := f.inode.Ops.(Ioctler)
	if m := f.inode.Mode; !ok || !m.IsRegular() && !m.IsDir() {
		return -1, pathErr("ioctl", fdName(fd), ENOTTY)
	}
	n, err := io.Ioctl(t, f, cmd, arg)
	if err != nil {
		return -1, pathErr(fmt.Sprintf("ioctl(%#x)", cmd), fdName(fd), err)
	}
	return n, nil
}

// MntWantWriteFile models fs/namespace.c:mnt_want_write_file for an
// ioctl that modifies the filesystem: EROFS on a read-only mount. Call the
// returned function when done.
func (t *Task) MntWantWriteFile(f *File) (done func(), err error) {
	if err := mntWantWrite(f.path.Mnt); err != nil {
		return nil, err
	}
	return func() { mntDropWrite(f.path.Mnt) }, nil
}

// CreateNamed lets a filesystem's ioctl make a new name in directory dir
// the way btrfs_mksubvol does: it takes dir's i_rwsem, looks name up
// (lookup_one: EACCES without search permission or for an empty name),
// checks that it may be created there (EEXIST, ENOENT for a removed
// directory, EACCES or EROFS from the directory's permission), and
// calls create with the locked directory and the negative dentry, which
// create must instantiate. The name itself is the caller's to validate.
//
// Errors, in order: the lookup's (EACCES; ENAMETOOLONG from the
// filesystem), may_create's, create's.
func (t *Task) CreateNamed(dir Path, name string, create func(dir *Inode, d *Dentry) error) error {
	k := t.k
	inode := dir.Dentry.inode
	k.InodeLock(inode, "btrfs_mksubvol")
	defer k.InodeUnlock(inode, "btrfs_mksubvol")
	// lookup_one: search permission on the directory, and a name.
	if err := t.permission(inode, MAY_EXEC); err != nil {
		return err
	}
	if name == "" {
		return EACCES
	}
	d, err := k.lookupForCreate(dir.Dentry, name)
	if err != nil {
		return err
	}
	defer Dput(d)
	if err := t.mayCreate(inode, d); err != nil {
		return err
	}
	k.tick()
	if err := create(inode, d); err != nil {
		return err
	}
	t.finishCreate(d, "btrfs_mksubvol")
	return nil
}

// OwnerOrCapable models fs/inode.c:inode_owner_or_capable for c.
func OwnerOrCapable(c *Cred, i *Inode) bool { return ownerOrCapable(c, i) }
