package ext4sim

import (
	"github.com/relinksim/relinksim/vfs"
)

// Reserved inode numbers (fs/ext4/ext4.h).
const (
	rootIno       = 2  // EXT4_ROOT_INO
	lostFoundIno  = 11 // the first non-reserved inode, made by mkfs
	ext4LinkMax   = 65000
	symlinkInline = 60 // EXT4_N_BLOCKS * 4: targets shorter live in i_block
)

// inodeInfo is struct ext4_inode_info, the ext4 part of an in-core inode
// (vfs.Inode.Private).
type inodeInfo struct {
	ino uint32
	vi  *vfs.Inode
	// dtime is i_dtime in core: NEXT_ORPHAN while the inode is on the
	// orphan chain, the deletion time once it is freed.
	dtime uint32
	// onList, prev and next are i_orphan: membership of sbi->s_orphan.
	onList     bool
	prev, next *inodeInfo
	// orphanIdx is i_orphan_idx, the orphan-file slot, or -1
	// (EXT4_STATE_ORPHAN_FILE clear).
	orphanIdx int
	// freed records that the in-core inode was evicted; an entry of the
	// in-memory orphan list that is freed is the 2007 bug's dangling node.
	freed bool
}

func (ei *inodeInfo) tracked() bool { return ei.onList || ei.orphanIdx >= 0 }

func info(vi *vfs.Inode) *inodeInfo { return vi.Private.(*inodeInfo) }

// iget models fs/ext4/inode.c:ext4_iget: the in-core inode for ino, from
// the inode cache or loaded from the inode table. An inode whose link count
// is 0 is only loaded during orphan cleanup (EXT4_ORPHAN_FS); otherwise it
// counts as deleted (ESTALE).
func (fs *fsInfo) iget(ino uint32) (*vfs.Inode, error) {
	if vi := fs.icache[ino]; vi != nil {
		vfs.Ihold(vi)
		return vi, nil
	}
	return fs.load(ino, false)
}

func (fs *fsInfo) load(ino uint32, orphanFS bool) (*vfs.Inode, error) {
	di := fs.cur.inodes[ino]
	g, bit := fs.cur.group(ino)
	if di == nil || ino > fs.cur.geo.inodesCount() || !fs.cur.groups[g].inUse(bit) {
		return nil, vfs.ESTALE
	}
	if di.Links == 0 && !orphanFS {
		return nil, vfs.ESTALE
	}
	vi := fs.sb.NewInode(uint64(ino), di.Mode)
	vi.Mapping.SetBlockSize(fs.cur.geo.BlockSize)
	vi.UID, vi.GID = di.UID, di.GID
	vi.Size = di.Size
	vi.SetNlink(di.Links)
	vi.Atime, vi.Mtime, vi.Ctime = di.Atime, di.Mtime, di.Ctime
	vi.Rdev = di.Rdev
	vi.Flags = vfs.InodeFlags(di.Flags)
	vi.Link = di.Symlink
	vi.Generation = di.Generation
	if d := fs.cur.data[ino]; d != nil {
		vi.Mapping = d.Clone()
	}
	ei := &inodeInfo{ino: ino, vi: vi, dtime: di.Dtime, orphanIdx: -1}
	vi.Private = ei
	fs.setOps(vi)
	fs.icache[ino] = vi
	return vi, nil
}

func (fs *fsInfo) setOps(vi *vfs.Inode) {
	if vi.Mode.IsDir() {
		vi.Ops = dirOps{fs}
	} else {
		vi.Ops = fileOps{fs}
	}
}

// orphanGet models fs/ext4/ialloc.c:ext4_orphan_get: load an inode named by
// the orphan chain during cleanup, validating it.
func (fs *fsInfo) orphanGet(ino uint32) (*inodeInfo, error) {
	if ino < fs.cur.geo.FirstIno || ino > fs.cur.geo.inodesCount() {
		fs.msg("bad orphan inode %d", ino)
		return nil, vfs.EUCLEAN
	}
	if vi := fs.icache[ino]; vi != nil {
		vfs.Ihold(vi)
		return info(vi), nil
	}
	vi, err := fs.load(ino, true)
	if err != nil {
		fs.msg("bad orphan inode %d", ino)
		return nil, vfs.EUCLEAN
	}
	return info(vi), nil
}

// markInodeDirty models fs/ext4/inode.c:__ext4_mark_inode_dirty (the
// ext4_mark_inode_dirty macro): the in-core inode is copied into its
// inode-table buffer, which joins h's transaction.
func (fs *fsInfo) markInodeDirty(h *handle, ei *inodeInfo) {
	h.access(bufKey{bufInode, ei.ino})
	vi := ei.vi
	di := fs.cur.inodes[ei.ino]
	if di == nil {
		di = &diskInode{}
		fs.cur.inodes[ei.ino] = di
	}
	*di = diskInode{
		Mode: vi.Mode, UID: vi.UID, GID: vi.GID, Size: vi.Size, Links: vi.Nlink(),
		Atime: vi.Atime, Mtime: vi.Mtime, Ctime: vi.Ctime, Dtime: ei.dtime,
		Flags: uint32(vi.Flags & (vfs.S_APPEND | vfs.S_IMMUTABLE)),
		Rdev:  vi.Rdev, Symlink: vi.Link, Blocks: fs.iblocks(vi),
		Generation: vi.Generation,
	}
}

// iblocks is i_blocks in 512-byte sectors: directory blocks, or the blocks a
// file's data occupies.
func (fs *fsInfo) iblocks(vi *vfs.Inode) int64 {
	switch {
	case vi.Mode.IsDir():
		if d := fs.cur.dirs[uint32(vi.Ino)]; d != nil {
			return int64(len(d.blocks) * fs.cur.geo.BlockSize / 512)
		}
	case vi.Mode.IsSymlink():
		if len(vi.Link) >= symlinkInline {
			return int64(fs.cur.geo.BlockSize / 512)
		}
	default:
		return vi.Mapping.NrBlocks() * vi.Mapping.BlockSize() / 512
	}
	return 0
}

// writeData writes an in-core inode's page cache home (ordered-mode data
// before a commit, or writeback at eviction).
func (fs *fsInfo) writeData(ino uint32) {
	vi := fs.icache[ino]
	if vi == nil || !vi.Mode.IsRegular() {
		return
	}
	cur := vi.Mapping.Clone()
	fs.cur.data[ino] = &cur
	home := vi.Mapping.Clone()
	fs.dev.home.data[ino] = &home
}

// EvictInode implements vfs.InodeEvicter (models fs/ext4/inode.c:
// ext4_evict_inode). An inode with links is only dropped from the cache
// (its data written back first). An inode without links is deleted in one
// handle: truncated, taken off the orphan list, given its deletion time,
// and freed.
func (fs *fsInfo) EvictInode(vi *vfs.Inode) {
	ei := info(vi)
	ino := ei.ino
	defer func() {
		delete(fs.icache, ino)
		ei.freed = true
	}()
	if vi.Nlink() > 0 || fs.sb.ReadOnly() && !fs.cleanupRW {
		// no_delete: the 2007 hole — nothing takes such an inode off the
		// orphan list.
		fs.writeData(ino)
		return
	}
	h, err := fs.j.start("ext4_evict_inode", 8)
	if err != nil {
		// "ext4_evict_inode: journal start failed": the inode leaves the
		// in-memory orphan list only and stays allocated on disk.
		fs.orphanDel(nil, ei)
		return
	}
	vi.Size = 0
	vi.Mapping.Truncate(0)
	delete(fs.cur.data, ino)
	if vi.Mode.IsDir() {
		h.access(bufKey{bufDir, ino})
		delete(fs.cur.dirs, ino)
	}
	fs.orphanDel(h, ei)
	ei.dtime = uint32(fs.k.Now() / 1e9)
	fs.markInodeDirty(h, ei)
	fs.freeInode(h, ei)
	fs.trace("ext4_evict_inode", "inode %d deleted", ino)
	h.stop()
}

// fileOps are the inode operations of non-directories.
type fileOps struct{ fs *fsInfo }

var (
	_ vfs.Setattrer      = fileOps{}
	_ vfs.Getattrer      = fileOps{}
	_ vfs.WriteEnder     = fileOps{}
	_ vfs.FileattrSetter = fileOps{}
)

// Getattr implements vfs.Getattrer: st_blocks from i_blocks.
func (o fileOps) Getattr(vi *vfs.Inode, st vfs.Stat_t) vfs.Stat_t {
	st.Blocks = o.fs.iblocks(vi)
	return st
}

// FileattrSet implements vfs.FileattrSetter (chattr +a, +i).
func (o fileOps) FileattrSet(vi *vfs.Inode, flags vfs.InodeFlags) error {
	h, err := o.fs.j.start("ext4_fileattr_set", 1)
	if err != nil {
		return err
	}
	o.fs.markInodeDirty(h, info(vi))
	h.stop()
	return nil
}

// WriteEnd implements vfs.WriteEnder (models fs/ext4/inode.c:ext4_write_end):
// a write that grew the file journals the new size; the data is ordered
// before the commit.
func (o fileOps) WriteEnd(vi *vfs.Inode, pos int64, n int, oldSize int64) error {
	h, err := o.fs.j.start("ext4_write_end", 2)
	if err != nil {
		return err
	}
	h.orderedData(info(vi).ino)
	o.fs.markInodeDirty(h, info(vi))
	h.stop()
	return nil
}

// Setattr implements vfs.Setattrer (models fs/ext4/inode.c:ext4_setattr).
// A shrinking truncate puts the inode on the orphan list in its first
// handle and ext4_truncate takes it off again in the second: a crash in
// between leaves an orphan with links, which cleanup truncates.
func (o fileOps) Setattr(vi *vfs.Inode, attr *vfs.Iattr) error {
	return o.fs.setattr(vi, attr)
}

func (fs *fsInfo) setattr(vi *vfs.Inode, attr *vfs.Iattr) error {
	ei := info(vi)
	if attr.Valid&vfs.ATTR_SIZE == 0 || !vi.Mode.IsRegular() {
		h, err := fs.j.start("ext4_setattr", 1)
		if err != nil {
			return err
		}
		vfs.SimpleSetattr(vi, attr)
		fs.markInodeDirty(h, ei)
		h.stop()
		return nil
	}
	shrink := attr.Size < vi.Size
	h, err := fs.j.start("ext4_setattr", 3)
	if err != nil {
		return err
	}
	orphan := false
	if shrink {
		if err := fs.orphanAdd(h, ei); err != nil {
			h.stop()
			return err
		}
		orphan = true
	}
	vi.Size = attr.Size
	if !shrink {
		vi.Touch(true, true)
	}
	fs.markInodeDirty(h, ei)
	h.stop()
	if shrink {
		if err := fs.truncate(ei, attr.Size); err != nil && orphan && vi.Nlink() > 0 {
			fs.orphanDel(nil, ei)
		}
	}
	return nil
}

// truncate models fs/ext4/inode.c:ext4_truncate: blocks past size go, and an
// inode with links leaves the orphan list it joined for the truncate.
func (fs *fsInfo) truncate(ei *inodeInfo, size int64) error {
	vi := ei.vi
	h, err := fs.j.start("ext4_truncate", 4)
	if err != nil {
		return err
	}
	vi.Mapping.Truncate(size)
	vi.Size = size
	vi.Touch(true, true)
	h.orderedData(ei.ino)
	if vi.Nlink() > 0 {
		fs.orphanDel(h, ei)
	}
	fs.markInodeDirty(h, ei)
	h.stop()
	return nil
}
