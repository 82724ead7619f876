package vfs

// Mkdir models mkdir(2): mkdirat(AT_FDCWD, path, mode).
func (t *Task) Mkdir(path string, mode FileMode) error {
	t.enter()
	return pathErr("mkdir", path, t.doMkdirat(AT_FDCWD, path, mode))
}

// Mkdirat models mkdirat(2) (fs/namei.c:do_mkdirat). A trailing slash is
// allowed. The new directory's mode is mode & 01777 minus the umask.
//
// Errors, in order: the parent walk's; EEXIST for ".", ".." or "/" and for
// an existing name (a dangling symlink included); ENOENT in a removed
// directory; EROFS; EACCES without write and search permission on the
// parent; EMLINK at the superblock's link limit; the filesystem's own
// (ENOSPC, EMLINK).
func (t *Task) Mkdirat(dirfd int, path string, mode FileMode) error {
	t.enter()
	return pathErr("mkdirat", path, t.doMkdirat(dirfd, path, mode))
}

func (t *Task) doMkdirat(dfd int, name string, mode FileMode) error {
	var c createCtx
	if err := t.filenameCreate(&c, dfd, name, true); err != nil {
		return err
	}
	defer c.done()
	return t.vfsMkdir(c.dir(), c.d, mode&(S_IRWXUGO|S_ISVTX)&^t.fs.umask)
}

// vfsMkdir models fs/namei.c:vfs_mkdir.
func (t *Task) vfsMkdir(dir *Inode, d *Dentry, mode FileMode) error {
	if err := t.mayCreate(dir, d); err != nil {
		return err
	}
	m, ok := dir.Ops.(Mkdirer)
	if !ok {
		return EPERM
	}
	if max := dir.Sb.MaxLinks; max != 0 && t.k.opts.Era == Upstream && dir.nlink >= max {
		return EMLINK
	}
	t.k.tick()
	if err := m.Mkdir(dir, d, S_IFDIR|mode); err != nil {
		return err
	}
	t.finishCreate(d, "vfs_mkdir")
	return nil
}

// Mknod models mknod(2): mknodat(AT_FDCWD, path, mode, dev).
func (t *Task) Mknod(path string, mode FileMode, dev uint32) error {
	t.enter()
	return pathErr("mknod", path, t.doMknodat(AT_FDCWD, path, mode, dev))
}

// Mkfifo models mkfifo(3): mknod(path, S_IFIFO|mode, 0).
func (t *Task) Mkfifo(path string, mode FileMode) error {
	t.enter()
	return pathErr("mkfifo", path, t.doMknodat(AT_FDCWD, path, S_IFIFO|mode&S_IALLUGO, 0))
}

// Mknodat models mknodat(2) (fs/namei.c:do_mknodat).
//
// Errors, in order: the type is checked first — EPERM for S_IFDIR, EINVAL
// for an unknown type (a type of 0 means a regular file); then as Mkdirat
// but a trailing slash gives ENOENT; then EPERM for a device node without
// CAP_MKNOD.
func (t *Task) Mknodat(dirfd int, path string, mode FileMode, dev uint32) error {
	t.enter()
	return pathErr("mknodat", path, t.doMknodat(dirfd, path, mode, dev))
}

func (t *Task) doMknodat(dfd int, name string, mode FileMode, dev uint32) error {
	switch mode.Type() {
	case S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, 0:
	case S_IFDIR:
		return EPERM
	default:
		return EINVAL
	}
	var c createCtx
	if err := t.filenameCreate(&c, dfd, name, false); err != nil {
		return err
	}
	defer c.done()
	mode = mode&S_IFMT | mode&S_IALLUGO&^t.fs.umask
	dir := c.dir()
	switch mode.Type() {
	case 0, S_IFREG:
		return t.vfsCreate(dir, c.d, mode&S_IALLUGO|S_IFREG)
	}
	if err := t.mayCreate(dir, c.d); err != nil {
		return err
	}
	if (mode.Type() == S_IFCHR || mode.Type() == S_IFBLK) && !t.cred.Capable(CAP_MKNOD) {
		return EPERM
	}
	m, ok := dir.Ops.(Mknoder)
	if !ok {
		return EPERM
	}
	t.k.tick()
	if err := m.Mknod(dir, c.d, mode, dev); err != nil {
		return err
	}
	t.finishCreate(c.d, "vfs_mknod")
	return nil
}

// vfsCreate models fs/namei.c:vfs_create.
func (t *Task) vfsCreate(dir *Inode, d *Dentry, mode FileMode) error {
	if err := t.mayCreate(dir, d); err != nil {
		return err
	}
	c, ok := dir.Ops.(Creator)
	if !ok {
		return EACCES
	}
	t.k.tick()
	if err := c.Create(dir, d, mode, true); err != nil {
		return err
	}
	t.finishCreate(d, "vfs_create")
	return nil
}

// Symlink models symlink(2): symlinkat(target, AT_FDCWD, linkpath).
func (t *Task) Symlink(target, linkpath string) error {
	t.enter()
	return linkErr("symlink", target, linkpath, t.doSymlinkat(target, AT_FDCWD, linkpath))
}

// Symlinkat models symlinkat(2) (fs/namei.c:do_symlinkat).
//
// Errors, in order: the target is checked first — ENOENT when empty,
// ENAMETOOLONG at PATH_MAX or more; then as Mknodat.
func (t *Task) Symlinkat(target string, newdirfd int, linkpath string) error {
	t.enter()
	return linkErr("symlinkat", target, linkpath, t.doSymlinkat(target, newdirfd, linkpath))
}

func (t *Task) doSymlinkat(target string, dfd int, name string) error {
	if err := cString(target, name); err != nil {
		return err
	}
	if target == "" {
		return ENOENT
	}
	if len(target) >= PATH_MAX {
		return ENAMETOOLONG
	}
	var c createCtx
	if err := t.filenameCreate(&c, dfd, name, false); err != nil {
		return err
	}
	defer c.done()
	dir := c.dir()
	if err := t.mayCreate(dir, c.d); err != nil {
		return err
	}
	s, ok := dir.Ops.(Symlinker)
	if !ok {
		return EPERM
	}
	t.k.tick()
	if err := s.Symlink(dir, c.d, target); err != nil {
		return err
	}
	t.finishCreate(c.d, "vfs_symlink")
	return nil
}
