package ext4sim

import (
	"github.com/relinksim/relinksim/vfs"
)

// Inode allocation follows fs/ext4/ialloc.c on the oracle's geometry, where
// all 16 groups form one flex group (measured on Linux 6.18; see the
// package documentation):
//
//   - a file, symlink, fifo, O_TMPFILE inode, or a directory whose parent
//     is not the root takes the lowest free inode number, group 0 first
//     (find_group_other, and find_group_orlov's non-top-level path, both
//     pick the first group of the parent's flex group with a free inode;
//     find_inode_bit returns the lowest free bit; with a journal,
//     recently_deleted() is not consulted, so freed numbers come back at
//     once);
//   - a directory made in the root goes through Orlov's top-level check:
//     the flex group is accepted only while its exact free inode and block
//     counts are at least the approximate totals kept in per-CPU counters
//     (percpu_counter_read_positive). Once an allocation has made the
//     approximate total larger than the exact one, the fallback spreads
//     top-level directories two per group: 2049, 2050, 4097, 4098, ...
//
// The per-CPU counters fold a CPU's pending delta into the global value
// only when it reaches ±32 (the batch on a machine with up to 16 CPUs). The
// simulator runs every task on one CPU, so its counters are exactly those of
// a kernel whose process stays on one CPU; a real process that migrates can
// fold at other moments.

// percpuBatch is lib/percpu_counter.c's batch: max(32, 2*nr_cpus).
const percpuBatch = 32

// pcpuCounter models struct percpu_counter for one CPU.
type pcpuCounter struct {
	global int64
	local  int64
}

func (c *pcpuCounter) add(a int64) {
	n := c.local + a
	if n >= percpuBatch || n <= -percpuBatch {
		c.global += n
		c.local = 0
	} else {
		c.local = n
	}
}

// read models include/linux/percpu_counter.h:percpu_counter_read_positive:
// the global part only.
func (c *pcpuCounter) read() int64 { return max(c.global, 0) }

// allocCounters are s_freeinodes_counter and s_freeclusters_counter.
type allocCounters struct {
	freeInodes   pcpuCounter
	freeClusters pcpuCounter
}

// newAllocCounters initialises the counters at mount from the exact counts.
func newAllocCounters(im *image) allocCounters {
	return allocCounters{
		freeInodes:   pcpuCounter{global: int64(im.sb.FreeInodes)},
		freeClusters: pcpuCounter{global: int64(im.sb.FreeBlocks)},
	}
}

func (g geometry) inodesCount() uint32 { return g.InodesPerGroup * g.Groups }

// findGroupOrlovTop models fs/ext4/ialloc.c:find_group_orlov for a directory
// in the root with one flex group.
func (fs *fsInfo) findGroupOrlovTop() uint32 {
	im := fs.cur
	if int64(im.sb.FreeInodes) >= fs.counters.freeInodes.read() && int64(im.sb.FreeBlocks) >= fs.counters.freeClusters.read() {
		return 0 // the flex group passes: its first group with a free inode
	}
	// fallback: the first group at or above the average of free inodes.
	ave := fs.counters.freeInodes.read() / int64(im.geo.Groups)
	for g := range im.groups {
		if f := int64(im.groups[g].FreeInodes); f > 0 && f >= ave {
			return uint32(g)
		}
	}
	return 0
}

// newInode models fs/ext4/ialloc.c:__ext4_new_inode: pick a group, take its
// lowest free inode, and set up a new in-core inode owned by the current
// task, with nlink 1 and one reference for the caller.
//
// Errors: ENOSPC when no inode is free.
func (fs *fsInfo) newInode(h *handle, dir *inodeInfo, mode vfs.FileMode, name string) (*inodeInfo, error) {
	im := fs.cur
	start := uint32(0)
	if mode.IsDir() && dir.ino == rootIno {
		start = fs.findGroupOrlovTop()
	}
	var ino uint32
	for i := uint32(0); i < im.geo.Groups; i++ {
		g := (start + i) % im.geo.Groups
		grp := &im.groups[g]
		if grp.FreeInodes == 0 {
			continue
		}
		bit := grp.firstFree(0, im.geo.InodesPerGroup)
		if bit < 0 {
			vfs.Bug("ext4sim: group %d counts %d free inodes but its bitmap is full", g, grp.FreeInodes)
		}
		h.access(bufKey{bufGroup, g})
		grp.set(uint32(bit))
		grp.FreeInodes--
		if mode.IsDir() {
			grp.UsedDirs++
			grp.FreeBlocks--
			im.sb.FreeBlocks--
			fs.counters.freeClusters.add(-1)
		}
		im.sb.FreeInodes--
		fs.counters.freeInodes.add(-1)
		ino = g*im.geo.InodesPerGroup + uint32(bit) + 1
		break
	}
	if ino == 0 {
		return nil, vfs.ENOSPC
	}
	vi := fs.sb.NewInode(uint64(ino), mode)
	vi.Mapping.SetBlockSize(fs.cur.geo.BlockSize)
	vi.InitOwner(dir.vi, mode, fs.k.Current().Cred())
	vi.Generation = fs.newGeneration()
	ei := &inodeInfo{ino: ino, vi: vi, orphanIdx: -1}
	vi.Private = ei
	fs.setOps(vi)
	fs.icache[ino] = vi
	fs.cur.inodes[ino] = &diskInode{}
	fs.markInodeDirty(h, ei)
	fs.trace("__ext4_new_inode", "inode %d (%s) for %q", ino, mode.TypeName(), name)
	return ei, nil
}

// freeInode models fs/ext4/ialloc.c:ext4_free_inode: the inode's bitmap bit
// and counts go back; its table entry keeps the deletion time.
func (fs *fsInfo) freeInode(h *handle, ei *inodeInfo) {
	im := fs.cur
	g, bit := im.group(ei.ino)
	grp := &im.groups[g]
	if !grp.inUse(bit) {
		fs.msg("error: ext4_free_inode: bit already cleared for inode %d", ei.ino)
		return
	}
	h.access(bufKey{bufGroup, g})
	grp.clear(bit)
	grp.FreeInodes++
	im.sb.FreeInodes++
	fs.counters.freeInodes.add(1)
	if ei.vi.Mode.IsDir() {
		grp.UsedDirs--
		grp.FreeBlocks++
		im.sb.FreeBlocks++
		fs.counters.freeClusters.add(1)
	}
}
