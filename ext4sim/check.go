package ext4sim

import (
	"fmt"
	"math/bits"
	"sort"

	"github.com/relinksim/relinksim/vfs"
)

// check is the fsck-like checker of the package documentation's
// invariants E1–E11, run on the current metadata (what would be on disk
// after a sync) and the in-memory orphan list. It only observes.
func (fs *fsInfo) check() []vfs.Violation {
	var out []vfs.Violation
	add := func(name, format string, args ...any) {
		out = append(out, vfs.Violation{Name: name, Detail: fmt.Sprintf(format, args...)})
	}
	im := fs.cur
	allocated := func(ino uint32) bool {
		if ino == 0 || ino > im.geo.inodesCount() {
			return false
		}
		g, bit := im.group(ino)
		return im.groups[g].inUse(bit)
	}

	// The on-disk chain: E1 members exist and are orphans, E2 no cycle.
	var chain []uint32
	onChain := map[uint32]bool{}
	for ino := im.sb.LastOrphan; ino != 0; {
		if onChain[ino] {
			add("E2", "orphan chain cycles back to inode %d", ino)
			break
		}
		onChain[ino] = true
		chain = append(chain, ino)
		di := im.inodes[ino]
		if di == nil || !allocated(ino) {
			add("E1", "orphan chain names inode %d, which is not in use", ino)
			break
		}
		ino = di.Dtime
	}

	// E3: the in-memory list agrees with the chain, element by element.
	mem := fs.orphans.all()
	same := len(mem) == len(chain)
	for i := 0; same && i < len(mem); i++ {
		same = mem[i].ino == chain[i]
	}
	if !same {
		var m []uint32
		for _, e := range mem {
			m = append(m, e.ino)
		}
		add("E3", "in-memory orphan list %v differs from the on-disk chain %v", m, chain)
	}

	// E7: no freed in-core inode stays on the in-memory list.
	for _, e := range mem {
		if e.freed {
			add("E7", "inode %d was freed while still on the in-memory orphan list (the 2007 bug)", e.ino)
		}
	}

	// Names, for E4, E5 and E6.
	names := map[uint32]uint32{}
	subdirs := map[uint32]uint32{}
	dirInos := make([]uint32, 0, len(im.dirs))
	for d := range im.dirs {
		dirInos = append(dirInos, d)
	}
	sort.Slice(dirInos, func(a, b int) bool { return dirInos[a] < dirInos[b] })
	for _, d := range dirInos {
		if !allocated(d) {
			add("E5", "directory blocks of inode %d, which is free", d)
			continue
		}
		for _, blk := range im.dirs[d].blocks {
			for _, e := range blk {
				if e.ino == 0 || e.name == "." || e.name == ".." {
					continue
				}
				if !allocated(e.ino) || im.inodes[e.ino] == nil {
					add("E5", "entry %q of directory %d names inode %d, which is free", e.name, d, e.ino)
					continue
				}
				names[e.ino]++
				if e.typ == vfs.S_IFDIR {
					subdirs[d]++
				}
			}
		}
	}
	inFile := map[uint32]bool{}
	for _, ino := range fs.orphanFileSlots() {
		inFile[ino] = true
	}
	for _, ino := range im.sortedInos() {
		if !allocated(ino) || ino < im.geo.FirstIno && ino != rootIno {
			continue
		}
		di := im.inodes[ino]
		if ino == im.sb.OrphanFileIno {
			continue
		}
		// E4: nlink counts the names (directories: their "." and
		// their subdirectories' "..", and the name in their parent).
		want := names[ino]
		if di.Mode.IsDir() {
			want = 1 + subdirs[ino] + names[ino]
			if ino == rootIno {
				want = 2 + subdirs[ino]
			}
			if di.Links == 0 {
				want = 0 // removed, waiting on the orphan list
			}
		}
		if di.Links != want {
			add("E4", "inode %d (%s) has nlink %d but %d names", ino, di.Mode.TypeName(), di.Links, want)
		}
		// E6: allocated and named by nothing must be an orphan.
		if names[ino] == 0 && ino != rootIno && !onChain[ino] && !inFile[ino] {
			add("E6", "inode %d (%s, nlink %d) is allocated, unreachable and not an orphan: it leaks", ino, di.Mode.TypeName(), di.Links)
		}
		// E10: an orphan with links outside a truncate is the 2007 race's
		// leftover.
		if (onChain[ino] || inFile[ino]) && di.Links > 0 {
			add("E10", "inode %d is an orphan but has nlink %d", ino, di.Links)
		}
	}

	// E8: allocation counts agree with the bitmaps.
	var free uint32
	for g, grp := range im.groups {
		// A word of the bitmap at a time: the bits in use, and the
		// directories among their inodes.
		used, dirs := uint32(0), uint32(0)
		for w, word := range grp.bitmap {
			switch base := uint32(w) * 64; {
			case base >= im.geo.InodesPerGroup:
				word = 0 // past the group
			case base+64 > im.geo.InodesPerGroup:
				word &= 1<<(im.geo.InodesPerGroup-base) - 1
			}
			used += uint32(bits.OnesCount64(word))
			for ; word != 0; word &= word - 1 {
				b := uint32(w)*64 + uint32(bits.TrailingZeros64(word))
				if di := im.inodes[uint32(g)*im.geo.InodesPerGroup+b+1]; di != nil && di.Mode.IsDir() {
					dirs++
				}
			}
		}
		n := im.geo.InodesPerGroup - used
		if n != grp.FreeInodes {
			add("E8", "group %d counts %d free inodes, its bitmap %d", g, grp.FreeInodes, n)
		}
		if dirs != grp.UsedDirs {
			add("E8", "group %d counts %d directories, its inodes %d", g, grp.UsedDirs, dirs)
		}
		free += n
	}
	if free != im.sb.FreeInodes {
		add("E8", "superblock counts %d free inodes, the groups %d", im.sb.FreeInodes, free)
	}

	// E11: the htree of every indexed directory is well formed.
	for _, d := range dirInos {
		if dd := im.dirs[d]; dd.indexed() {
			for _, p := range dd.problems(im.geo, im.sb.HashSeed) {
				add("E11", "directory %d: %s", d, p)
			}
		}
	}

	// E9: every in-core inode was written to its buffer.
	inos := make([]uint32, 0, len(fs.icache))
	for ino := range fs.icache {
		inos = append(inos, ino)
	}
	sort.Slice(inos, func(a, b int) bool { return inos[a] < inos[b] })
	for _, ino := range inos {
		vi := fs.icache[ino]
		di := im.inodes[ino]
		if di == nil || di.Links != vi.Nlink() || di.Size != vi.Size || di.Dtime != info(vi).dtime {
			add("E9", "in-core inode %d (nlink %d size %d dtime %d) differs from its buffer %+v", ino, vi.Nlink(), vi.Size, info(vi).dtime, di)
		}
	}
	return out
}
