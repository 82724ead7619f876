package ext4sim

// FlipInodeBit flips bit b of group g's inode bitmap in the in-memory
// image, without the counts (a corruption E8 must see).
func (m *Mounted) FlipInodeBit(g int, b uint32) {
	grp := &m.fs.cur.groups[g]
	grp.bitmap[b/64] ^= 1 << (b % 64)
}

// Groups is the number of block groups.
func (m *Mounted) Groups() int { return len(m.fs.cur.groups) }

// InodesPerGroup is the image's inodes per group.
func (m *Mounted) InodesPerGroup() uint32 { return m.fs.cur.geo.InodesPerGroup }
