package btrfssim

import (
	"maps"
	"math"
	"slices"

	"github.com/relinksim/relinksim/vfs"
)

// rootInfo is struct btrfs_root for an fs tree that has been read: the
// tree, its free objectid, its anonymous device and its in-core inodes.
type rootInfo struct {
	fs   *fsInfo
	id   uint64
	item *rootItem
	// freeObjectid is the next inode number (btrfs_get_free_objectid):
	// the highest in the tree when it was read, plus one, then counting up;
	// numbers are never reused while the root is loaded.
	freeObjectid uint64
	// anonDev is the root's st_dev (root->anon_dev).
	anonDev uint32
	// orphanCleaned is BTRFS_ROOT_ORPHAN_CLEANUP: cleanup ran once.
	orphanCleaned bool
	// dirty is set when the tree changed since the last commit, which
	// then copies it; a clean tree's committed copy is shared.
	dirty  bool
	icache map[uint64]*vfs.Inode
}

func (r *rootInfo) tree() *fsTree { return r.item.tree }

// touch records that the tree is being changed.
func (r *rootInfo) touch() {
	r.dirty = true
	r.fs.dirty = true // the running transaction has something to commit
}

// dead reports whether the subvolume was deleted.
func (r *rootInfo) dead() bool { return r.item.refs == 0 }

// getRoot models fs/btrfs/disk-io.c:btrfs_get_fs_root: the root with id, read
// on first use (btrfs_init_fs_root: its free objectid and its anonymous
// device).
func (fs *fsInfo) getRoot(id uint64) *rootInfo {
	if r := fs.roots[id]; r != nil {
		return r
	}
	item := fs.cur.roots[id]
	if item == nil {
		return nil
	}
	r := &rootInfo{
		fs: fs, id: id, item: item,
		freeObjectid: item.tree.highestObjectid() + 1,
		anonDev:      fs.k.GetAnonDev(),
		icache:       map[uint64]*vfs.Inode{},
	}
	fs.roots[id] = r
	fs.trace("btrfs_init_fs_root", "root %d: next inode %d", id, r.freeObjectid)
	return r
}

// loadedRoots returns the ids of the roots read so far, ascending.
func (fs *fsInfo) loadedRoots() []uint64 {
	return slices.Sorted(maps.Keys(fs.roots))
}

// cachedInodes returns the numbers of the root's in-core inodes, ascending.
func (r *rootInfo) cachedInodes() []uint64 {
	return slices.Sorted(maps.Keys(r.icache))
}

// inodeInfo is struct btrfs_inode: the root the inode lives in, its number
// there, and for a directory the next index (index_cnt).
type inodeInfo struct {
	root     *rootInfo
	ino      uint64
	indexCnt uint64
	// dataDirty is set when the page cache changed since the data was
	// last written back.
	dataDirty bool
	// diskSize is a regular file's disk_i_size, the size its inode item
	// records: a write past the end grows only the in-core size until
	// writeback; a truncate sets both (with the no-holes feature, a
	// default since btrfs-progs 5.15, btrfs_inode_safe_disk_i_size_write
	// takes i_size as it is).
	diskSize int64
	// flushOnClose is BTRFS_INODE_FLUSH_ON_CLOSE: the file was truncated
	// to zero, so the next release writes its data back.
	flushOnClose bool
	// dummy marks the in-memory stand-in for a nested subvolume seen
	// through a snapshot (new_simple_dir): it has no item. dummyAt is
	// where its entry is.
	dummy   bool
	dummyAt dummyKey
}

func info(vi *vfs.Inode) *inodeInfo { return vi.Private.(*inodeInfo) }

// iget models fs/btrfs/inode.c:btrfs_iget: the in-core inode ino of root r,
// read from its item if it is not in core. A missing item is ENOENT.
func (fs *fsInfo) iget(r *rootInfo, ino uint64) (*vfs.Inode, error) {
	if vi := r.icache[ino]; vi != nil {
		vfs.Ihold(vi)
		return vi, nil
	}
	it := r.tree().inodes[ino]
	if it == nil {
		return nil, vfs.ENOENT
	}
	vi := fs.sb.NewInode(ino, it.Mode)
	vi.Mapping.SetBlockSize(sectorSize)
	vi.UID, vi.GID = it.UID, it.GID
	vi.Size = it.Size
	vi.SetNlink(it.Nlink)
	vi.Atime, vi.Mtime, vi.Ctime = it.Atime, it.Mtime, it.Ctime
	vi.Rdev = it.Rdev
	vi.Flags = it.Flags
	vi.Link = it.Symlink
	vi.Generation = uint32(it.Generation)
	if d := r.tree().data[ino]; d != nil {
		vi.Mapping = d.Clone()
	}
	ei := &inodeInfo{root: r, ino: ino, diskSize: it.Size}
	if it.Mode.IsDir() {
		ei.indexCnt = firstIndex
		if d := r.tree().dirs[ino]; d != nil {
			for _, idx := range d.entries() {
				ei.indexCnt = max(ei.indexCnt, idx+1)
			}
		}
	}
	vi.Private = ei
	fs.setOps(vi)
	r.icache[ino] = vi
	return vi, nil
}

func (fs *fsInfo) setOps(vi *vfs.Inode) {
	if vi.Mode.IsDir() {
		vi.Ops = dirOps{fs}
	} else {
		vi.Ops = fileOps{fs}
	}
}

// newInode models fs/btrfs/inode.c:btrfs_new_inode's allocation: the root's
// next free objectid and a new inode item with nlink 1, owned by the caller.
func (fs *fsInfo) newInode(tr *trans, r *rootInfo, dirVI *vfs.Inode, mode vfs.FileMode) *inodeInfo {
	return fs.newInodeNumbered(tr, r, dirVI, mode, r.allocObjectid())
}

// allocObjectid models fs/btrfs/disk-io.c:btrfs_get_free_objectid.
func (r *rootInfo) allocObjectid() uint64 {
	ino := r.freeObjectid
	r.freeObjectid++
	return ino
}

// newInodeNumbered is newInode with a number already allocated.
func (fs *fsInfo) newInodeNumbered(tr *trans, r *rootInfo, dirVI *vfs.Inode, mode vfs.FileMode, ino uint64) *inodeInfo {
	vi := fs.sb.NewInode(ino, mode)
	vi.Mapping.SetBlockSize(sectorSize)
	vi.InitOwner(dirVI, mode, fs.k.Current().Cred())
	ei := &inodeInfo{root: r, ino: ino}
	if mode.IsDir() {
		ei.indexCnt = firstIndex
		r.tree().dirs[ino] = newDirItems()
	}
	vi.Private = ei
	fs.setOps(vi)
	r.icache[ino] = vi
	r.touch()
	r.tree().inodes[ino] = &inodeItem{Generation: fs.transid()}
	vi.Generation = uint32(fs.transid())
	fs.updateInode(tr, ei)
	fs.trace("btrfs_new_inode", "root %d inode %d (%s)", r.id, ino, mode.TypeName())
	return ei
}

// updateInode models fs/btrfs/inode.c:btrfs_update_inode: the in-core inode
// is copied into its item.
func (fs *fsInfo) updateInode(tr *trans, ei *inodeInfo) {
	if ei.dummy {
		return
	}
	vi := ei.root.icache[ei.ino]
	it := ei.root.tree().inodes[ei.ino]
	if vi == nil || it == nil {
		vfs.Bug("btrfssim: update of inode %d of root %d, which is not in core or has no item", ei.ino, ei.root.id)
	}
	ei.root.touch()
	it.Mode, it.UID, it.GID = vi.Mode, vi.UID, vi.GID
	it.Size, it.Nlink = vi.Size, vi.Nlink()
	if vi.Mode.IsRegular() {
		it.Size = ei.diskSize
	}
	it.Atime, it.Mtime, it.Ctime = vi.Atime, vi.Mtime, vi.Ctime
	it.Rdev, it.Flags, it.Symlink = vi.Rdev, vi.Flags&persistentFlags, vi.Link
}

// writeData writes an in-core regular file's page cache back to its
// extents (writeback: delalloc becomes extents). A file of at most
// max_inline bytes whose data is all in its first sector gets an inline
// extent (cow_file_range_inline).
func (r *rootInfo) writeData(ino uint64) {
	vi := r.icache[ino]
	t := r.tree()
	if vi == nil || !vi.Mode.IsRegular() || t.inodes[ino] == nil || !info(vi).dataDirty {
		return
	}
	info(vi).dataDirty = false
	info(vi).diskSize = vi.Size
	r.touch()
	t.inodes[ino].Size = vi.Size
	d := vi.Mapping.Clone()
	t.data[ino] = &d
	ext := d.Extents(math.MaxInt64)
	if vi.Size > 0 && vi.Size <= maxInline && len(ext) == 1 && ext[0].Off == 0 && ext[0].Len == sectorSize {
		t.inline[ino] = vi.Size
	} else {
		delete(t.inline, ino)
	}
}

// writeDataFrom is writeback of the range from start (sector-aligned) to
// the end of the file, as btrfs_wait_ordered_range does for a truncate: the
// extents before start stay as they were (data written there since stays
// delalloc), those from start on become the page cache's.
func (r *rootInfo) writeDataFrom(ino uint64, start int64) {
	if start == 0 {
		r.writeData(ino)
		return
	}
	vi := r.icache[ino]
	t := r.tree()
	if vi == nil || !vi.Mode.IsRegular() || t.inodes[ino] == nil || !info(vi).dataDirty {
		return
	}
	r.touch()
	var d vfs.AddressSpace
	d.SetBlockSize(sectorSize)
	if old := t.data[ino]; old != nil {
		copyData(&d, old, 0, start)
	}
	copyData(&d, &vi.Mapping, start, vi.Size)
	t.data[ino] = &d
	delete(t.inline, ino) // past the first sector: never inline
}

// copyData copies the written blocks of src within [from, to) into dst.
func copyData(dst, src *vfs.AddressSpace, from, to int64) {
	const chunk = 1 << 20
	buf := make([]byte, chunk)
	for _, e := range src.Extents(to) {
		off, end := max(e.Off, from), min(e.Off+e.Len, to)
		for off < end {
			n := src.ReadAt(buf[:min(chunk, end-off)], off, to)
			dst.WriteAt(buf[:n], off)
			off += int64(n)
		}
	}
}

// persistentFlags are the inode flags kept in the inode item (chattr's
// append-only and immutable); the others are the VFS's own state.
const persistentFlags = vfs.S_APPEND | vfs.S_IMMUTABLE

// nbytes is the inode's byte count for st_blocks (inode_get_bytes plus
// delalloc): whole sectors of file data (an inline extent counts as one
// sector), a symlink's inline target as one sector, and for directories
// what mkfs recorded.
func (fs *fsInfo) nbytes(vi *vfs.Inode) int64 {
	ei := info(vi)
	switch {
	case vi.Mode.IsRegular():
		return vi.Mapping.NrBlocks() * sectorSize
	case vi.Mode.IsSymlink():
		return sectorSize
	case ei.dummy:
		return 0
	}
	if it := ei.root.tree().inodes[ei.ino]; it != nil {
		return it.NBytes
	}
	return 0
}

// getattr models fs/btrfs/inode.c:btrfs_getattr: st_dev is the root's
// anonymous device (0 once the subvolume was deleted), st_blocks its bytes in
// 512-byte units, st_blksize the sector size.
func (fs *fsInfo) getattr(vi *vfs.Inode, st vfs.Stat_t) vfs.Stat_t {
	r := info(vi).root
	st.Dev = r.anonDev
	if r.dead() {
		st.Dev = 0
	}
	st.Blocks = fs.nbytes(vi) / 512
	st.Blksize = sectorSize
	return st
}

// EvictInode implements vfs.InodeEvicter (models
// fs/btrfs/inode.c:btrfs_evict_inode). An inode with links is only dropped
// from the cache, its data written to its extents first. An inode without
// links is deleted: its items go (file extents, the inode item) and then its
// orphan item. In a deleted subvolume nothing is deleted: the whole tree
// goes.
func (fs *fsInfo) EvictInode(vi *vfs.Inode) {
	ei := info(vi)
	r := ei.root
	if ei.dummy {
		delete(fs.dummies, ei.dummyAt)
		return
	}
	defer delete(r.icache, ei.ino)
	if vi.Nlink() > 0 || fs.readonly || r.dead() {
		r.writeData(ei.ino)
		return
	}
	tr, err := fs.startTransaction("btrfs_evict_inode")
	if err != nil {
		// The items stay, with the orphan item: the next mount's
		// cleanup deletes them.
		return
	}
	t := r.tree()
	r.touch()
	delete(t.data, ei.ino)
	delete(t.inline, ei.ino)
	delete(t.dirs, ei.ino)
	delete(t.inodes, ei.ino)
	fs.orphanDel(tr, ei)
	tr.end()
	fs.trace("btrfs_evict_inode", "root %d inode %d deleted", r.id, ei.ino)
}

// fileOps are the inode operations of non-directories.
type fileOps struct{ fs *fsInfo }

var (
	_ vfs.Setattrer      = fileOps{}
	_ vfs.Getattrer      = fileOps{}
	_ vfs.WriteEnder     = fileOps{}
	_ vfs.WriteChecker   = fileOps{}
	_ vfs.FileattrSetter = fileOps{}
	_ vfs.Permissioner   = fileOps{}
	_ vfs.SeekHoleDataer = fileOps{}
	_ vfs.TimeUpdater    = fileOps{}
	_ vfs.FileReleaser   = fileOps{}
)

// Getattr implements vfs.Getattrer.
func (o fileOps) Getattr(vi *vfs.Inode, st vfs.Stat_t) vfs.Stat_t { return o.fs.getattr(vi, st) }

// Permission implements vfs.Permissioner.
func (o fileOps) Permission(c *vfs.Cred, vi *vfs.Inode, mask int) error {
	return o.fs.permission(c, vi, mask)
}

// permission models fs/btrfs/inode.c:btrfs_permission: no writing to files,
// directories and symlinks of a read-only snapshot.
func (fs *fsInfo) permission(c *vfs.Cred, vi *vfs.Inode, mask int) error {
	if mask&vfs.MAY_WRITE != 0 && info(vi).root.item.readonly {
		if m := vi.Mode; m.IsRegular() || m.IsDir() || m.IsSymlink() {
			return vfs.EROFS
		}
	}
	return vfs.GenericPermission(c, vi, mask)
}

// UpdateTime implements vfs.TimeUpdater (models
// fs/btrfs/inode.c:btrfs_update_time): no times change in a read-only
// snapshot (EROFS).
func (o fileOps) UpdateTime(vi *vfs.Inode) error {
	if info(vi).root.item.readonly {
		return vfs.EROFS
	}
	tr, err := o.fs.startTransaction("btrfs_update_time")
	if err != nil {
		return err
	}
	vi.Touch(true, true)
	o.fs.updateInode(tr, info(vi))
	tr.end()
	return nil
}

// FileattrSet implements vfs.FileattrSetter (models
// fs/btrfs/ioctl.c:btrfs_fileattr_set).
func (o fileOps) FileattrSet(vi *vfs.Inode, flags vfs.InodeFlags) error {
	return o.fs.fileattrSet(vi)
}

func (fs *fsInfo) fileattrSet(vi *vfs.Inode) error {
	if info(vi).root.item.readonly {
		return vfs.EROFS
	}
	tr, err := fs.startTransaction("btrfs_fileattr_set")
	if err != nil {
		return err
	}
	fs.updateInode(tr, info(vi))
	tr.end()
	return nil
}

// CheckWrite implements vfs.WriteChecker (the start of
// btrfs_do_write_iter): once the filesystem has hit an error, writes
// through descriptors opened before it fail with EROFS.
func (o fileOps) CheckWrite(f *vfs.File) error {
	if o.fs.aborted {
		return vfs.EROFS
	}
	return nil
}

// WriteEnd implements vfs.WriteEnder: the written range becomes delalloc,
// the new size goes to the inode item, and the data reaches its extents at
// the next commit. A write starting past an end that is not sector-aligned
// also makes the old last sector data, as btrfs_cont_expand does.
func (o fileOps) WriteEnd(vi *vfs.Inode, pos int64, n int, oldSize int64) error {
	// The page cache holds the data now, whatever happens next.
	info(vi).dataDirty = true
	tr, err := o.fs.startTransaction("btrfs_write_end")
	if err != nil {
		return err
	}
	if pos > oldSize && oldSize%sectorSize != 0 {
		// btrfs_write_check: a write starting past the end expands the
		// file first (btrfs_cont_expand), zeroing the rest of the old
		// last sector, which makes that sector data.
		end := min((oldSize/sectorSize+1)*sectorSize, pos)
		vi.Mapping.WriteAt(make([]byte, end-oldSize), oldSize)
	}
	o.fs.updateInode(tr, info(vi))
	tr.end()
	return nil
}

// SeekHoleData implements vfs.SeekHoleDataer (models
// fs/btrfs/file.c:find_desired_extent). It walks the file's extent items —
// the data written back so far — and looks for delalloc (data written since)
// only in the holes between them. Like Linux it starts a negative offset at
// 0 but then compares it as unsigned: SEEK_DATA from a negative offset
// finds delalloc at 0, yet fails with ENXIO once that data is an extent.
// And SEEK_HOLE past an extent that ends at 2^63 returns -2^63.
func (o fileOps) SeekHoleData(vi *vfs.Inode, off int64, whence int) (int64, error) {
	size := vi.Size
	if size == 0 || off >= size {
		return -1, vfs.ENXIO
	}
	ei := info(vi)
	t := ei.root.tree()
	var ext []vfs.Extent
	var extBytes int64
	if d := t.data[ei.ino]; d != nil {
		ext = d.Extents(math.MaxInt64)
		extBytes = d.NrBlocks() * sectorSize
	}
	if n, ok := t.inline[ei.ino]; ok {
		extBytes = n
	}
	// The quick path: as many bytes in extents as the file is long, so
	// no hole before its end.
	if whence == vfs.SEEK_HOLE && extBytes == size {
		return size, nil
	}
	delalloc := subtractRuns(vi.Mapping.Extents(math.MaxInt64), ext)
	// inHole models fs/btrfs/file.c:find_desired_extent_in_hole for
	// [s, e].
	inHole := func(s, e int64) (int64, bool) {
		for _, r := range delalloc {
			rs, re := r.Off, r.Off+r.Len-1
			if re < s {
				continue
			}
			if rs > e {
				break
			}
			ds, de := max(rs, s), min(re, e)
			switch {
			case whence == vfs.SEEK_DATA:
				return ds, true
			case s < ds:
				return s, true
			case de < e:
				return de + 1, true
			}
			return 0, false
		}
		return s, whence == vfs.SEEK_HOLE
	}
	// The search runs in u64, as Linux's does: an extent ending at 2^63
	// does not wrap, and the offset compares as unsigned.
	uoff, usize := uint64(off), uint64(size)
	start := uint64(max(off, 0))
	lastEnd := start / sectorSize * sectorSize
	found := false
	for _, r := range ext {
		// Extents are whole sectors; Extents clips the last one at
		// 2^63-1, where the real one ends at 2^63.
		ks, ke := uint64(r.Off), (uint64(r.Off)+uint64(r.Len)+sectorSize-1)/sectorSize*sectorSize
		if ke <= start {
			continue
		}
		if lastEnd < ks {
			ss := lastEnd
			if start == uoff {
				ss = uoff
			}
			if fs, ok := inHole(int64(ss), int64(ks)-1); ok {
				start, found = uint64(fs), true
				break
			}
		}
		if whence == vfs.SEEK_DATA {
			start, found = max(ks, uoff), true
			break
		}
		start, lastEnd = ke, ke
	}
	if !found && start < usize {
		if fs, ok := inHole(int64(start), size-1); ok {
			start = uint64(fs)
		} else {
			start = usize
		}
	}
	if whence == vfs.SEEK_DATA && start >= usize {
		return -1, vfs.ENXIO
	}
	// min_t(loff_t, start, i_size): a search that ended at 2^63 gives a
	// negative result, which llseek hands back as it is.
	return min(int64(start), size), nil
}

// subtractRuns returns the parts of the sorted runs a not covered by the
// sorted runs b.
func subtractRuns(a, b []vfs.Extent) []vfs.Extent {
	var out []vfs.Extent
	for _, r := range a {
		s, e := r.Off, r.Off+r.Len
		for _, x := range b {
			xs, xe := x.Off, x.Off+x.Len
			if xe <= s || xs >= e {
				continue
			}
			if xs > s {
				out = append(out, vfs.Extent{Off: s, Len: xs - s})
			}
			s = max(s, xe)
		}
		if s < e {
			out = append(out, vfs.Extent{Off: s, Len: e - s})
		}
	}
	return out
}

// Release implements vfs.FileReleaser (models
// fs/btrfs/file.c:btrfs_release_file): the last close of any descriptor of a
// file truncated to zero writes its data back (filemap_flush), turning
// delalloc into extents.
func (o fileOps) Release(f *vfs.File) {
	ei := info(f.Inode())
	if ei.flushOnClose {
		ei.flushOnClose = false
		ei.root.writeData(ei.ino)
	}
}

// Setattr implements vfs.Setattrer (models fs/btrfs/inode.c:btrfs_setattr).
// Unlike ext4 a shrinking truncate leaves no orphan item behind:
// btrfs_truncate logs the new size in the same transaction as the removed
// extents.
func (o fileOps) Setattr(vi *vfs.Inode, attr *vfs.Iattr) error {
	return o.fs.setattr(vi, attr)
}

func (fs *fsInfo) setattr(vi *vfs.Inode, attr *vfs.Iattr) error {
	if info(vi).root.item.readonly {
		return vfs.EROFS
	}
	tr, err := fs.startTransaction("btrfs_setattr")
	if err != nil {
		return err
	}
	if attr.Valid&vfs.ATTR_SIZE != 0 && attr.Size > vi.Size && vi.Size%sectorSize != 0 {
		// btrfs_cont_expand: btrfs_truncate_block zeroes the rest of the
		// sector holding the old end, which makes that sector data
		// (delalloc) even where it was a hole.
		end := (vi.Size/sectorSize + 1) * sectorSize
		vi.Mapping.WriteAt(make([]byte, end-vi.Size), vi.Size)
		info(vi).dataDirty = true
	}
	shrink := attr.Valid&vfs.ATTR_SIZE != 0 && attr.Size < vi.Size
	if attr.Valid&vfs.ATTR_SIZE != 0 && attr.Size == 0 && vi.Mode.IsRegular() {
		// btrfs_setsize: "make sure any new writes to the file get on
		// disk on close" — O_TRUNC of an empty file included.
		info(vi).flushOnClose = true
	}
	vfs.SimpleSetattr(vi, attr)
	if attr.Valid&vfs.ATTR_SIZE != 0 {
		info(vi).diskSize = attr.Size
	}
	if t, ino := info(vi).root.tree(), info(vi).ino; shrink {
		info(vi).root.touch()
		// btrfs_truncate_inode_items drops the extents past the new
		// end at once; an inline extent is cut.
		if d := t.data[ino]; d != nil {
			d.Truncate(attr.Size)
		}
		if n, ok := t.inline[ino]; ok {
			if attr.Size == 0 {
				delete(t.inline, ino)
			} else {
				t.inline[ino] = min(n, attr.Size)
			}
		}
		// btrfs_truncate first waits for writeback of everything from
		// the sector holding the new end (btrfs_wait_ordered_range), so
		// delalloc there becomes extents.
		info(vi).root.writeDataFrom(ino, attr.Size/sectorSize*sectorSize)
	}
	fs.updateInode(tr, info(vi))
	tr.end()
	return nil
}
