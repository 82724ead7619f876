package btrfssim

import (
	"math"
	"slices"

	"github.com/relinksim/relinksim/vfs"
)

// dirOps are the inode operations of directories (btrfs_dir_inode_operations
// with btrfs_dir_file_operations).
type dirOps struct{ fs *fsInfo }

var (
	_ vfs.Lookuper       = dirOps{}
	_ vfs.Creator        = dirOps{}
	_ vfs.Mknoder        = dirOps{}
	_ vfs.Symlinker      = dirOps{}
	_ vfs.Tmpfiler       = dirOps{}
	_ vfs.Mkdirer        = dirOps{}
	_ vfs.Linker         = dirOps{}
	_ vfs.Unlinker       = dirOps{}
	_ vfs.Rmdirer        = dirOps{}
	_ vfs.Renamer        = dirOps{}
	_ vfs.DirIterator    = dirOps{}
	_ vfs.Getattrer      = dirOps{}
	_ vfs.Setattrer      = dirOps{}
	_ vfs.Permissioner   = dirOps{}
	_ vfs.FileattrSetter = dirOps{}
	_ vfs.Ioctler        = dirOps{}
	_ vfs.DirLlseeker    = dirOps{}
)

// dirItemsOf returns the directory items of the in-core directory ei (an
// empty set for the stand-in of a nested subvolume).
func (fs *fsInfo) dirItemsOf(ei *inodeInfo) *dirItems {
	if ei.dummy {
		return newDirItems()
	}
	d := ei.root.tree().dirs[ei.ino]
	if d == nil {
		vfs.Bug("btrfssim: directory %d of root %d has no items", ei.ino, ei.root.id)
	}
	return d
}

// Lookup implements vfs.Lookuper (models
// fs/btrfs/inode.c:btrfs_lookup_dentry). An entry that names a subvolume
// crosses into that subvolume's tree: its root directory (inode 256 there) is
// returned, and the first crossing on a read-write mount cleans the
// subvolume's orphans. An entry naming a subvolume that is not linked there
// (a snapshot's copy of a nested subvolume's entry) gets an empty stand-in
// directory, inode 2.
func (o dirOps) Lookup(dirVI *vfs.Inode, name string) (*vfs.Inode, error) {
	fs := o.fs
	if len(name) > nameMax {
		return nil, vfs.ENAMETOOLONG
	}
	dir := info(dirVI)
	d := fs.dirItemsOf(dir)
	idx, ok := d.byName[name]
	if !ok {
		return nil, vfs.ENOENT
	}
	e := d.byIndex[idx]
	if !e.Subvol {
		return fs.iget(dir.root, e.Target)
	}
	item := fs.cur.roots[e.Target]
	if item == nil || item.refs == 0 || item.parent != dir.root.id || item.dirIno != dir.ino || item.name != name {
		return fs.simpleDir(dir, name), nil
	}
	sub := fs.getRoot(e.Target)
	vi, err := fs.iget(sub, firstFreeObjectid)
	if err != nil {
		return nil, err
	}
	if !fs.readonly {
		fs.orphanCleanup(sub)
	}
	return vi, nil
}

// simpleDir models fs/btrfs/inode.c:new_simple_dir: an in-memory empty
// directory, inode 2, standing in for a subvolume whose entry name in dir was
// copied into a snapshot.
func (fs *fsInfo) simpleDir(dir *inodeInfo, name string) *vfs.Inode {
	key := dummyKey{dir.root.id, dir.ino, name}
	if vi := fs.dummies[key]; vi != nil {
		vfs.Ihold(vi)
		return vi
	}
	r := dir.root
	vi := fs.sb.NewInode(emptySubvolDirIno, vfs.S_IFDIR|0o755)
	vi.Private = &inodeInfo{root: r, ino: emptySubvolDirIno, dummy: true, dummyAt: key}
	vi.Ops = simpleDirOps{}
	fs.dummies[key] = vi
	return vi
}

// simpleDirOps are libfs's simple_dir_inode_operations and
// simple_dir_operations, which new_simple_dir gives its stand-in: lookups
// find nothing, listings show "." and "..", and everything else is
// refused by the VFS for want of an operation (EPERM). Its attributes are
// the generic ones (st_dev is the superblock's).
type simpleDirOps struct{}

// Lookup implements vfs.Lookuper (simple_lookup: a negative dentry).
func (simpleDirOps) Lookup(dir *vfs.Inode, name string) (*vfs.Inode, error) {
	if len(name) > nameMax {
		return nil, vfs.ENAMETOOLONG
	}
	return nil, vfs.ENOENT
}

// IterateDir implements vfs.DirIterator (dcache_readdir of an empty
// directory).
func (simpleDirOps) IterateDir(dir *vfs.Inode, pos int64, emit func(vfs.Dirent) bool) error {
	if pos == 0 && !emit(vfs.Dirent{Name: ".", Ino: dir.Ino, Type: vfs.S_IFDIR, Off: 1}) {
		return nil
	}
	if pos <= 1 {
		// dir_emit_dots: ".." is the directory holding the entry.
		emit(vfs.Dirent{Name: "..", Ino: info(dir).dummyAt.dir, Type: vfs.S_IFDIR, Off: 2})
	}
	return nil
}

// dummyKey is where a stand-in directory is: subvolume, directory, name.
type dummyKey struct {
	root, dir uint64
	name      string
}

// setInodeIndex models fs/btrfs/inode.c:btrfs_set_inode_index: the
// directory's next index.
func setInodeIndex(dir *inodeInfo) uint64 {
	idx := dir.indexCnt
	dir.indexCnt++
	return idx
}

// addLink models fs/btrfs/inode.c:btrfs_add_link: the child's back
// reference (an INODE_REF, or the subvolume's ROOT_REF), the DIR_ITEM and
// DIR_INDEX entries, and twice the name's length added to the directory's
// i_size. Fault injection makes it fail with ENOSPC before any change.
func (fs *fsInfo) addLink(tr *trans, dirVI *vfs.Inode, name string, child *vfs.Inode, index uint64) error {
	if fs.faults.AddLinkENOSPC > 0 {
		fs.faults.AddLinkENOSPC--
		fs.trace("btrfs_add_link", "%q: ENOSPC (injected)", name)
		return vfs.ENOSPC
	}
	dir, ci := info(dirVI), info(child)
	dir.root.touch()
	ci.root.touch()
	e := dirEntry{Name: name, Target: ci.ino, Type: child.Mode.Type()}
	if ci.root != dir.root && ci.ino == firstFreeObjectid {
		// A subvolume's root: the entry's location is its ROOT_ITEM.
		e.Subvol, e.Target = true, ci.root.id
		ci.root.item.parent, ci.root.item.dirIno = dir.root.id, dir.ino
		ci.root.item.index, ci.root.item.name = index, name
	} else {
		it := ci.root.tree().inodes[ci.ino]
		it.Refs = append(it.Refs, inodeRef{Dir: dir.ino, Index: index, Name: name})
	}
	d := fs.dirItemsOf(dir)
	d.putIndex(index, e)
	d.byName[name] = index
	fs.delayed = append(fs.delayed, delayedIndex{dir: d, index: index, entry: e, added: true})
	dirVI.Size += 2 * int64(len(name))
	dirVI.Touch(true, true)
	fs.updateInode(tr, dir)
	return nil
}

// unlinkEntry models fs/btrfs/inode.c:__btrfs_unlink_inode for an inode's
// name, or btrfs_unlink_subvol for a subvolume's: the entry and the back
// reference go, and the directory shrinks by twice the name's length. The
// child's nlink is the caller's to change.
func (fs *fsInfo) unlinkEntry(tr *trans, dirVI *vfs.Inode, name string) dirEntry {
	dir := info(dirVI)
	dir.root.touch()
	d := fs.dirItemsOf(dir)
	idx, ok := d.byName[name]
	if !ok {
		vfs.Bug("btrfssim: unlink of %q, which directory %d of root %d does not hold", name, dir.ino, dir.root.id)
	}
	e := d.byIndex[idx]
	delete(d.byName, name)
	d.delIndex(idx)
	fs.delayed = append(fs.delayed, delayedIndex{dir: d, index: idx, entry: e})
	if !e.Subvol {
		it := dir.root.tree().inodes[e.Target]
		for i, r := range it.Refs {
			if r.Dir == dir.ino && r.Name == name {
				it.Refs = append(it.Refs[:i], it.Refs[i+1:]...)
				break
			}
		}
	} else if item := fs.cur.roots[e.Target]; item != nil && item.parent == dir.root.id && item.dirIno == dir.ino && item.name == name {
		item.parent, item.dirIno, item.index, item.name = 0, 0, 0, ""
	}
	dirVI.Size -= 2 * int64(len(name))
	dirVI.Touch(true, true)
	fs.updateInode(tr, dir)
	return e
}

// createCommon models fs/btrfs/inode.c:btrfs_create_common (create, mknod,
// symlink): a new inode and its name in one transaction.
func (fs *fsInfo) createCommon(fn string, dirVI *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode, rdev uint32, target string) error {
	dir := info(dirVI)
	tr, err := fs.startTransaction(fn)
	if err != nil {
		return err
	}
	defer tr.end()
	ei := fs.newInode(tr, dir.root, dirVI, mode)
	vi := dir.root.icache[ei.ino]
	vi.Rdev = rdev
	if mode.IsSymlink() {
		vi.Link = target
		vi.Size = int64(len(target))
	}
	fs.updateInode(tr, ei)
	// btrfs_create_new_inode inserts the name with the inode; a failure
	// there aborts the transaction, which the model does not inject.
	index := setInodeIndex(dir)
	faults := fs.faults.AddLinkENOSPC
	fs.faults.AddLinkENOSPC = 0
	fs.addLink(tr, dirVI, d.Name(), vi, index)
	fs.faults.AddLinkENOSPC = faults
	d.Instantiate(vi)
	return nil
}

// Create implements vfs.Creator (models fs/btrfs/inode.c:btrfs_create).
func (o dirOps) Create(dir *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode, excl bool) error {
	return o.fs.createCommon("btrfs_create", dir, d, mode, 0, "")
}

// Mknod implements vfs.Mknoder (models fs/btrfs/inode.c:btrfs_mknod).
func (o dirOps) Mknod(dir *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode, rdev uint32) error {
	return o.fs.createCommon("btrfs_mknod", dir, d, mode, rdev, "")
}

// Symlink implements vfs.Symlinker (models fs/btrfs/inode.c:btrfs_symlink:
// the target is an inline extent).
func (o dirOps) Symlink(dir *vfs.Inode, d *vfs.Dentry, target string) error {
	return o.fs.createCommon("btrfs_symlink", dir, d, vfs.S_IFLNK|0o777, 0, target)
}

// Mkdir implements vfs.Mkdirer (models fs/btrfs/inode.c:btrfs_mkdir): a
// directory's nlink is always 1 on btrfs, and its parent's does not change.
func (o dirOps) Mkdir(dir *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode) error {
	return o.fs.createCommon("btrfs_mkdir", dir, d, mode, 0, "")
}

// Tmpfile implements vfs.Tmpfiler (models fs/btrfs/inode.c:btrfs_tmpfile):
// the new inode gets an orphan item instead of a name.
func (o dirOps) Tmpfile(dirVI *vfs.Inode, d *vfs.Dentry, mode vfs.FileMode) error {
	fs := o.fs
	dir := info(dirVI)
	tr, err := fs.startTransaction("btrfs_tmpfile")
	if err != nil {
		return err
	}
	defer tr.end()
	ei := fs.newInode(tr, dir.root, dirVI, mode)
	vi := dir.root.icache[ei.ino]
	d.Tmpfile(vi)
	fs.orphanAdd(tr, ei)
	fs.updateInode(tr, ei)
	return nil
}

// Link implements vfs.Linker (models fs/btrfs/inode.c:btrfs_link) as the
// kernel's era had it:
//
//	upstream    EXDEV across subvolumes; EMLINK at 65535; an inode whose
//	            nlink goes 0 -> 1 (an O_TMPFILE, the only kind the VFS lets
//	            through) loses its orphan item once the name is added.
//	relink2011  seed patch 06 on 2.6.38: EPERM across subvolumes; an inode
//	            with nlink 0 is "adopted": its orphan item is deleted
//	            first, then the name is added. If adding the name fails the
//	            inode is unnamed again but has no orphan item: a crash
//	            before its last close leaks it (the ordering Amir Goldstein
//	            objected to in Sandeen's ext4 RFC).
//	relink2011-fixed  as relink2011, but the adopted inode's orphan item
//	            is deleted only after the name was added: a failed relink
//	            leaves it an orphan, and nothing leaks.
//	older eras  btrfs as merged before the series (2.6.38): EPERM across
//	            subvolumes and its own ENOENT for nlink 0. (btrfs did not
//	            exist in 2007.)
func (o dirOps) Link(old *vfs.Dentry, dirVI *vfs.Inode, d *vfs.Dentry) error {
	fs := o.fs
	inode := old.Inode()
	ei, dir := info(inode), info(dirVI)
	era := fs.k.Era()
	crossErr := vfs.EPERM
	if era == vfs.Upstream {
		crossErr = vfs.EXDEV
	} else if !era.IsRelink2011() && inode.Nlink() == 0 {
		return vfs.ENOENT
	}
	if ei.root != dir.root {
		return crossErr
	}
	if inode.Nlink() >= linkMax {
		return vfs.EMLINK
	}
	tr, err := fs.startTransaction("btrfs_link")
	if err != nil {
		return err
	}
	defer tr.end()
	index := setInodeIndex(dir)
	adopted := inode.Nlink() == 0
	inode.IncNlink()
	inode.Touch(false, true)
	vfs.Ihold(inode)
	if era == vfs.Relink2011 && adopted {
		// The adopted inode leaves the orphan list before it gets its
		// name. (An inode whose item an earlier failed relink already
		// deleted is not on the 2.6.38 orphan list: btrfs_orphan_del
		// returns 0.)
		if err = fs.orphanDel(tr, ei); err == vfs.ENOENT {
			err = nil
		}
	}
	if err == nil {
		err = fs.addLink(tr, dirVI, d.Name(), inode, index)
	}
	if err != nil {
		// drop_inode: inode_dec_link_count and iput.
		inode.DropNlink()
		fs.updateInode(tr, ei)
		vfs.Iput(inode)
		return err
	}
	fs.updateInode(tr, ei)
	if era == vfs.Upstream && inode.Nlink() == 1 {
		// Only an O_TMPFILE inode can go from nlink 0 to 1 here.
		fs.orphanDel(tr, ei)
	}
	if era == vfs.Relink2011Fixed && adopted {
		// The fix: the orphan item goes only once the name exists, so
		// a failed relink leaves the inode an orphan (ext4's relink
		// does orphan_del after add_entry the same way).
		fs.orphanDel(tr, ei)
	}
	d.Instantiate(inode) // takes over the reference ihold took
	return nil
}

// Unlink implements vfs.Unlinker (models fs/btrfs/inode.c:btrfs_unlink): the
// last name's removal gives the inode an orphan item in the same transaction.
func (o dirOps) Unlink(dirVI *vfs.Inode, d *vfs.Dentry) error {
	fs := o.fs
	tr, err := fs.startTransaction("btrfs_unlink")
	if err != nil {
		return err
	}
	defer tr.end()
	inode := d.Inode()
	ei := info(inode)
	fs.unlinkEntry(tr, dirVI, d.Name())
	inode.DropNlink()
	inode.Touch(false, true)
	fs.updateInode(tr, ei)
	if inode.Nlink() == 0 {
		fs.orphanAdd(tr, ei)
	}
	return nil
}

// Rmdir implements vfs.Rmdirer (models fs/btrfs/inode.c:btrfs_rmdir): a
// directory with any entry is ENOTEMPTY (its i_size is not 0); an empty
// subvolume is deleted; the stand-in of a nested subvolume is simply
// unlinked; any other directory gets an orphan item, loses its name and its
// size drops to 0.
func (o dirOps) Rmdir(dirVI *vfs.Inode, d *vfs.Dentry) error {
	fs := o.fs
	inode := d.Inode()
	ei := info(inode)
	if inode.Size > 0 {
		return vfs.ENOTEMPTY
	}
	switch {
	case ei.ino == firstFreeObjectid:
		return fs.deleteSubvolume(dirVI, d)
	case ei.dummy:
		tr, err := fs.startTransaction("btrfs_unlink_subvol")
		if err != nil {
			return err
		}
		fs.unlinkEntry(tr, dirVI, d.Name())
		tr.end()
		return nil
	}
	tr, err := fs.startTransaction("btrfs_rmdir")
	if err != nil {
		return err
	}
	defer tr.end()
	fs.orphanAdd(tr, ei)
	fs.unlinkEntry(tr, dirVI, d.Name())
	inode.DropNlink()
	inode.Size = 0
	inode.Touch(false, true)
	fs.updateInode(tr, ei)
	return nil
}

// Rename implements vfs.Renamer (models fs/btrfs/inode.c:btrfs_rename and
// btrfs_rename_exchange). Names may not move between subvolumes (EXDEV),
// except a subvolume's own entry, which may go anywhere; nothing may be
// renamed over a subvolume (ENOTEMPTY). A rename gives the moved name a new
// index in its new directory, so it lists last there.
func (o dirOps) Rename(oldDirVI *vfs.Inode, oldD *vfs.Dentry, newDirVI *vfs.Inode, newD *vfs.Dentry, flags uint) error {
	fs := o.fs
	if len(newD.Name()) > nameMax {
		return vfs.ENAMETOOLONG
	}
	oldDir, newDir := info(oldDirVI), info(newDirVI)
	src, tgt := oldD.Inode(), newD.Inode()
	srcEI := info(src)
	if flags&vfs.RENAME_EXCHANGE != 0 {
		tgtEI := info(tgt)
		if oldDir.root != newDir.root && (srcEI.ino != firstFreeObjectid || tgtEI.ino != firstFreeObjectid) {
			return vfs.EXDEV
		}
		if srcEI.dummy && tgtEI.dummy || oldDir.dummy || newDir.dummy {
			// Divergence: exchanging two stand-ins succeeds on Linux and
			// corrupts the directory (both names then lead to inode 2,
			// which has no item, and each is listed twice); the model
			// refuses, and the generator does not draw it. (A stand-in
			// holds no names, so the other case cannot happen.)
			return vfs.EPERM
		}
		tr, err := fs.startTransaction("btrfs_rename_exchange")
		if err != nil {
			return err
		}
		defer tr.end()
		oldIdx := setInodeIndex(newDir)
		newIdx := setInodeIndex(oldDir)
		if srcEI.dummy || tgtEI.dummy {
			fs.exchangeStandIn(tr, oldDirVI, oldD, newDirVI, newD)
			return vfs.ENOENT
		}
		fs.unlinkEntry(tr, oldDirVI, oldD.Name())
		fs.unlinkEntry(tr, newDirVI, newD.Name())
		fs.relinkEntry(tr, newDirVI, newD.Name(), src, oldIdx)
		fs.relinkEntry(tr, oldDirVI, oldD.Name(), tgt, newIdx)
		src.Touch(false, true)
		tgt.Touch(false, true)
		fs.updateInode(tr, srcEI)
		fs.updateInode(tr, tgtEI)
		return nil
	}
	if newDir.dummy {
		return vfs.EPERM // nothing moves into a stand-in
	}
	if srcEI.ino != firstFreeObjectid && oldDir.root != newDir.root {
		return vfs.EXDEV
	}
	if srcEI.dummy || tgt != nil && info(tgt).ino == firstFreeObjectid {
		return vfs.ENOTEMPTY
	}
	if src.Mode.IsDir() && tgt != nil && tgt.Size > 0 {
		return vfs.ENOTEMPTY
	}
	if tgt != nil && src.Mode.IsRegular() && tgt.Size > 0 {
		// "we're using rename to replace one file with another. Start
		// IO on it now": the source's data is written back.
		srcEI.root.writeData(srcEI.ino)
	}
	var whiteoutIno uint64
	if flags&vfs.RENAME_WHITEOUT != 0 {
		// btrfs_new_inode_prepare takes the whiteout's number before the
		// transaction starts.
		whiteoutIno = oldDir.root.allocObjectid()
	}
	tr, err := fs.startTransaction("btrfs_rename")
	if err != nil {
		return err
	}
	defer tr.end()
	var whiteout *inodeInfo
	if whiteoutIno != 0 {
		// new_whiteout_inode: a character device 0:0 with no permission
		// bits takes the old name.
		whiteout = fs.newInodeNumbered(tr, oldDir.root, oldDirVI, vfs.S_IFCHR, whiteoutIno)
	}
	index := setInodeIndex(newDir)
	fs.unlinkEntry(tr, oldDirVI, oldD.Name())
	if tgt != nil {
		tgtEI := info(tgt)
		fs.unlinkEntry(tr, newDirVI, newD.Name())
		if !tgtEI.dummy {
			tgt.DropNlink()
			tgt.Touch(false, true)
			fs.updateInode(tr, tgtEI)
			if tgt.Nlink() == 0 {
				fs.orphanAdd(tr, tgtEI)
			}
		}
	}
	fs.relinkEntry(tr, newDirVI, newD.Name(), src, index)
	src.Touch(false, true)
	fs.updateInode(tr, srcEI)
	if whiteout != nil {
		wvi := oldDir.root.icache[whiteout.ino]
		fs.relinkEntry(tr, oldDirVI, oldD.Name(), wvi, setInodeIndex(oldDir))
		vfs.Iput(wvi) // the name holds it now; the VFS knows nothing of it
	}
	return nil
}

// exchangeStandIn is btrfs_rename_exchange when one of the two names is
// the stand-in for a nested subvolume (inode 2, which has no items). Each
// side first gets an inode ref under its new name (btrfs_insert_inode_ref
// does not care that inode 2 has no inode item), then the old names are
// unlinked in turn by __btrfs_unlink_inode: the DIR_ITEM goes, then the
// inode ref, then the DIR_INDEX (a delayed item), then the directory's
// size shrinks. A real inode's old name goes that way. For the stand-in
// the DIR_ITEM goes, but its inode ref is not there to delete (inode 2's
// only ref is the one just inserted, under the other name): ENOENT, and
// the transaction is aborted. The transaction kthread then cleans up the
// aborted transaction, dropping the delayed items, so the DIR_INDEX
// deletions never happen: in memory both names stay listed, and lookups
// find neither (a cached dentry still answers). (On Linux a listing made
// before the kthread gets there still hides the real inode's name: about
// half the time on 6.18. The model always shows the state after it.) The
// refs are not modelled; none of it is ever written.
func (fs *fsInfo) exchangeStandIn(tr *trans, oldDirVI *vfs.Inode, oldD *vfs.Dentry, newDirVI *vfs.Inode, newD *vfs.Dentry) {
	standInDir, standInName := oldDirVI, oldD.Name()
	if info(newD.Inode()).dummy {
		fs.dropDirItem(oldDirVI, oldD.Name())
		oldDirVI.Size -= 2 * int64(len(oldD.Name()))
		oldDirVI.Touch(true, true)
		standInDir, standInName = newDirVI, newD.Name()
	}
	fs.dropDirItem(standInDir, standInName)
	fs.k.Printk("BTRFS critical (device %s): failed to delete reference to %s, root %d inode %d parent %d",
		devShort(fs.dev.name), standInName, info(standInDir).root.id, emptySubvolDirIno, info(standInDir).ino)
	tr.abort("__btrfs_unlink_inode", vfs.ENOENT)
}

// dropDirItem deletes name's DIR_ITEM from dirVI and keeps its DIR_INDEX:
// the name is still listed, but lookups no longer find it.
func (fs *fsInfo) dropDirItem(dirVI *vfs.Inode, name string) {
	dir := info(dirVI)
	dir.root.touch()
	delete(fs.dirItemsOf(dir).byName, name)
}

// relinkEntry is addLink for a name being moved (which fault injection
// does not fail).
func (fs *fsInfo) relinkEntry(tr *trans, dirVI *vfs.Inode, name string, child *vfs.Inode, index uint64) {
	faults := fs.faults.AddLinkENOSPC
	fs.faults.AddLinkENOSPC = 0
	fs.addLink(tr, dirVI, name, child, index)
	fs.faults.AddLinkENOSPC = faults
}

// dirOffsetEOD is the position btrfs_real_readdir leaves at the end of a
// directory (INT_MAX, for 32-bit user space).
const dirOffsetEOD = math.MaxInt32

// IterateDir implements vfs.DirIterator (models
// fs/btrfs/inode.c:btrfs_real_readdir): "." and "..", then the entries in
// index order — creation order, a renamed name counting as new. A subvolume's
// entry reports the subvolume's id as its inode number. Positions are
// indexes.
func (o dirOps) IterateDir(dirVI *vfs.Inode, pos int64, emit func(vfs.Dirent) bool) error {
	fs := o.fs
	dir := info(dirVI)
	d := fs.dirItemsOf(dir)
	idxs := d.entries()
	next := func(i int) int64 {
		if i < len(idxs) {
			return int64(idxs[i])
		}
		return dirOffsetEOD
	}
	if pos == 0 {
		if !emit(vfs.Dirent{Name: ".", Ino: dirVI.Ino, Type: vfs.S_IFDIR, Off: 1}) {
			return nil
		}
		pos = 1
	}
	if pos == 1 {
		if !emit(vfs.Dirent{Name: "..", Ino: fs.parentIno(dir), Type: vfs.S_IFDIR, Off: next(0)}) {
			return nil
		}
		pos = next(0)
	}
	start, _ := slices.BinarySearch(idxs, uint64(max(pos, 0)))
	for i := start; i < len(idxs); i++ {
		idx := idxs[i]
		e := d.byIndex[idx]
		if !emit(vfs.Dirent{Name: e.Name, Ino: e.Target, Type: e.Type, Off: next(i + 1)}) {
			return nil
		}
	}
	return nil
}

// parentIno is the inode number getdents reports for "..": the directory
// holding the first name of dir (for a subvolume's root, the directory its
// entry is in), or dir itself at the top.
func (fs *fsInfo) parentIno(dir *inodeInfo) uint64 {
	if dir.dummy {
		return dir.ino
	}
	if dir.ino == firstFreeObjectid {
		if dir.root.item.dirIno != 0 {
			return dir.root.item.dirIno
		}
		return dir.ino
	}
	if it := dir.root.tree().inodes[dir.ino]; it != nil && len(it.Refs) > 0 {
		return it.Refs[0].Dir
	}
	return dir.ino
}

// DirLlseekLimits implements vfs.DirLlseeker (models
// fs/btrfs/inode.c:btrfs_dir_llseek, which is generic_file_llseek): a
// directory seeks like a file whose size is its i_size.
func (o dirOps) DirLlseekLimits(dirVI *vfs.Inode) (maxsize, eof int64) {
	return math.MaxInt64, dirVI.Size
}

// Getattr implements vfs.Getattrer.
func (o dirOps) Getattr(vi *vfs.Inode, st vfs.Stat_t) vfs.Stat_t { return o.fs.getattr(vi, st) }

// Setattr implements vfs.Setattrer.
func (o dirOps) Setattr(vi *vfs.Inode, attr *vfs.Iattr) error { return o.fs.setattr(vi, attr) }

// Permission implements vfs.Permissioner.
func (o dirOps) Permission(c *vfs.Cred, vi *vfs.Inode, mask int) error {
	return o.fs.permission(c, vi, mask)
}

// FileattrSet implements vfs.FileattrSetter.
func (o dirOps) FileattrSet(vi *vfs.Inode, flags vfs.InodeFlags) error {
	return o.fs.fileattrSet(vi)
}
