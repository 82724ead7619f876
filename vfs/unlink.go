package vfs

// Unlink models unlink(2): unlinkat(AT_FDCWD, path, 0).
func (t *Task) Unlink(path string) error {
	t.enter()
	return pathErr("unlink", path, t.doUnlinkat(AT_FDCWD, path))
}

// Rmdir models rmdir(2): unlinkat(AT_FDCWD, path, AT_REMOVEDIR).
func (t *Task) Rmdir(path string) error {
	t.enter()
	return pathErr("rmdir", path, t.doRmdir(AT_FDCWD, path))
}

// Unlinkat models unlinkat(2). With AT_REMOVEDIR it is rmdir, otherwise
// unlink; any other flag is EINVAL, checked before the path.
func (t *Task) Unlinkat(dirfd int, path string, flags int) error {
	t.enter()
	if flags&^AT_REMOVEDIR != 0 {
		return pathErr("unlinkat", path, EINVAL)
	}
	if flags&AT_REMOVEDIR != 0 {
		return pathErr("unlinkat", path, t.doRmdir(dirfd, path))
	}
	return pathErr("unlinkat", path, t.doUnlinkat(dirfd, path))
}

// doUnlinkat models fs/namei.c:do_unlinkat.
//
// Errors, in order: the parent walk's; EISDIR for a last component ".",
// ".." or "/"; EROFS (before the name is looked up, so it beats ENOENT);
// ENOENT for a missing name; with a trailing slash EISDIR for a directory
// and ENOTDIR for anything else (a symlink to a directory included — the
// final symlink is never followed); then those of vfs_unlink: EACCES, EPERM
// (sticky directory, append-only or immutable), EISDIR, EBUSY for a
// mountpoint.
func (t *Task) doUnlinkat(dfd int, name string) error {
	k := t.k
	var nd nameidata
	if err := t.lookupParent(&nd, dfd, name); err != nil {
		return err
	}
	defer nd.release()
	if nd.lastType != lastNorm {
		return EISDIR
	}
	if err := mntWantWrite(nd.path.Mnt); err != nil {
		return err
	}
	defer mntDropWrite(nd.path.Mnt)
	dir := nd.path.Dentry.inode
	k.InodeLock(dir, "do_unlinkat")
	d, err := k.lookupForCreate(nd.path.Dentry, nd.last)
	if err == nil && d.inode == nil {
		err = ENOENT
	}
	if err == nil && nd.trailing {
		if d.inode.Mode.IsDir() {
			err = EISDIR
		} else {
			err = ENOTDIR
		}
	}
	var victim *Inode
	if err == nil {
		victim = d.inode
		Ihold(victim)
		err = t.vfsUnlink(dir, d)
	}
	if d != nil {
		Dput(d)
	}
	k.InodeUnlock(dir, "do_unlinkat")
	if victim != nil {
		// The last reference of an inode whose last name just went, and
		// which nobody has open, evicts it here.
		Iput(victim)
	}
	return err
}

// vfsUnlink models fs/namei.c:vfs_unlink.
func (t *Task) vfsUnlink(dir *Inode, d *Dentry) error {
	k := t.k
	if err := t.mayDelete(dir, d, false); err != nil {
		return err
	}
	u, ok := dir.Ops.(Unlinker)
	if !ok {
		return EPERM
	}
	target := d.inode
	k.InodeLock(target, "vfs_unlink")
	var err error
	if t.isLocalMountpoint(d) {
		err = EBUSY
	} else {
		k.tick()
		err = u.Unlink(dir, d)
	}
	k.InodeUnlock(target, "vfs_unlink")
	if err != nil {
		return err
	}
	if k.Tracing() {
		k.Tracef("fs/namei.c:vfs_unlink", "%s (inode %d, nlink now %d)", d.fsPath(), target.Ino, target.nlink)
	}
	k.detachMounts(d)
	dDelete(d)
	return nil
}

// doRmdir models fs/namei.c:do_rmdir.
//
// Errors, in order: the parent walk's; ENOTEMPTY for "..", EINVAL for ".",
// EBUSY for "/"; EROFS; ENOENT for a missing name; then those of vfs_rmdir:
// EACCES, EPERM (sticky), ENOTDIR, EBUSY (a mountpoint), ENOTEMPTY.
func (t *Task) doRmdir(dfd int, name string) error {
	k := t.k
	var nd nameidata
	if err := t.lookupParent(&nd, dfd, name); err != nil {
		return err
	}
	defer nd.release()
	switch nd.lastType {
	case lastDotDot:
		return ENOTEMPTY
	case lastDot:
		return EINVAL
	case lastRoot:
		return EBUSY
	}
	if err := mntWantWrite(nd.path.Mnt); err != nil {
		return err
	}
	defer mntDropWrite(nd.path.Mnt)
	dir := nd.path.Dentry.inode
	k.InodeLock(dir, "do_rmdir")
	defer k.InodeUnlock(dir, "do_rmdir")
	d, err := k.lookupForCreate(nd.path.Dentry, nd.last)
	if err != nil {
		return err
	}
	defer Dput(d)
	if d.inode == nil {
		return ENOENT
	}
	return t.vfsRmdir(dir, d)
}

// vfsRmdir models fs/namei.c:vfs_rmdir. A removed directory is marked dead
// (S_DEAD): nothing can be created in it any more, though a task whose cwd
// it is, or an open file on it, keeps it alive.
func (t *Task) vfsRmdir(dir *Inode, d *Dentry) error {
	k := t.k
	if err := t.mayDelete(dir, d, true); err != nil {
		return err
	}
	r, ok := dir.Ops.(Rmdirer)
	if !ok {
		return EPERM
	}
	victim := d.inode
	k.InodeLock(victim, "vfs_rmdir")
	var err error = EBUSY
	if !t.isLocalMountpoint(d) {
		k.tick()
		if err = r.Rmdir(dir, d); err == nil {
			shrinkDcache(d)
			victim.Flags |= S_DEAD
		}
	}
	k.InodeUnlock(victim, "vfs_rmdir")
	if err != nil {
		return err
	}
	if k.Tracing() {
		k.Tracef("fs/namei.c:vfs_rmdir", "%s (inode %d)", d.fsPath(), victim.Ino)
	}
	k.detachMounts(d)
	dDelete(d)
	return nil
}
