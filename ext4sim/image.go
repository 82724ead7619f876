package ext4sim

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"

	"github.com/relinksim/relinksim/vfs"
)

// image is the content of the simulated block device, structured rather
// than byte-addressed: the superblock, the group descriptors with their
// inode bitmaps, the inode table, the directory blocks and the file data.
// The same type serves as the durable home locations (Device.home) and as
// the mounted filesystem's current view of its metadata buffers
// (fsInfo.cur: what the page cache of the block device holds).
//
// Differences from the on-disk format: there are no byte offsets, no
// checksums and no block bitmaps (free-block counts are kept per group);
// an inode's data is stored as sparse pages rather than extents.
type image struct {
	geo    geometry
	sb     diskSuper
	groups []diskGroup
	inodes map[uint32]*diskInode
	dirs   map[uint32]*diskDir
	data   map[uint32]*vfs.AddressSpace
	// orphanBlocks are the blocks of the orphan file (orphan_file
	// feature): slots holding orphan inode numbers, 0 when free.
	orphanBlocks [][]uint32
}

// geometry is what mkfs decided and the superblock records.
type geometry struct {
	BlockSize      int
	BlocksCount    uint64
	BlocksPerGroup uint32
	InodesPerGroup uint32
	Groups         uint32
	FlexSize       uint32 // groups per flex group (s_log_groups_per_flex)
	FirstIno       uint32 // first non-reserved inode (11)
	InodeSize      int
	// DirTail is the bytes a directory leaf block reserves for its
	// checksum tail (12 with metadata_csum).
	DirTail int
}

// diskSuper holds the fields of struct ext4_super_block the model uses.
type diskSuper struct {
	LastOrphan    uint32 // s_last_orphan: head of the orphan chain
	FreeInodes    uint32
	FreeBlocks    uint64
	OrphanFileIno uint32 // s_orphan_file_inum, 0 without orphan_file
	// OrphanPresent is RO_COMPAT_ORPHAN_PRESENT: set while mounted
	// read-write with orphan_file, cleared at a clean unmount.
	OrphanPresent bool
	Errors        bool // EXT4_ERROR_FS
	Clean         bool // EXT4_VALID_FS: unmounted cleanly
	HashSeed      [4]uint32
	MountCount    uint32
}

// diskGroup is a group descriptor with its inode bitmap.
type diskGroup struct {
	FreeInodes uint32
	FreeBlocks uint32
	UsedDirs   uint32
	bitmap     []uint64
}

func (g *diskGroup) inUse(i uint32) bool { return g.bitmap[i/64]&(1<<(i%64)) != 0 }
func (g *diskGroup) set(i uint32)        { g.bitmap[i/64] |= 1 << (i % 64) }
func (g *diskGroup) clear(i uint32)      { g.bitmap[i/64] &^= 1 << (i % 64) }

// firstFree returns the lowest clear bit at or after from, or -1.
func (g *diskGroup) firstFree(from, n uint32) int64 {
	for i := from; i < n; {
		w := g.bitmap[i/64] | (1<<(i%64) - 1) // bits below i count as used
		if w != ^uint64(0) {
			b := uint32(bits.TrailingZeros64(^w)) + i/64*64
			if b < n {
				return int64(b)
			}
			return -1
		}
		i = (i/64 + 1) * 64
	}
	return -1
}

// diskInode holds the fields of struct ext4_inode the model uses.
type diskInode struct {
	Mode    vfs.FileMode
	UID     uint32
	GID     uint32
	Size    int64
	Links   uint32 // i_links_count
	Atime   int64
	Mtime   int64
	Ctime   int64
	Dtime   uint32 // deletion time, or NEXT_ORPHAN while on the orphan chain
	Flags   uint32 // i_flags: the append-only and immutable bits
	Rdev    uint32
	Symlink string // a fast symlink's target (kept in i_block)
	Blocks  int64  // i_blocks in 512-byte sectors
	// Generation is i_generation (0 for the inodes mke2fs makes).
	Generation uint32
}

// diskDir is a directory's data: its blocks of entries.
type diskDir struct {
	blocks [][]dirent
	// dx is the htree index (htree.go), non-nil when EXT4_INODE_INDEX
	// is set: make_indexed_dir turned the directory into an htree,
	// whose block 0 is the index root. (mkfs's lost+found has 12 blocks
	// and is linear.)
	dx *dxTree
	// shared marks the blocks shared with a clone (the journal's
	// snapshots, the device's copies): they are copied before they change
	// (own), so a snapshot costs a slice of block headers, not the
	// directory. Blocks past its end are private.
	shared []bool
	// hashOrder is the directory in readdir order (fsInfo.hashOrder),
	// kept until the directory changes (changed); nil when not built.
	hashOrder []ordered
	// where and room are the simulator's own indexes of blocks, rebuilt
	// when nil (see dirindex.go): the block each name is in, and, for a
	// linear directory, the largest record each block could take.
	where map[string]int
	room  *roomTree
}

// dirent is a struct ext4_dir_entry_2: an entry (inode 0: unused space)
// and the record length it occupies.
type dirent struct {
	ino    uint32
	name   string
	typ    vfs.FileMode
	recLen int
}

// recLen models fs/ext4/ext4.h:ext4_dir_rec_len (EXT4_DIR_REC_LEN before
// 5.14): the 8-byte header plus the name, rounded to 4 bytes.
func recLen(nameLen int) int { return (nameLen + 8 + 3) &^ 3 }

func (im *image) group(ino uint32) (uint32, uint32) {
	return (ino - 1) / im.geo.InodesPerGroup, (ino - 1) % im.geo.InodesPerGroup
}

// clone returns a deep copy.
func (im *image) clone() *image {
	c := &image{geo: im.geo, sb: im.sb}
	c.groups = make([]diskGroup, len(im.groups))
	for i, g := range im.groups {
		c.groups[i] = g
		c.groups[i].bitmap = append([]uint64(nil), g.bitmap...)
	}
	c.inodes = make(map[uint32]*diskInode, len(im.inodes))
	for n, di := range im.inodes {
		cp := *di
		c.inodes[n] = &cp
	}
	c.dirs = make(map[uint32]*diskDir, len(im.dirs))
	for n, d := range im.dirs {
		c.dirs[n] = d.clone()
	}
	c.data = make(map[uint32]*vfs.AddressSpace, len(im.data))
	for n, a := range im.data {
		cp := a.Clone()
		c.data[n] = &cp
	}
	c.orphanBlocks = make([][]uint32, len(im.orphanBlocks))
	for i, b := range im.orphanBlocks {
		c.orphanBlocks[i] = append([]uint32(nil), b...)
	}
	return c
}

// clone copies the directory, sharing its blocks copy-on-write: both
// copies then treat every block as shared (own).
func (d *diskDir) clone() *diskDir {
	c := &diskDir{blocks: slices.Clone(d.blocks)}
	d.shared = allShared(len(d.blocks))
	c.shared = allShared(len(d.blocks))
	if d.dx != nil {
		c.dx = d.dx.clone()
	}
	return c
}

func allShared(n int) []bool {
	s := make([]bool, n)
	for i := range s {
		s[i] = true
	}
	return s
}

// changed drops what the directory keeps derived from its records (the
// readdir order). Every change calls it: own for changes in place, placed
// and removed for names added and taken out (splits included), appended
// for new blocks.
func (d *diskDir) changed() { d.hashOrder = nil }

// own returns block b to be changed in place, copying it first when a
// clone shares it. Every change to a block's records goes through it.
func (d *diskDir) own(b int) []dirent {
	d.changed()
	if b < len(d.shared) && d.shared[b] {
		d.blocks[b] = slices.Clone(d.blocks[b])
		d.shared[b] = false
	}
	return d.blocks[b]
}

// bufKey names one metadata buffer: the unit the journal logs and a crash
// keeps or loses as a whole.
type bufKey struct {
	kind bufKind
	n    uint32
}

type bufKind uint32 // uint32, so that a bufKey is 8 bytes without padding: maps of it hash as fast as of a uint64

const (
	bufSuper bufKind = iota
	bufGroup
	bufInode
	bufDir
	bufOrphanBlock
)

func (k bufKey) String() string {
	switch k.kind {
	case bufSuper:
		return "superblock"
	case bufGroup:
		return fmt.Sprintf("group %d", k.n)
	case bufInode:
		return fmt.Sprintf("inode %d", k.n)
	case bufDir:
		return fmt.Sprintf("directory %d", k.n)
	case bufOrphanBlock:
		return fmt.Sprintf("orphan block %d", k.n)
	}
	return "?"
}

// snapshot copies the buffer's current content (nil for a buffer that does
// not exist, such as a removed directory's blocks).
func (im *image) snapshot(k bufKey) any {
	switch k.kind {
	case bufSuper:
		return im.sb
	case bufGroup:
		g := im.groups[k.n]
		g.bitmap = append([]uint64(nil), g.bitmap...)
		return g
	case bufInode:
		if di := im.inodes[k.n]; di != nil {
			return *di
		}
	case bufDir:
		if d := im.dirs[k.n]; d != nil {
			return d.clone()
		}
	case bufOrphanBlock:
		return append([]uint32(nil), im.orphanBlocks[k.n]...)
	}
	return nil
}

// restore writes a snapshot back (journal replay, checkpoint).
func (im *image) restore(k bufKey, v any) {
	switch k.kind {
	case bufSuper:
		im.sb = v.(diskSuper)
	case bufGroup:
		g := v.(diskGroup)
		g.bitmap = append([]uint64(nil), g.bitmap...)
		im.groups[k.n] = g
	case bufInode:
		if v == nil {
			delete(im.inodes, k.n)
			return
		}
		di := v.(diskInode)
		im.inodes[k.n] = &di
	case bufDir:
		if v == nil {
			delete(im.dirs, k.n)
			return
		}
		im.dirs[k.n] = v.(*diskDir).clone()
	case bufOrphanBlock:
		im.orphanBlocks[k.n] = append([]uint32(nil), v.([]uint32)...)
	}
}

// sortedInos returns the inode numbers of the table in ascending order.
func (im *image) sortedInos() []uint32 {
	out := make([]uint32, 0, len(im.inodes))
	for n := range im.inodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
