package vfs

// renameat2(2) flags (include/uapi/linux/fs.h).
const (
	RENAME_NOREPLACE = 1 << 0
	RENAME_EXCHANGE  = 1 << 1
	RENAME_WHITEOUT  = 1 << 2
)

// Rename models rename(2): renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0).
func (t *Task) Rename(oldpath, newpath string) error {
	t.enter()
	return linkErr("rename", oldpath, newpath, t.doRenameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0))
}

// Renameat models renameat(2).
func (t *Task) Renameat(olddirfd int, oldpath string, newdirfd int, newpath string) error {
	t.enter()
	return linkErr("renameat", oldpath, newpath, t.doRenameat2(olddirfd, oldpath, newdirfd, newpath, 0))
}

// Renameat2 models renameat2(2) (fs/namei.c:do_renameat2), which exists
// from 3.15 on; earlier eras answer ENOSYS.
//
// Errors, in order (6.18, observed):
//   - EINVAL: unknown flags, or RENAME_EXCHANGE with NOREPLACE or WHITEOUT.
//     (RENAME_WHITEOUT needs no CAP_MKNOD since 5.8.)
//   - the two parent walks' errors.
//   - EXDEV: different mounts (this beats everything below).
//   - EBUSY: an old last component ".", "..", "/"; the same for the new
//     one, which gives EEXIST with RENAME_NOREPLACE.
//   - EROFS.
//   - ENOENT: old missing; new missing with RENAME_EXCHANGE.
//   - EEXIST: RENAME_NOREPLACE and new exists.
//   - ENOTDIR: a trailing slash on a non-directory source or target.
//   - EINVAL: moving a directory under itself; ENOTEMPTY: replacing an
//     ancestor of the source.
//   - then vfs_rename's: nothing at all when both names are the same inode;
//     EACCES, EPERM, EISDIR, ENOTDIR from may_delete/may_create; EBUSY for a
//     mountpoint; ENOTEMPTY and EMLINK from the filesystem.
func (t *Task) Renameat2(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
	t.enter()
	if !t.k.opts.Era.HasRenameat2() {
		return linkErr("renameat2", oldpath, newpath, ENOSYS)
	}
	return linkErr("renameat2", oldpath, newpath, t.doRenameat2(olddirfd, oldpath, newdirfd, newpath, flags))
}

func (t *Task) doRenameat2(olddfd int, oldname string, newdfd int, newname string, flags uint) error {
	if err := cString(oldname, newname); err != nil {
		return err
	}
	k := t.k
	if flags&^(RENAME_NOREPLACE|RENAME_EXCHANGE|RENAME_WHITEOUT) != 0 {
		return EINVAL
	}
	if flags&RENAME_EXCHANGE != 0 && flags&(RENAME_NOREPLACE|RENAME_WHITEOUT) != 0 {
		return EINVAL
	}
	var oldNd nameidata
	if err := t.lookupParent(&oldNd, olddfd, oldname); err != nil {
		return err
	}
	defer oldNd.release()
	var newNd nameidata
	if err := t.lookupParent(&newNd, newdfd, newname); err != nil {
		return err
	}
	defer newNd.release()
	if oldNd.path.Mnt != newNd.path.Mnt {
		return EXDEV
	}
	if oldNd.lastType != lastNorm {
		return EBUSY
	}
	if newNd.lastType != lastNorm {
		if flags&RENAME_NOREPLACE != 0 {
			return EEXIST
		}
		return EBUSY
	}
	mnt := oldNd.path.Mnt
	if err := mntWantWrite(mnt); err != nil {
		return err
	}
	defer mntDropWrite(mnt)
	oldParent, newParent := oldNd.path.Dentry, newNd.path.Dentry
	trap := k.lockRename(newParent, oldParent)
	defer k.unlockRename(newParent, oldParent)
	oldD, err := k.lookupForCreate(oldParent, oldNd.last)
	if err != nil {
		return err
	}
	defer Dput(oldD)
	if oldD.inode == nil {
		return ENOENT
	}
	newD, err := k.lookupForCreate(newParent, newNd.last)
	if err != nil {
		return err
	}
	defer Dput(newD)
	if flags&RENAME_NOREPLACE != 0 && newD.inode != nil {
		return EEXIST
	}
	if flags&RENAME_EXCHANGE != 0 {
		if newD.inode == nil {
			return ENOENT
		}
		if !newD.inode.Mode.IsDir() && newNd.trailing {
			return ENOTDIR
		}
	}
	if !oldD.inode.Mode.IsDir() {
		if oldNd.trailing {
			return ENOTDIR
		}
		if flags&RENAME_EXCHANGE == 0 && newNd.trailing {
			return ENOTDIR
		}
	}
	if oldD == trap {
		return EINVAL
	}
	if newD == trap {
		if flags&RENAME_EXCHANGE != 0 {
			return EINVAL
		}
		return ENOTEMPTY
	}
	return t.vfsRename(oldParent.inode, oldD, newParent.inode, newD, flags)
}

// vfsRename models fs/namei.c:vfs_rename. Renaming a name onto another
// name of the same inode succeeds and changes nothing — both names remain —
// before any permission check.
func (t *Task) vfsRename(oldDir *Inode, oldD *Dentry, newDir *Inode, newD *Dentry, flags uint) error {
	k := t.k
	source, target := oldD.inode, newD.inode
	if source == target {
		return nil
	}
	isDir := source.Mode.IsDir()
	newIsDir := target != nil && target.Mode.IsDir()
	if err := t.mayDelete(oldDir, oldD, isDir); err != nil {
		return err
	}
	if target == nil {
		if err := t.mayCreate(newDir, newD); err != nil {
			return err
		}
	} else {
		wantDir := isDir
		if flags&RENAME_EXCHANGE != 0 {
			wantDir = newIsDir
		}
		if err := t.mayDelete(newDir, newD, wantDir); err != nil {
			return err
		}
	}
	r, ok := oldDir.Ops.(Renamer)
	if !ok {
		return EPERM
	}
	// Moving a directory to another parent rewrites its "..": that needs
	// write permission on the directory itself.
	if oldDir != newDir {
		if isDir {
			if err := t.permission(source, MAY_WRITE); err != nil {
				return err
			}
		}
		if flags&RENAME_EXCHANGE != 0 && newIsDir {
			if err := t.permission(target, MAY_WRITE); err != nil {
				return err
			}
		}
	}
	k.InodeLock(source, "vfs_rename")
	if target != nil {
		k.InodeLock(target, "vfs_rename")
	}
	var err error = EBUSY
	if !t.isLocalMountpoint(oldD) && !t.isLocalMountpoint(newD) {
		err = nil
		if max := newDir.Sb.MaxLinks; max != 0 && k.opts.Era == Upstream && oldDir != newDir {
			if isDir && !newIsDir && newDir.nlink >= max {
				err = EMLINK
			}
		}
		if err == nil {
			k.tick()
			err = r.Rename(oldDir, oldD, newDir, newD, flags)
		}
	}
	if err == nil && target != nil && flags&RENAME_EXCHANGE == 0 && newIsDir {
		shrinkDcache(newD)
		target.Flags |= S_DEAD
	}
	if target != nil {
		k.InodeUnlock(target, "vfs_rename")
	}
	k.InodeUnlock(source, "vfs_rename")
	if err != nil {
		return err
	}
	if k.Tracing() {
		k.Tracef("fs/namei.c:vfs_rename", "%s -> %s", oldD.fsPath(), newD.fsPath())
	}
	if flags&RENAME_EXCHANGE != 0 {
		dExchange(oldD, newD)
	} else {
		if target != nil {
			k.detachMounts(newD)
		}
		name, parent := newD.name, newD.parent
		dDelete(newD)
		dMove(oldD, parent, name)
	}
	return nil
}

// dExchange models fs/dcache.c:d_exchange: the two dentries swap names and
// parents.
func dExchange(a, b *Dentry) {
	aName, aParent := a.name, a.parent
	bName, bParent := b.name, b.parent
	dDrop(a)
	dDrop(b)
	a.name, a.parent = bName, Dget(bParent)
	b.name, b.parent = aName, Dget(aParent)
	dAdd(a)
	dAdd(b)
	Dput(aParent)
	Dput(bParent)
}
