package vfs

// Chmod models chmod(2) (fs/open.c:chmod_common).
//
// Errors: the lookup's; EROFS; EPERM unless the caller owns the file or has
// CAP_FOWNER.
func (t *Task) Chmod(path string, mode FileMode) error {
	t.enter()
	return pathErr("chmod", path, t.withPath(path, func(p Path) error { return t.chmodCommon(p, mode) }))
}

// Fchmod models fchmod(2).
func (t *Task) Fchmod(fd int, mode FileMode) error {
	t.enter()
	f, err := t.fget(fd)
	if err == nil {
		err = t.chmodCommon(f.path, mode)
	}
	return pathErr("fchmod", fdName(fd), err)
}

func (t *Task) withPath(path string, fn func(Path) error) error {
	p, err := t.lookupPath(AT_FDCWD, path, lookupFollow)
	if err != nil {
		return err
	}
	defer PathPut(p)
	return fn(p)
}

func (t *Task) chmodCommon(p Path, mode FileMode) error {
	if err := mntWantWrite(p.Mnt); err != nil {
		return err
	}
	defer mntDropWrite(p.Mnt)
	inode := p.Dentry.inode
	if !ownerOrCapable(t.cred, inode) {
		return EPERM
	}
	mode &= S_IALLUGO
	// setattr_prepare: a caller outside the file's group, without
	// CAP_FSETID, cannot set setgid.
	if !t.cred.InGroup(inode.GID) && !t.cred.Capable(CAP_FSETID) {
		mode &^= S_ISGID
	}
	return t.notifyChange(inode, &Iattr{Valid: ATTR_MODE, Mode: mode})
}

// Chown models chown(2) (fs/open.c:chown_common). A uid or gid of
// 0xffffffff (-1) leaves that id unchanged.
//
// Errors: the lookup's; EROFS; EPERM when changing the owner without
// CAP_CHOWN, or the group to one the caller is not in without CAP_CHOWN.
func (t *Task) Chown(path string, uid, gid uint32) error {
	t.enter()
	return pathErr("chown", path, t.withPath(path, func(p Path) error {
		if err := mntWantWrite(p.Mnt); err != nil {
			return err
		}
		defer mntDropWrite(p.Mnt)
		inode := p.Dentry.inode
		attr := &Iattr{}
		if uid != ^uint32(0) && uid != inode.UID {
			if !t.cred.Capable(CAP_CHOWN) {
				return EPERM
			}
			attr.Valid |= ATTR_UID
			attr.UID = uid
		}
		if gid != ^uint32(0) && gid != inode.GID {
			if !t.cred.Capable(CAP_CHOWN) && (t.cred.UID != inode.UID || !t.cred.InGroup(gid)) {
				return EPERM
			}
			attr.Valid |= ATTR_GID
			attr.GID = gid
		}
		if attr.Valid == 0 {
			return nil
		}
		return t.notifyChange(inode, attr)
	}))
}

// SetInodeFlags models ioctl(fd, FS_IOC_SETFLAGS) as chattr(1) uses it,
// restricted to the two flags the VFS consults: S_APPEND (chattr +a) and
// S_IMMUTABLE (chattr +i).
//
// Errors:
//   - EBADF: fd is not open.
//   - ENOTTY: the filesystem has no fileattr_set.
//   - EROFS: the mount is read-only.
//   - EPERM: the caller neither owns the file nor has CAP_FOWNER, or changes
//     S_APPEND or S_IMMUTABLE without CAP_LINUX_IMMUTABLE.
func (t *Task) SetInodeFlags(fd int, flags InodeFlags) error {
	t.enter()
	return pathErr("ioctl(FS_IOC_SETFLAGS)", fdName(fd), t.doSetInodeFlags(fd, flags&(S_APPEND|S_IMMUTABLE)))
}

func (t *Task) doSetInodeFlags(fd int, flags InodeFlags) error {
	f, err := t.fget(fd)
	if err != nil {
		return err
	}
	inode := f.inode
	fa, ok := inode.Ops.(FileattrSetter)
	if !ok {
		return ENOTTY
	}
	if err := mntWantWrite(f.path.Mnt); err != nil {
		return err
	}
	defer mntDropWrite(f.path.Mnt)
	if !ownerOrCapable(t.cred, inode) {
		return EPERM
	}
	if (inode.Flags^flags)&(S_APPEND|S_IMMUTABLE) != 0 && !t.cred.Capable(CAP_LINUX_IMMUTABLE) {
		return EPERM
	}
	t.k.tick()
	t.k.InodeLock(inode, "vfs_fileattr_set")
	defer t.k.InodeUnlock(inode, "vfs_fileattr_set")
	if err := fa.FileattrSet(inode, flags); err != nil {
		return err
	}
	inode.Flags = inode.Flags&^(S_APPEND|S_IMMUTABLE) | flags
	inode.Touch(false, true)
	return nil
}
