package ext4sim

import (
	"fmt"

	"github.com/relinksim/relinksim/vfs"
)

// MkfsOptions choose the geometry of a new filesystem. The zero value makes
// what `mkfs.ext4 -q -F` makes of the oracle's 128 MiB image with the
// default /etc/mke2fs.conf ("small" type): 1 KiB blocks, an inode per 4 KiB,
// 16 groups of 8192 blocks and 2048 inodes in one flex group, 256-byte
// inodes, metadata_csum and dir_index, no orphan_file.
type MkfsOptions struct {
	// Size of the device in bytes (default 128 MiB).
	Size int64
	// BlockSize in bytes: 1024 (the default), 2048 or 4096.
	BlockSize int
	// InodeRatio is bytes per inode (default 4096).
	InodeRatio int64
	// OrphanFile enables the orphan_file feature (-O orphan_file): an
	// orphan file of Size/4096 blocks (32 for 128 MiB), inode 12.
	OrphanFile bool
	// HashSeed is the directory hash seed, s_hash_seed (mkfs.ext4 draws
	// one at random; -E hash_seed=UUID sets it). Zero means
	// DefaultHashSeedUUID's, the seed the repository's real-kernel harness
	// gives mkfs.ext4.
	HashSeed [4]uint32
}

// MaxSize is the largest device Mkfs lays out (16 GiB: the simulator keeps
// a record per block group, and the orphan file's slots, in memory).
const MaxSize = 16 << 30

// layout fills in o's defaults and computes the geometry, or says why the
// options cannot be laid out.
func (o MkfsOptions) layout() (MkfsOptions, geometry, error) {
	if o.Size == 0 {
		o.Size = 128 << 20
	}
	if o.BlockSize == 0 {
		o.BlockSize = 1024
	}
	if o.InodeRatio == 0 {
		o.InodeRatio = 4096
	}
	if o.BlockSize != 1024 && o.BlockSize != 2048 && o.BlockSize != 4096 {
		// ext4 allows up to 64 KiB, but blocks larger than the page are
		// not modelled.
		return o, geometry{}, fmt.Errorf("block size %d; the simulator supports 1024, 2048 and 4096", o.BlockSize)
	}
	if o.Size < 0 || o.Size > MaxSize {
		return o, geometry{}, fmt.Errorf("size %d: the simulator lays out 1 to %d bytes", o.Size, int64(MaxSize))
	}
	if o.InodeRatio < int64(o.BlockSize) || o.InodeRatio > 64<<20 {
		return o, geometry{}, fmt.Errorf("inode ratio %d: want %d (the block size) to 64 MiB, as mkfs.ext4 -i", o.InodeRatio, o.BlockSize)
	}
	blocks := uint64(o.Size) / uint64(o.BlockSize)
	bpg := uint32(8 * o.BlockSize)
	first := uint64(0)
	if o.BlockSize == 1024 {
		first = 1 // s_first_data_block
	}
	if blocks <= first {
		return o, geometry{}, fmt.Errorf("cannot lay out %d bytes in %d-byte blocks", o.Size, o.BlockSize)
	}
	groups := uint32((blocks - first + uint64(bpg) - 1) / uint64(bpg))
	ipg := uint32(uint64(o.Size) / uint64(o.InodeRatio) / uint64(groups))
	ipg = (ipg + 7) &^ 7
	// The root, lost+found (12 KiB), the journal's inode and the orphan
	// file need room beyond the group's metadata; 64 KiB is the least the
	// simulator lays out.
	if groups == 0 || ipg < 16 || o.Size < 64<<10 {
		return o, geometry{}, fmt.Errorf("cannot lay out %d bytes in %d-byte blocks (at least 64 KiB and 16 inodes per group)", o.Size, o.BlockSize)
	}
	geo := geometry{
		BlockSize: o.BlockSize, BlocksCount: blocks, BlocksPerGroup: bpg,
		InodesPerGroup: ipg, Groups: groups, FlexSize: 16, FirstIno: 11,
		InodeSize: 256, DirTail: 12,
	}
	return o, geo, nil
}

// Mkfs makes a new ext4 filesystem on a new device called name: root 2,
// lost+found 11 (12 KiB), reserved inodes 1 to 10, the first free inode 12
// (13 with an orphan file), 32757 free inodes and 117189 free blocks on the
// default geometry. It panics on options it cannot lay out (a simulator
// configuration error, not an errno); MkfsOptions.Validate says so first.
func Mkfs(name string, o MkfsOptions) *Device {
	o, geo, err := o.layout()
	if err != nil {
		panic("ext4sim: Mkfs: " + err.Error())
	}
	blocks, groups, ipg := geo.BlocksCount, geo.Groups, geo.InodesPerGroup
	im := &image{
		geo:    geo,
		groups: make([]diskGroup, groups),
		inodes: map[uint32]*diskInode{},
		dirs:   map[uint32]*diskDir{},
		data:   map[uint32]*vfs.AddressSpace{},
	}
	im.sb.HashSeed = o.HashSeed
	if im.sb.HashSeed == ([4]uint32{}) {
		im.sb.HashSeed, _ = ParseHashSeed(DefaultHashSeedUUID)
	}
	im.sb.Clean = true
	for g := range im.groups {
		im.groups[g] = diskGroup{FreeInodes: ipg, bitmap: make([]uint64, (ipg+63)/64)}
	}
	// Free blocks: mkfs.ext4 leaves 117189 of 131072 free on the oracle's
	// image (metadata, journal, lost+found); other sizes keep that ratio.
	// The model keeps counts, not block bitmaps.
	freeBlocks := blocks * 117189 / 131072
	im.sb.FreeBlocks = freeBlocks
	for g := range im.groups {
		im.groups[g].FreeBlocks = uint32(freeBlocks / uint64(groups))
	}
	im.groups[0].FreeBlocks += uint32(freeBlocks % uint64(groups))
	// Reserved inodes 1..10 and lost+found (11).
	g0 := &im.groups[0]
	for b := uint32(0); b < geo.FirstIno; b++ {
		g0.set(b)
		g0.FreeInodes--
	}
	now := int64(1_700_000_000) * 1e9
	dirInode := func(mode vfs.FileMode, size int64, links uint32) *diskInode {
		return &diskInode{Mode: vfs.S_IFDIR | mode, Size: size, Links: links, Atime: now, Mtime: now, Ctime: now,
			Blocks: size / 512}
	}
	im.inodes[rootIno] = dirInode(0o755, int64(o.BlockSize), 3)
	root := geo.newDirBlock0(rootIno, rootIno)
	root, _ = insertInBlock(root, o.BlockSize-geo.DirTail, dirent{ino: lostFoundIno, name: "lost+found", typ: vfs.S_IFDIR})
	im.dirs[rootIno] = &diskDir{blocks: [][]dirent{root}}
	const lfBlocks = 12
	im.inodes[lostFoundIno] = dirInode(0o700, lfBlocks*int64(o.BlockSize), 2)
	lf := &diskDir{blocks: [][]dirent{geo.newDirBlock0(lostFoundIno, rootIno)}}
	for i := 1; i < lfBlocks; i++ {
		lf.blocks = append(lf.blocks, []dirent{{recLen: o.BlockSize - geo.DirTail}})
	}
	im.dirs[lostFoundIno] = lf
	g0.UsedDirs = 2
	if o.OrphanFile {
		// mke2fs sizes the orphan file at one block per 4096 (32 blocks
		// of 254 slots on the oracle's image).
		nblocks := max(int(blocks/4096), 1)
		ino := geo.FirstIno + 1
		g0.set(ino - 1)
		g0.FreeInodes--
		im.inodes[ino] = &diskInode{Mode: vfs.S_IFREG | 0o600, Size: int64(nblocks * o.BlockSize), Links: 1,
			Atime: now, Mtime: now, Ctime: now, Blocks: int64(nblocks * o.BlockSize / 512)}
		im.sb.OrphanFileIno = ino
		per := geo.orphanSlotsPerBlock()
		for i := 0; i < nblocks; i++ {
			im.orphanBlocks = append(im.orphanBlocks, make([]uint32, per))
		}
	}
	for _, g := range im.groups {
		im.sb.FreeInodes += g.FreeInodes
	}
	return &Device{name: name, home: im}
}
