package vfs

// Open models open(2): openat(AT_FDCWD, path, flags, mode).
func (t *Task) Open(path string, flags int, mode FileMode) (int, error) {
	t.enter()
	fd, err := t.doOpenat(AT_FDCWD, path, flags, mode)
	return fd, pathErr("open", path, err)
}

// Creat models creat(2): open with O_CREAT|O_WRONLY|O_TRUNC.
func (t *Task) Creat(path string, mode FileMode) (int, error) {
	t.enter()
	fd, err := t.doOpenat(AT_FDCWD, path, O_CREAT|O_WRONLY|O_TRUNC, mode)
	return fd, pathErr("creat", path, err)
}

// Openat models openat(2) (fs/open.c:do_sys_openat2 and
// fs/namei.c:path_openat). It returns the new descriptor.
//
// Errors, in the order the kernel finds them:
//   - EINVAL: O_TMPFILE without write access or with O_CREAT; O_CREAT with
//     O_DIRECTORY (6.4+).
//   - ENAMETOOLONG: path is PATH_MAX bytes or longer; ENOENT: it is empty.
//   - EMFILE: no descriptor is free (checked before the path is walked).
//   - ENAMETOOLONG, ENOENT, ENOTDIR, EACCES, ELOOP: from the path walk.
//   - EISDIR: O_CREAT with a trailing slash; O_CREAT on a directory; a
//     directory opened for writing or with O_TRUNC.
//   - EEXIST: O_CREAT|O_EXCL on an existing name (symlinks included: O_EXCL
//     implies O_NOFOLLOW).
//   - ENOENT: the name does not exist and O_CREAT is not given, or its
//     directory was removed.
//   - EROFS: creating, truncating or writing on a read-only mount.
//   - ELOOP: O_NOFOLLOW and the last component is a symlink.
//   - ENOTDIR: O_DIRECTORY and the result is not a directory.
//   - EPERM: writing an append-only file without O_APPEND; truncating it.
//   - ENXIO: O_WRONLY|O_NONBLOCK on a fifo without readers.
//   - ENXIO: a device node (no driver) or a socket.
//   - EOPNOTSUPP: O_TMPFILE on a filesystem without tmpfile.
func (t *Task) Openat(dirfd int, path string, flags int, mode FileMode) (int, error) {
	t.enter()
	fd, err := t.doOpenat(dirfd, path, flags, mode)
	return fd, pathErr("openat", path, err)
}

// openOp models struct open_flags: the decoded request.
type openOp struct {
	flags   int
	mode    FileMode
	accMode int
	lookup  lookupFlags
}

// buildOpenFlags models fs/open.c:build_open_flags.
func (t *Task) buildOpenFlags(flags int, mode FileMode) (openOp, error) {
	op := openOp{}
	era := t.k.opts.Era
	if !era.HasTmpfile() {
		// Before 3.11 the __O_TMPFILE bit meant nothing; O_DIRECTORY, which
		// O_TMPFILE includes, still applies.
		flags &^= o_TMPFILE_
	}
	if flags&(O_CREAT|o_TMPFILE_) != 0 {
		op.mode = mode&S_IALLUGO | S_IFREG
	}
	if era == Upstream && flags&O_CREAT != 0 && flags&O_DIRECTORY != 0 {
		return op, EINVAL
	}
	switch flags & O_ACCMODE {
	case O_RDONLY:
		op.accMode = MAY_READ
	case O_WRONLY:
		op.accMode = MAY_WRITE
	default:
		op.accMode = MAY_READ | MAY_WRITE
	}
	if flags&o_TMPFILE_ != 0 {
		if flags&(o_TMPFILE_|O_DIRECTORY|O_CREAT) != O_TMPFILE {
			return op, EINVAL
		}
		if op.accMode&MAY_WRITE == 0 {
			return op, EINVAL
		}
	}
	if flags&O_PATH != 0 {
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
		op.accMode = 0
	}
	if flags&O_TRUNC != 0 {
		op.accMode |= MAY_WRITE
	}
	if flags&O_CREAT != 0 && flags&O_EXCL != 0 {
		flags |= O_NOFOLLOW
	}
	if flags&O_DIRECTORY != 0 {
		op.lookup |= lookupDirectory
	}
	if flags&O_NOFOLLOW == 0 {
		op.lookup |= lookupFollow
	}
	op.flags = flags
	return op, nil
}

func (t *Task) doOpenat(dirfd int, path string, flags int, mode FileMode) (int, error) {
	op, err := t.buildOpenFlags(flags, mode)
	if err != nil {
		return -1, err
	}
	switch {
	case cString(path) != nil:
		return -1, EINVAL // refused before the call (cString)
	case len(path) >= PATH_MAX:
		return -1, ENAMETOOLONG // getname
	case path == "":
		return -1, ENOENT // getname refuses an empty name
	}
	if !t.fdAvailable() {
		return -1, EMFILE // get_unused_fd_flags runs before the walk
	}
	var f *File
	if op.flags&o_TMPFILE_ != 0 {
		f, err = t.doTmpfile(dirfd, path, op)
	} else {
		f, err = t.pathOpenat(dirfd, path, op)
	}
	if err != nil {
		return -1, err
	}
	fd, err := t.installFD(f)
	if err != nil {
		Fput(f)
		return -1, err
	}
	return fd, nil
}

// pathOpenat models fs/namei.c:path_openat for everything but O_TMPFILE.
func (t *Task) pathOpenat(dirfd int, path string, op openOp) (*File, error) {
	var ndata nameidata
	nd := &ndata
	if err := t.pathInit(nd, dirfd, path, op.lookup); err != nil {
		return nil, err
	}
	defer nd.release()
	if err := nd.linkPathWalk(path); err != nil {
		return nil, err
	}
	nd.unlazy()
	created := false
	for {
		done, c, err := t.openLastLookups(nd, op)
		if err != nil {
			return nil, err
		}
		if done {
			created = c
			break
		}
	}
	return t.doOpen(nd, op, created)
}

// openLastLookups models fs/namei.c:open_last_lookups: it resolves (or, with
// O_CREAT, creates) the last component. It reports done when nd.path is the
// file to open, created when this call made it, and !done when it stepped
// onto a symlink body whose own last component needs another round.
func (t *Task) openLastLookups(nd *nameidata, op openOp) (done, created bool, err error) {
	k := t.k
	if nd.lastType != lastNorm {
		if nd.lastType == lastDotDot {
			err = nd.followDotDot()
		}
		return true, false, err
	}
	if op.flags&O_CREAT == 0 {
		if nd.trailing {
			nd.flags |= lookupFollow | lookupDirectory
		}
	} else if nd.trailing {
		return false, false, EISDIR
	}
	dir := nd.path.Dentry
	gotWrite := false
	if op.flags&(O_CREAT|O_TRUNC|O_WRONLY|O_RDWR) != 0 {
		gotWrite = mntWantWrite(nd.path.Mnt) == nil
	}
	var d *Dentry
	if op.flags&O_CREAT != 0 {
		k.InodeLock(dir.inode, "open_last_lookups")
		d, created, err = t.lookupOpen(nd, op, gotWrite)
		k.InodeUnlock(dir.inode, "open_last_lookups")
	} else {
		d, err = k.lookupCached(dir, nd.last)
	}
	if gotWrite {
		mntDropWrite(nd.path.Mnt)
	}
	if err != nil {
		return false, false, err
	}
	if created {
		nd.setPath(Path{Mntget(nd.path.Mnt), d})
		return true, true, nil
	}
	link, isLink := nd.stepInto(d, nd.flags&lookupFollow != 0)
	if !isLink {
		return true, false, nil
	}
	body, jumped, err := nd.pickLink(link)
	if err != nil || jumped {
		return jumped, false, err
	}
	if err := nd.linkPathWalk(body); err != nil {
		return false, false, err
	}
	return false, false, nil
}

// lookupOpen models fs/namei.c:lookup_open for O_CREAT: the existing dentry,
// or a new file created in the locked directory. Write permission problems
// are only reported when the file has to be created, so an O_CREAT open of
// an existing file works in a directory the caller cannot write.
func (t *Task) lookupOpen(nd *nameidata, op openOp, gotWrite bool) (*Dentry, bool, error) {
	dir := nd.path.Dentry.inode
	if dir.IsDeadDir() {
		return nil, false, ENOENT
	}
	d, err := t.k.lookupForCreate(nd.path.Dentry, nd.last)
	if err != nil {
		return nil, false, err
	}
	if d.inode != nil {
		return d, false, nil
	}
	mode := op.mode &^ t.fs.umask
	var createErr error
	if gotWrite {
		createErr = t.permission(dir, MAY_WRITE|MAY_EXEC)
	} else {
		createErr = EROFS
	}
	if createErr != nil {
		Dput(d)
		return nil, false, createErr
	}
	c, ok := dir.Ops.(Creator)
	if !ok {
		Dput(d)
		return nil, false, EACCES
	}
	t.k.tick()
	if err := c.Create(dir, d, mode, op.flags&O_EXCL != 0); err != nil {
		Dput(d)
		return nil, false, err
	}
	t.finishCreate(d, "vfs_create")
	return d, true, nil
}

// finishCreate hashes a dentry the filesystem just instantiated.
func (t *Task) finishCreate(d *Dentry, fn string) {
	if d.inode == nil {
		Bug("%s: filesystem %s succeeded without instantiating the dentry", fn, d.sb.fsType.Name())
	}
	dAdd(d)
	if t.k.Tracing() {
		t.k.Tracef("fs/namei.c:"+fn, "%s -> inode %d", d.fsPath(), d.inode.Ino)
	}
}

// doOpen models fs/namei.c:do_open: the checks on the final object and the
// opening itself.
func (t *Task) doOpen(nd *nameidata, op openOp, created bool) (*File, error) {
	p := nd.path
	inode := p.Dentry.inode
	flags := op.flags
	if flags&O_CREAT != 0 {
		if flags&O_EXCL != 0 && !created {
			return nil, EEXIST
		}
		if inode.Mode.IsDir() {
			return nil, EISDIR
		}
	}
	// Before 5.7 a file O_CREAT|O_DIRECTORY just created was opened as is
	// (the directory check sat on the other path); 5.7 to 6.3 created it
	// and then failed with ENOTDIR; 6.4 refuses the combination up front.
	if nd.flags&lookupDirectory != 0 && !canLookup(inode) && !(created && t.k.opts.Era != Upstream) {
		return nil, ENOTDIR
	}
	accMode := op.accMode
	doTruncate := false
	if created {
		flags &^= O_TRUNC
		accMode = 0
	} else if inode.Mode.IsRegular() && flags&O_TRUNC != 0 {
		if err := mntWantWrite(p.Mnt); err != nil {
			return nil, err
		}
		defer mntDropWrite(p.Mnt)
		doTruncate = true
	}
	if flags&O_PATH == 0 {
		if err := t.mayOpen(inode, accMode, flags); err != nil {
			return nil, err
		}
	}
	f, err := t.vfsOpen(p, flags)
	if err != nil {
		return nil, err
	}
	if doTruncate {
		if err := t.doTruncate(inode, 0); err != nil {
			Fput(f)
			return nil, err
		}
	}
	return f, nil
}

// mayOpen models fs/namei.c:may_open.
func (t *Task) mayOpen(inode *Inode, accMode, flags int) error {
	switch inode.Mode.Type() {
	case S_IFLNK:
		return ELOOP
	case S_IFDIR:
		if accMode&MAY_WRITE != 0 {
			return EISDIR
		}
	case S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK:
		flags &^= O_TRUNC
	}
	if err := t.permission(inode, accMode); err != nil {
		return err
	}
	if inode.Flags&S_APPEND != 0 {
		if flags&O_ACCMODE != O_RDONLY && flags&O_APPEND == 0 {
			return EPERM
		}
		if flags&O_TRUNC != 0 {
			return EPERM
		}
	}
	if flags&O_NOATIME != 0 && !ownerOrCapable(t.cred, inode) {
		return EPERM
	}
	return nil
}

// vfsOpen models fs/open.c:vfs_open and do_dentry_open: a new File on p.
// A regular file opened for writing takes write access on its mount (EROFS
// on a read-only one); a fifo runs fifo_open.
func (t *Task) vfsOpen(p Path, flags int) (*File, error) {
	f := t.k.allocFile(p, flags&^(O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC), t.cred)
	inode := p.Dentry.inode
	if f.mode&fmodeWrite != 0 {
		if !isSpecial(inode.Mode) {
			if err := mntWantWrite(p.Mnt); err != nil {
				Fput(f)
				return nil, err
			}
			f.mntWrite = true
		}
	}
	switch {
	case flags&O_PATH != 0:
	case inode.Mode.IsFifo():
		if err := t.fifoOpen(f); err != nil {
			Fput(f)
			return nil, err
		}
	case inode.Mode.Type() == S_IFCHR || inode.Mode.Type() == S_IFBLK || inode.Mode.Type() == S_IFSOCK:
		// No driver is registered for any device number (chrdev_open,
		// blkdev_open), and a socket cannot be opened (no_open).
		Fput(f)
		return nil, ENXIO
	}
	return f, nil
}

// isSpecial models include/linux/fs.h:special_file: fifos, sockets and device
// nodes.
func isSpecial(m FileMode) bool {
	switch m.Type() {
	case S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK:
		return true
	}
	return false
}

// doTmpfile models fs/namei.c:do_tmpfile and vfs_tmpfile: an unnamed file in
// the directory path. Unless O_EXCL is given the inode is marked
// I_LINKABLE, so one link(2) may give it a name.
func (t *Task) doTmpfile(dirfd int, path string, op openOp) (*File, error) {
	dirPath, err := t.lookupPath(dirfd, path, op.lookup|lookupDirectory)
	if err != nil {
		return nil, err
	}
	defer PathPut(dirPath)
	return t.vfsTmpfileAt(dirPath, op)
}

// vfsTmpfileAt is do_tmpfile once the directory is found (dirPath, which
// the caller keeps its references on): open_by_handle_at(2) of a
// directory's handle with O_TMPFILE comes here too.
func (t *Task) vfsTmpfileAt(dirPath Path, op openOp) (*File, error) {
	if err := mntWantWrite(dirPath.Mnt); err != nil {
		return nil, err
	}
	defer mntDropWrite(dirPath.Mnt)
	dir := dirPath.Dentry.inode
	if err := t.permission(dir, MAY_WRITE|MAY_EXEC); err != nil {
		return nil, err
	}
	tf, ok := dir.Ops.(Tmpfiler)
	if !ok {
		return nil, EOPNOTSUPP
	}
	child := dAlloc(dirPath.Dentry, "/")
	defer Dput(child)
	t.k.tick()
	if err := tf.Tmpfile(dir, child, op.mode&^t.fs.umask); err != nil {
		return nil, err
	}
	if child.inode == nil || child.inode.nlink != 0 {
		Bug("vfs_tmpfile: %s's tmpfile did not call d_tmpfile", dir.Sb.describe())
	}
	inode := child.inode
	if t.k.Tracing() {
		t.k.Tracef("fs/namei.c:vfs_tmpfile", "inode %d in %s", inode.Ino, dirPath.Dentry.fsPath())
	}
	if err := t.mayOpen(inode, 0, op.flags); err != nil {
		return nil, err
	}
	f, err := t.vfsOpen(Path{dirPath.Mnt, child}, op.flags)
	if err != nil {
		return nil, err
	}
	if op.flags&O_EXCL == 0 {
		inode.state |= I_LINKABLE
	}
	return f, nil
}
