package ext4sim

import (
	"github.com/relinksim/relinksim/vfs"
	"math"
)

// dirOps are the inode operations of directories (ext4_dir_inode_operations).
type dirOps struct{ fs *fsInfo }

var (
	_ vfs.Lookuper    = dirOps{}
	_ vfs.Creator     = dirOps{}
	_ vfs.Linker      = dirOps{}
	_ vfs.Relinker    = dirOps{}
	_ vfs.Unlinker    = dirOps{}
	_ vfs.Mkdirer     = dirOps{}
	_ vfs.Rmdirer     = dirOps{}
	_ vfs.Renamer     = dirOps{}
	_ vfs.Mknoder     = dirOps{}
	_ vfs.Symlinker   = dirOps{}
	_ vfs.Tmpfiler    = dirOps{}
	_ vfs.DirIterator = dirOps{}
	_ vfs.Getattrer   = dirOps{}
	_ vfs.Setattrer   = dirOps{}
)

// Credits reserved per handle: an upper bound on the distinct buffers each
// operation touches (the model's EXT4_DATA_TRANS_BLOCKS +
// EXT4_INDEX_EXTRA_TRANS_BLOCKS).
const nameiCredits = 16

// Lookup implements vfs.Lookuper (models fs/ext4/namei.c:ext4_lookup).
func (o dirOps) Lookup(dir *vfs.Inode, name string) (*vfs.Inode, error) {
	if len(name) > vfs.NAME_MAX {
		return nil, vfs.ENAMETOOLONG
	}
	ino, _ := o.fs.cur.dirs[info(dir).ino].lookup(name)
	if ino == 0 {
		return nil, vfs.ENOENT
	}
	vi, err := o.fs.iget(ino)
	if err != nil {
		o.fs.msg("deleted inode referenced: %d", ino)
		return nil, vfs.EUCLEAN
	}
	return vi, nil
}

// shouldRetryAlloc models fs/ext4/balloc.c:ext4_should_retry_alloc: an ENOSPC
// is retried (after forcing a commit) up to three times.
func (fs *fsInfo) shouldRetryAlloc(retries *int) bool {
	*retries++
	if *retries > 3 {
		return false
	}
	fs.j.commit()
	return true
}

// addNondir creates a non-directory inode and its name (models
// fs/ext4/namei.c:ext4_add_nondir as ext4_create, ext4_mknod and
// ext4_symlink use it): when adding the name fails, the new inode loses its
// link and goes on the orphan list, to be deleted by its last iput.
func (fs *fsInfo) addNondir(dirVI *vfs.Inode, d *vfs.Dentry, fn string, mode vfs.FileMode, rdev uint32, target string) error {
	dir := info(dirVI)
	for retries := 0; ; {
		h, err := fs.j.start(fn, nameiCredits)
		if err != nil {
			return err
		}
		ei, err := fs.newInode(h, dir, mode, d.Name())
		if err != nil {
			h.stop()
			return err
		}
		ei.vi.Rdev = rdev
		if mode.IsSymlink() {
			ei.vi.Link = target
			ei.vi.Size = int64(len(target))
		}
		fs.markInodeDirty(h, ei)
		err = fs.addEntry(h, dir, d.Name(), ei.ino, mode.Type())
		if err == nil {
			dirVI.Touch(true, true)
			fs.markInodeDirty(h, dir)
			d.Instantiate(ei.vi)
			h.stop()
			return nil
		}
		ei.vi.DropNlink()
		fs.markInodeDirty(h, ei)
		fs.orphanAdd(h, ei)
		h.stop()
		vfs.Iput(ei.vi)
		if err != vfs.ENOSPC || !fs.shouldRetryAlloc(&retries) {
			return err
		}
	}
}

// Create implements vfs.Creator (models fs/ext4/namei.c:ext4_create).
func (o dirOps) Create(dir *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode, excl bool) error {
	return o.fs.addNondir(dir, d, "ext4_create", mode, 0, "")
}

// Mknod implements vfs.Mknoder (models fs/ext4/namei.c:ext4_mknod).
func (o dirOps) Mknod(dir *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode, rdev uint32) error {
	return o.fs.addNondir(dir, d, "ext4_mknod", mode, rdev, "")
}

// Symlink implements vfs.Symlinker (models fs/ext4/namei.c:ext4_symlink;
// targets shorter than 60 bytes are fast symlinks kept in the inode).
func (o dirOps) Symlink(dir *vfs.Inode, d *vfs.Dentry, target string) error {
	if len(target)+1 > o.fs.cur.geo.BlockSize {
		return vfs.ENAMETOOLONG
	}
	return o.fs.addNondir(dir, d, "ext4_symlink", vfs.S_IFLNK|0o777, 0, target)
}

// Tmpfile implements vfs.Tmpfiler (models fs/ext4/namei.c:ext4_tmpfile): the
// new inode goes on the orphan list at once, since nothing names it.
func (o dirOps) Tmpfile(dirVI *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode) error {
	fs := o.fs
	h, err := fs.j.start("ext4_tmpfile", nameiCredits)
	if err != nil {
		return err
	}
	ei, err := fs.newInode(h, info(dirVI), mode, "")
	if err != nil {
		h.stop()
		return err
	}
	d.Tmpfile(ei.vi)
	if err := fs.orphanAdd(h, ei); err != nil {
		h.stop()
		return err
	}
	fs.markInodeDirty(h, ei)
	h.stop()
	return nil
}

// Mkdir implements vfs.Mkdirer (models fs/ext4/namei.c:ext4_mkdir with
// ext4_init_new_dir).
func (o dirOps) Mkdir(dirVI *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode) error {
	fs := o.fs
	dir := info(dirVI)
	if dirVI.Nlink() >= ext4LinkMax {
		return vfs.EMLINK
	}
	for retries := 0; ; {
		h, err := fs.j.start("ext4_mkdir", nameiCredits)
		if err != nil {
			return err
		}
		ei, err := fs.newInode(h, dir, mode, d.Name())
		if err != nil {
			h.stop()
			return err
		}
		h.access(bufKey{bufDir, ei.ino})
		fs.cur.dirs[ei.ino] = &diskDir{blocks: [][]dirent{fs.cur.geo.newDirBlock0(ei.ino, dir.ino)}}
		ei.vi.Size = int64(fs.cur.geo.BlockSize)
		ei.vi.SetNlink(2)
		fs.markInodeDirty(h, ei)
		err = fs.addEntry(h, dir, d.Name(), ei.ino, vfs.S_IFDIR)
		if err == nil {
			dirVI.IncNlink()
			dirVI.Touch(true, true)
			fs.markInodeDirty(h, dir)
			d.Instantiate(ei.vi)
			h.stop()
			return nil
		}
		ei.vi.ClearNlink()
		fs.orphanAdd(h, ei)
		fs.markInodeDirty(h, ei)
		h.stop()
		vfs.Iput(ei.vi)
		if err != vfs.ENOSPC || !fs.shouldRetryAlloc(&retries) {
			return err
		}
	}
}

// Link implements vfs.Linker (models fs/ext4/namei.c:ext4_link as the
// kernel's era had it; see link).
func (o dirOps) Link(old *vfs.Dentry, dir *vfs.Inode, d *vfs.Dentry) error {
	return o.fs.link(old, dir, d)
}

// Relink implements vfs.Relinker (models fs/ext4/namei.c:ext4_link as
// .relink): seed patch 02 registers ext4_link itself as .relink, so the 2011
// VFS calls the same function.
func (o dirOps) Relink(old *vfs.Dentry, dir *vfs.Inode, d *vfs.Dentry) error {
	return o.fs.link(old, dir, d)
}

// link models fs/ext4/namei.c:ext4_link (fs/ext3/namei.c:ext3_link in
// 2.6.18) in each era:
//
//	pre2007     no nlink check, no orphan fix-up: an orphan linked back
//	            stays on the orphan list with nlink 1 — the 2007 race's bug.
//	sandeen-rfc Eric Sandeen's RFC: after raising nlink 0 -> 1, take the
//	            inode off the orphan list before adding the entry. If adding
//	            the entry fails, nlink drops back to 0 but the inode is off
//	            the list: after a crash it leaks (Amir Goldstein's point).
//	enoent2007  2988a7740dc0: refuse nlink 0 with ENOENT.
//	relink2011  seed patch 02: no nlink check; once the entry is added,
//	            an inode whose nlink went 0 -> 1 leaves the orphan list.
//	upstream    the VFS refuses nlink 0 unless I_LINKABLE; __ext4_link
//	            takes a tmpfile off the orphan list after adding the entry.
//
// Every era retries an ENOSPC from the journal or the directory up to
// three times (ext4_should_retry_alloc).
func (fs *fsInfo) link(old *vfs.Dentry, dirVI *vfs.Inode, d *vfs.Dentry) error {
	era := fs.k.Era()
	inode := old.Inode()
	ei, dir := info(inode), info(dirVI)
	if inode.Nlink() >= ext4LinkMax {
		return vfs.EMLINK
	}
	if era == vfs.ENOENT2007 && inode.Nlink() == 0 {
		fs.trace("ext4_link", "inode %d has nlink 0: ENOENT (2988a7740dc0)", ei.ino)
		return vfs.ENOENT
	}
	for retries := 0; ; {
		h, err := fs.j.start("ext4_link", nameiCredits)
		if err != nil {
			if err == vfs.ENOSPC && fs.shouldRetryAlloc(&retries) {
				continue
			}
			return err
		}
		inode.Touch(false, true)
		inode.IncNlink()
		vfs.Ihold(inode)
		fs.k.PreemptPoint("ext4_link: after ext4_inc_count")
		if era == vfs.SandeenRFC && inode.Nlink() == 1 {
			// The RFC's check for a racing unlink, made before the
			// entry exists.
			fs.orphanDel(h, ei)
		}
		err = fs.addEntry(h, dir, d.Name(), ei.ino, inode.Mode.Type())
		if err == nil {
			fs.markInodeDirty(h, ei)
			if (era.IsRelink2011() || era == vfs.Upstream) && inode.Nlink() == 1 {
				fs.orphanDel(h, ei)
			}
			dirVI.Touch(true, true)
			fs.markInodeDirty(h, dir)
			d.Instantiate(inode)
			h.stop()
			return nil
		}
		inode.DropNlink()
		fs.markInodeDirty(h, ei)
		h.stop()
		vfs.Iput(inode)
		if err != vfs.ENOSPC || !fs.shouldRetryAlloc(&retries) {
			return err
		}
	}
}

// Unlink implements vfs.Unlinker (models fs/ext4/namei.c:__ext4_unlink): the
// last name's removal puts the inode on the orphan list, in the same handle.
func (o dirOps) Unlink(dirVI *vfs.Inode, d *vfs.Dentry) error {
	fs := o.fs
	dir, inode := info(dirVI), d.Inode()
	ei := info(inode)
	h, err := fs.j.start("ext4_unlink", nameiCredits)
	if err != nil {
		return err
	}
	if err := fs.deleteEntry(h, dir, d.Name()); err != nil {
		h.stop()
		return err
	}
	dirVI.Touch(true, true)
	fs.markInodeDirty(h, dir)
	if inode.Nlink() == 0 {
		fs.msg("warning: inode %d: Deleting file '%s' with no links", ei.ino, d.Name())
	} else {
		inode.DropNlink()
	}
	if inode.Nlink() == 0 {
		fs.orphanAdd(h, ei)
	}
	inode.Touch(false, true)
	fs.markInodeDirty(h, ei)
	h.stop()
	return nil
}

// Rmdir implements vfs.Rmdirer (models fs/ext4/namei.c:ext4_rmdir): the
// removed directory goes on the orphan list with nlink 0 and size 0.
func (o dirOps) Rmdir(dirVI *vfs.Inode, d *vfs.Dentry) error {
	fs := o.fs
	dir, inode := info(dirVI), d.Inode()
	ei := info(inode)
	h, err := fs.j.start("ext4_rmdir", nameiCredits)
	if err != nil {
		return err
	}
	defer h.stop()
	if !fs.cur.dirs[ei.ino].empty() {
		return vfs.ENOTEMPTY
	}
	if err := fs.deleteEntry(h, dir, d.Name()); err != nil {
		return err
	}
	inode.ClearNlink()
	inode.Size = 0
	fs.orphanAdd(h, ei)
	inode.Touch(true, true)
	fs.markInodeDirty(h, ei)
	dirVI.DropNlink()
	dirVI.Touch(true, true)
	fs.markInodeDirty(h, dir)
	return nil
}

// Rename implements vfs.Renamer (models fs/ext4/namei.c:ext4_rename and
// ext4_cross_rename). A target that loses its last link goes on the orphan
// list.
func (o dirOps) Rename(oldDirVI *vfs.Inode, oldD *vfs.Dentry, newDirVI *vfs.Inode, newD *vfs.Dentry, flags uint) error {
	fs := o.fs
	oldDir, newDir := info(oldDirVI), info(newDirVI)
	src := oldD.Inode()
	tgt := newD.Inode()
	isDir := src.Mode.IsDir()
	if len(newD.Name()) > vfs.NAME_MAX {
		return vfs.ENAMETOOLONG
	}
	if flags&vfs.RENAME_EXCHANGE == 0 && tgt != nil && tgt.Mode.IsDir() && !fs.cur.dirs[info(tgt).ino].empty() {
		return vfs.ENOTEMPTY
	}
	if isDir && oldDir != newDir && tgt == nil && newDirVI.Nlink() >= ext4LinkMax {
		return vfs.EMLINK
	}
	h, err := fs.j.start("ext4_rename", nameiCredits)
	if err != nil {
		return err
	}
	defer h.stop()
	if flags&vfs.RENAME_EXCHANGE != 0 {
		te := info(tgt)
		fs.setEntry(h, newDir, newD.Name(), info(src).ino, src.Mode.Type())
		fs.setEntry(h, oldDir, oldD.Name(), te.ino, tgt.Mode.Type())
		if oldDir != newDir {
			if isDir {
				fs.setDotDot(h, info(src), newDir.ino)
			}
			if tgt.Mode.IsDir() {
				fs.setDotDot(h, te, oldDir.ino)
			}
			if isDir != tgt.Mode.IsDir() {
				if isDir {
					oldDirVI.DropNlink()
					newDirVI.IncNlink()
				} else {
					newDirVI.DropNlink()
					oldDirVI.IncNlink()
				}
			}
		}
		src.Touch(false, true)
		tgt.Touch(false, true)
		fs.markInodeDirty(h, info(src))
		fs.markInodeDirty(h, te)
		fs.markInodeDirty(h, oldDir)
		fs.markInodeDirty(h, newDir)
		return nil
	}
	if tgt == nil {
		if err := fs.addEntry(h, newDir, newD.Name(), info(src).ino, src.Mode.Type()); err != nil {
			return err
		}
	} else {
		fs.setEntry(h, newDir, newD.Name(), info(src).ino, src.Mode.Type())
	}
	if flags&vfs.RENAME_WHITEOUT != 0 {
		w, err := fs.newInode(h, oldDir, vfs.S_IFCHR, "")
		if err != nil {
			return err
		}
		fs.markInodeDirty(h, w)
		fs.setEntry(h, oldDir, oldD.Name(), w.ino, vfs.S_IFCHR)
		vfs.Iput(w.vi)
	} else if err := fs.deleteEntry(h, oldDir, oldD.Name()); err != nil {
		return err
	}
	src.Touch(false, true)
	fs.markInodeDirty(h, info(src))
	if tgt != nil {
		tgt.DropNlink()
		tgt.Touch(false, true)
	}
	if isDir {
		if oldDir != newDir {
			fs.setDotDot(h, info(src), newDir.ino)
		}
		oldDirVI.DropNlink()
		if tgt != nil {
			tgt.ClearNlink()
		} else {
			newDirVI.IncNlink()
		}
	}
	oldDirVI.Touch(true, true)
	newDirVI.Touch(true, true)
	fs.markInodeDirty(h, oldDir)
	fs.markInodeDirty(h, newDir)
	if tgt != nil {
		te := info(tgt)
		fs.markInodeDirty(h, te)
		if tgt.Nlink() == 0 {
			fs.orphanAdd(h, te)
		}
	}
	return nil
}

// IterateDir implements vfs.DirIterator (models fs/ext4/dir.c:ext4_readdir):
// an htree directory (is_dx_dir) is read in hash order (ext4_dx_readdir),
// any other in block order, its positions byte offsets in the directory.
func (o dirOps) IterateDir(dirVI *vfs.Inode, pos int64, emit func(vfs.Dirent) bool) error {
	d := o.fs.cur.dirs[info(dirVI).ino]
	if d.isDx(dirVI.Size, o.fs.cur.geo.BlockSize) {
		return o.fs.dxReaddir(d, pos, emit)
	}
	bs := int64(o.fs.cur.geo.BlockSize)
	for b, blk := range d.blocks {
		off := int64(b) * bs
		for _, e := range blk {
			next := off + int64(e.recLen)
			if e.ino != 0 && off >= pos {
				if !emit(vfs.Dirent{Name: e.name, Ino: uint64(e.ino), Type: e.typ, Off: next}) {
					return nil
				}
			}
			off = next
		}
	}
	return nil
}

// DirLlseekLimits implements vfs.DirLlseeker (models
// fs/ext4/dir.c:ext4_dir_llseek): an htree directory's positions are hashes,
// so it seeks anywhere up to EXT4_HTREE_EOF_64BIT, which is also its end; a
// linear one seeks like a file (ext4_llseek: its blocks are all data).
func (o dirOps) DirLlseekLimits(dirVI *vfs.Inode) (maxsize, eof int64) {
	if d := o.fs.cur.dirs[info(dirVI).ino]; d != nil && d.isDx(dirVI.Size, o.fs.cur.geo.BlockSize) {
		return math.MaxInt64, math.MaxInt64
	}
	return o.fs.sb.MaxBytes, dirVI.Size
}

// Getattr implements vfs.Getattrer.
func (o dirOps) Getattr(vi *vfs.Inode, st vfs.Stat_t) vfs.Stat_t {
	st.Blocks = o.fs.iblocks(vi)
	return st
}

// Setattr implements vfs.Setattrer for directories.
func (o dirOps) Setattr(vi *vfs.Inode, attr *vfs.Iattr) error { return o.fs.setattr(vi, attr) }

// FileattrSet implements vfs.FileattrSetter for directories.
func (o dirOps) FileattrSet(vi *vfs.Inode, flags vfs.InodeFlags) error {
	return fileOps(o).FileattrSet(vi, flags)
}
