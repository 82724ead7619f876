package vfs

// Link models link(2): linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0).
func (t *Task) Link(oldpath, newpath string) error {
	t.enter()
	return linkErr("link", oldpath, newpath, t.doLinkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0))
}

// Linkat models linkat(2) (fs/namei.c:do_linkat).
//
// With AT_SYMLINK_FOLLOW a symlink in oldpath's last component is followed;
// /proc/self/fd/N is such a link, a magic one that jumps to the open file
// itself — unlinked or not. With AT_EMPTY_PATH and an empty oldpath, the
// file behind olddirfd is linked ("flink").
//
// Errors, in the order the current kernel finds them (docs/linux-semantics.md
// §1.1, §1.2):
//   - EINVAL: flags other than AT_SYMLINK_FOLLOW|AT_EMPTY_PATH (and
//     AT_EMPTY_PATH itself before 2.6.39).
//   - ENOENT (AT_EMPTY_PATH): the file was opened with other credentials and
//     the caller lacks CAP_DAC_READ_SEARCH.
//   - ENOENT, ENOTDIR, EACCES, ELOOP, ENAMETOOLONG: looking up oldpath.
//   - the errors of creating newpath: EEXIST (it exists, or is "." or
//     ".."), ENOENT (missing parent, trailing slash, removed directory),
//     EROFS.
//   - EXDEV: the two paths are on different mounts. Before 3.x this check
//     came before creating newpath, so it beat EEXIST and EROFS.
//   - EPERM (fs.protected_hardlinks): the caller neither owns the source
//     nor has CAP_FOWNER, and the source is not a safe one.
//   - then those of vfs_link: see VFSLink.
func (t *Task) Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	t.enter()
	return linkErr("linkat", oldpath, newpath, t.doLinkat(olddirfd, oldpath, newdirfd, newpath, flags))
}

func (t *Task) doLinkat(olddfd int, oldname string, newdfd int, newname string, flags int) error {
	if err := cString(oldname, newname); err != nil {
		return err
	}
	valid := AT_SYMLINK_FOLLOW
	if t.k.opts.Era.HasAtEmptyPath() {
		valid |= AT_EMPTY_PATH
	}
	if flags&^valid != 0 {
		return EINVAL
	}
	var lf lookupFlags
	if flags&AT_SYMLINK_FOLLOW != 0 {
		lf |= lookupFollow
	}
	if flags&AT_EMPTY_PATH != 0 {
		lf |= lookupEmpty | lookupLinkatEmpty
	}
	old, err := t.lookupPath(olddfd, oldname, lf)
	if err != nil {
		return err
	}
	defer PathPut(old)
	t.k.PreemptPoint("do_linkat: between the source lookup and the link")
	return t.doKernLinkat(old, newdfd, newname)
}

// KernLinkat models fs/namei.c:do_kern_linkat from the seed's patch 03: the
// second half of linkat, taking the source as a path rather than a user
// string. The checkpoint code calls it with an open file's f_path to relink
// an unlinked file, which no path string can name. The caller keeps its
// references on old.
//
// Errors: as Linkat after the source lookup.
func (t *Task) KernLinkat(old Path, newdirfd int, newpath string) error {
	t.enter()
	return linkErr("do_kern_linkat", t.DPath(old), newpath, t.doKernLinkat(old, newdirfd, newpath))
}

func (t *Task) doKernLinkat(old Path, newdfd int, newname string) error {
	era := t.k.opts.Era
	if era.ChecksMountBeforeCreate() {
		return t.doLinkatOld(old, newdfd, newname)
	}
	var c createCtx
	if err := t.filenameCreate(&c, newdfd, newname, false); err != nil {
		return err
	}
	defer c.done()
	if old.Mnt != c.nd.path.Mnt {
		return EXDEV
	}
	if t.k.opts.ProtectedHardlinks && era.HasProtectedHardlinks() {
		if err := t.mayLinkat(old); err != nil {
			return err
		}
	}
	return t.vfsLink(old.Dentry, c.dir(), c.d)
}

// doLinkatOld is do_linkat as the seed's patch 03 split it on 2.6.38 (and
// as 2.6.18 had it inline): look up the new parent, compare mounts (EXDEV
// first), then lookup_create (EEXIST, ENOENT for a trailing slash), then
// mnt_want_write (EROFS), then vfs_link.
func (t *Task) doLinkatOld(old Path, newdfd int, newname string) error {
	k := t.k
	var nd nameidata
	if err := t.lookupParent(&nd, newdfd, newname); err != nil {
		return err
	}
	defer nd.release()
	if old.Mnt != nd.path.Mnt {
		return EXDEV
	}
	if nd.lastType != lastNorm {
		return EEXIST
	}
	dir := nd.path.Dentry
	// The lock is taken by lookup_create and dropped by do_linkat itself;
	// both are labelled do_linkat, the function this one models.
	k.InodeLock(dir.inode, "do_linkat")
	defer k.InodeUnlock(dir.inode, "do_linkat")
	d, err := k.lookupForCreate(dir, nd.last)
	if err != nil {
		return err
	}
	defer Dput(d)
	if d.inode != nil {
		return EEXIST
	}
	if nd.trailing {
		return ENOENT
	}
	if err := mntWantWrite(nd.path.Mnt); err != nil {
		return err
	}
	defer mntDropWrite(nd.path.Mnt)
	return t.vfsLink(old.Dentry, dir.inode, d)
}

// mayLinkat models fs/namei.c:may_linkat with fs.protected_hardlinks=1: the
// owner of the source, or a caller with CAP_FOWNER, may link anything;
// others only a "safe" source (safe_hardlink_source): a regular file that is
// not setuid, not setgid-and-group-executable, and that the caller may both
// read and write.
func (t *Task) mayLinkat(old Path) error {
	inode := old.Dentry.inode
	if ownerOrCapable(t.cred, inode) {
		return nil
	}
	m := inode.Mode
	safe := m.IsRegular() && m&S_ISUID == 0 && m&(S_ISGID|0o010) != S_ISGID|0o010 &&
		t.permission(inode, MAY_READ|MAY_WRITE) == nil
	if safe {
		return nil
	}
	return EPERM
}

// VFSLink models fs/namei.c:vfs_link: link the inode of old into dir under
// the negative dentry newD. It is exported for kernel-side callers
// (filesystems' tests, and the planned checkpoint code); system calls reach
// it through Linkat.
//
// Errors, in order:
//   - ENOENT: old is negative.
//   - EEXIST, ENOENT, EACCES: may_create (newD exists; dir was removed; no
//     write or search permission on dir).
//   - EXDEV: old's inode is on another superblock.
//   - EPERM: the source is append-only or immutable; dir has no link
//     operation; the source is a directory.
//   - ENOENT (upstream only): the source's nlink is 0 and it is not
//     I_LINKABLE — the check aae8a97d3ec3 added in 2.6.39 to close the
//     2007 race everywhere.
//   - EMLINK (upstream only): nlink reached the superblock's s_max_links.
//   - whatever the filesystem's Link (or, under Relink2011, Relink)
//     returns.
//
// On success upstream clears I_LINKABLE: an O_TMPFILE inode may come back
// from nlink 0 once.
func (t *Task) VFSLink(old *Dentry, dir *Inode, newD *Dentry) error {
	t.enter()
	return t.vfsLink(old, dir, newD)
}

func (t *Task) vfsLink(old *Dentry, dir *Inode, newD *Dentry) error {
	k := t.k
	era := k.opts.Era
	inode := old.inode
	if inode == nil {
		return ENOENT
	}
	if err := t.mayCreate(dir, newD); err != nil {
		return err
	}
	if dir.Sb != inode.Sb {
		return EXDEV
	}
	if inode.Flags&(S_APPEND|S_IMMUTABLE) != 0 {
		return EPERM
	}
	linker, ok := dir.Ops.(Linker)
	if !ok {
		return EPERM
	}
	if inode.Mode.IsDir() {
		return EPERM
	}
	k.InodeLock(inode, "vfs_link")
	defer k.InodeUnlock(inode, "vfs_link")
	if era.VFSChecksNlink() && inode.nlink == 0 && inode.state&I_LINKABLE == 0 {
		if k.Tracing() {
			k.Tracef("fs/namei.c:vfs_link", "inode %d has nlink 0 and is not I_LINKABLE: ENOENT", inode.Ino)
		}
		return ENOENT
	}
	if era == Upstream && dir.Sb.MaxLinks != 0 && inode.nlink >= dir.Sb.MaxLinks {
		return EMLINK
	}
	k.tick()
	var err error
	if relinker, ok := dir.Ops.(Relinker); ok && era.HasRelinkOp() {
		if k.Tracing() {
			k.Tracef("fs/namei.c:vfs_link", "calling .relink for inode %d (nlink %d)", inode.Ino, inode.nlink)
		}
		err = relinker.Relink(old, dir, newD)
	} else {
		if k.Tracing() {
			k.Tracef("fs/namei.c:vfs_link", "calling .link for inode %d (nlink %d)", inode.Ino, inode.nlink)
		}
		err = linker.Link(old, dir, newD)
	}
	if err != nil {
		return err
	}
	if era == Upstream {
		inode.state &^= I_LINKABLE
	}
	t.finishCreate(newD, "vfs_link")
	return nil
}
