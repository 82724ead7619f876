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
	f, err := t.fgetIO(fd)
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
	if inode.Flags&(S_IMMUTABLE|S_APPEND) != 0 {
		return EPERM // notify_change
	}
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

// Chown models chown(2) (fs/open.c:chown_common with notify_change and
// setattr_prepare). A uid or gid of 0xffffffff (-1) leaves that id
// unchanged; even chown(path, -1, -1) updates ctime and, on a
// non-directory, clears setuid (and setgid where the kernel would).
//
// Errors, in order: the lookup's; EROFS; EPERM on an immutable or
// append-only file when an id is given; EPERM changing the owner without
// CAP_CHOWN (the owner may "change" it to itself), or the group to one the
// caller (the owner) is not in without CAP_CHOWN; EPERM when setuid or
// setgid must be cleared on a file the caller neither owns nor has
// CAP_FOWNER for.
func (t *Task) Chown(path string, uid, gid uint32) error {
	t.enter()
	return pathErr("chown", path, t.withPath(path, func(p Path) error {
		if err := mntWantWrite(p.Mnt); err != nil {
			return err
		}
		defer mntDropWrite(p.Mnt)
		inode := p.Dentry.inode
		attr := &Iattr{}
		if uid != ^uint32(0) {
			attr.Valid |= ATTR_UID
			attr.UID = uid
		}
		if gid != ^uint32(0) {
			attr.Valid |= ATTR_GID
			attr.GID = gid
		}
		// notify_change: the immutable check looks only at the ids asked
		// for; the kill-suid/sgid bits chown_common adds become a mode
		// change after it.
		if attr.Valid != 0 && inode.Flags&(S_IMMUTABLE|S_APPEND) != 0 {
			return EPERM
		}
		if !inode.Mode.IsDir() {
			m := inode.Mode &^ S_ISUID // ATTR_KILL_SUID, always
			if t.shouldDropSgid(inode) {
				m &^= S_ISGID // ATTR_KILL_SGID
			}
			if m != inode.Mode {
				attr.Valid |= ATTR_MODE
				attr.Mode = m
			}
		}
		// setattr_prepare: chown_ok and chgrp_ok, then the mode change's
		// owner check.
		if attr.Valid&ATTR_UID != 0 && !(t.cred.UID == inode.UID && uid == inode.UID) && !t.cred.Capable(CAP_CHOWN) {
			return EPERM
		}
		if attr.Valid&ATTR_GID != 0 && !(t.cred.UID == inode.UID && (gid == inode.GID || t.cred.InGroup(gid))) && !t.cred.Capable(CAP_CHOWN) {
			return EPERM
		}
		if attr.Valid&ATTR_MODE != 0 && !ownerOrCapable(t.cred, inode) {
			return EPERM
		}
		return t.notifyChange(inode, attr)
	}))
}

// shouldDropSgid models fs/attr.c:setattr_should_drop_sgid: setgid goes on
// a group-executable file, and on any file whose group the caller is not in
// without CAP_FSETID.
func (t *Task) shouldDropSgid(inode *Inode) bool {
	switch {
	case inode.Mode&S_ISGID == 0:
		return false
	case inode.Mode&0o010 != 0:
		return true
	}
	return !t.cred.InGroup(inode.GID) && !t.cred.Capable(CAP_FSETID)
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
	f, err := t.fgetIO(fd)
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
	// As in the filesystems' fileattr_set, the new flags and ctime are in
	// the inode when the filesystem records it; a refusal puts them back.
	oldFlags, oldCtime := inode.Flags, inode.Ctime
	inode.Flags = inode.Flags&^(S_APPEND|S_IMMUTABLE) | flags
	inode.Touch(false, true)
	if err := fa.FileattrSet(inode, flags); err != nil {
		inode.Flags, inode.Ctime = oldFlags, oldCtime
		return err
	}
	return nil
}
