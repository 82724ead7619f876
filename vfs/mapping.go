package vfs

import (
	"math/bits"
	"slices"
)

// PageSize is the simulated page size (PAGE_SIZE on x86-64).
const PageSize = 4096

// AddressSpace is analogous to Linux's struct address_space (inode->i_mapping):
// the pages holding a regular file's contents. In the simulator it is also
// the backing store: a page exists only once something was written to it, so
// contents are sparse — a 1 GiB pwrite of a few bytes allocates one page, and
// reading a hole returns zeros without allocating.
//
// It also records which filesystem blocks hold data, for filesystems whose
// blocks are smaller than a page (ext4 with 1 KiB blocks): st_blocks and
// SEEK_DATA/SEEK_HOLE then follow the blocks, not the pages. By default a
// block is a page (tmpfs).
//
// Differences from Linux:
//   - there is no writeback; filesystems that model on-disk data (ext4sim)
//     read what they need from here;
//   - pages are never reclaimed.
type AddressSpace struct {
	pages map[int64]*page
	// blockBits is log2 of the block size; 0 means PageSize.
	blockBits uint8
}

// page is one page of contents and which of its blocks hold data. A
// frozen page is shared by clones and never changed: writing to it copies
// it first.
type page struct {
	data    [PageSize]byte
	written uint8 // bit i: block i of the page was written
	frozen  bool
}

// writable returns the page at idx, copied first if it is shared.
func (a *AddressSpace) writable(idx int64) *page {
	pg := a.pages[idx]
	if pg != nil && pg.frozen {
		cp := *pg
		cp.frozen = false
		pg = &cp
		a.pages[idx] = pg
	}
	return pg
}

// Extent is a run of bytes [Off, Off+Len) backed by written blocks.
type Extent struct {
	Off, Len int64
}

// SetBlockSize sets the granularity at which written data is tracked, a
// power of two from 512 to PageSize. It must be called before anything is
// written.
func (a *AddressSpace) SetBlockSize(n int) {
	bits := uint8(0)
	for 1<<bits < n {
		bits++
	}
	Assert(1<<bits == n && n >= 512 && n <= PageSize, "AddressSpace.SetBlockSize(%d): not a power of two in [512, PageSize]", n)
	Assert(len(a.pages) == 0, "AddressSpace.SetBlockSize on a mapping with pages")
	a.blockBits = bits
}

// BlockSize returns the block size data is tracked in.
func (a *AddressSpace) BlockSize() int64 {
	if a.blockBits == 0 {
		return PageSize
	}
	return 1 << a.blockBits
}

// NrPages returns the number of allocated pages (mapping->nrpages).
func (a *AddressSpace) NrPages() int { return len(a.pages) }

// NrBlocks returns the number of blocks holding data.
func (a *AddressSpace) NrBlocks() int64 {
	var n int64
	for _, pg := range a.pages {
		n += int64(bits.OnesCount8(pg.written))
	}
	return n
}

// ReadAt copies file bytes at off into p, reading no further than size (the
// inode's i_size), and returns how many bytes it copied. Holes read as zeros.
func (a *AddressSpace) ReadAt(p []byte, off, size int64) int {
	if off >= size {
		return 0
	}
	if rem := size - off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		idx, in := pos/PageSize, int(pos%PageSize)
		chunk := PageSize - in
		if chunk > len(p)-n {
			chunk = len(p) - n
		}
		if pg := a.pages[idx]; pg != nil {
			copy(p[n:n+chunk], pg.data[in:in+chunk])
		} else {
			clear(p[n : n+chunk])
		}
		n += chunk
	}
	return n
}

// WriteAt stores p at off, allocating the pages it touches and marking the
// blocks it touches as holding data.
func (a *AddressSpace) WriteAt(p []byte, off int64) {
	if a.pages == nil {
		a.pages = map[int64]*page{}
	}
	bs := int(a.BlockSize())
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		idx, in := pos/PageSize, int(pos%PageSize)
		chunk := PageSize - in
		if chunk > len(p)-n {
			chunk = len(p) - n
		}
		pg := a.writable(idx)
		if pg == nil {
			pg = new(page)
			a.pages[idx] = pg
		}
		copy(pg.data[in:in+chunk], p[n:n+chunk])
		for b := in / bs; b <= (in+chunk-1)/bs; b++ {
			pg.written |= 1 << b
		}
		n += chunk
	}
}

// Truncate drops the contents beyond size (models mm/truncate.c:
// truncate_inode_pages_range with the filesystem freeing the blocks past
// the new end): whole pages past the end go, blocks wholly past it stop
// holding data, and the tail of a partial last page is zeroed so a later
// extension reads zeros there.
func (a *AddressSpace) Truncate(size int64) {
	last := size / PageSize // first page index wholly beyond size
	if size%PageSize != 0 {
		last++
	}
	for idx := range a.pages {
		if idx >= last {
			delete(a.pages, idx)
		}
	}
	in := size % PageSize
	if in == 0 {
		return
	}
	idx := size / PageSize
	pg := a.writable(idx)
	if pg == nil {
		return
	}
	clear(pg.data[in:])
	bs := a.BlockSize()
	keep := (in + bs - 1) / bs               // blocks of the page that still hold bytes
	pg.written &= uint8(uint16(1)<<keep - 1) // keep is at most 8
	if pg.written == 0 {
		delete(a.pages, idx)
	}
}

// Extents returns the ranges of written blocks in ascending order, merged,
// clipped to size. Copying a sparse file walks these instead of its whole
// length.
func (a *AddressSpace) Extents(size int64) []Extent {
	idxs := make([]int64, 0, len(a.pages))
	for idx := range a.pages {
		if idx*PageSize < size {
			idxs = append(idxs, idx)
		}
	}
	slices.Sort(idxs)
	bs := a.BlockSize()
	var out []Extent
	for _, idx := range idxs {
		w := a.pages[idx].written
		for b := int64(0); b < PageSize/bs; b++ {
			if w&(1<<b) == 0 {
				continue
			}
			off := idx*PageSize + b*bs
			if off >= size {
				break
			}
			ln := min(bs, size-off)
			if n := len(out); n > 0 && out[n-1].Off+out[n-1].Len == off {
				out[n-1].Len += ln
				continue
			}
			out = append(out, Extent{off, ln})
		}
	}
	return out
}

// SeekHoleData models mm/filemap.c:mapping_seek_hole_data for
// lseek(SEEK_DATA) and lseek(SEEK_HOLE) from start in a file of size end:
// the first written byte, or the first byte of a hole (end counts as one),
// at block granularity. start must not be negative.
//
// Errors: ENXIO when start is at or beyond end, and for SEEK_DATA when no
// data follows.
//
// Like Linux it computes the end of each page in unsigned 64-bit arithmetic
// and compares it as a signed offset, so in the page holding offset 2^63-1
// SEEK_DATA finds nothing and SEEK_HOLE answers -2^63.
func (a *AddressSpace) SeekHoleData(start, end int64, whence int) (int64, error) {
	if end <= start {
		return 0, ENXIO
	}
	seekData := whence == SEEK_DATA
	last := (end - 1) / PageSize
	idxs := make([]int64, 0, len(a.pages))
	for idx := range a.pages {
		if idx >= start/PageSize && idx <= last {
			idxs = append(idxs, idx)
		}
	}
	slices.Sort(idxs)
	bs := a.BlockSize()
	for _, idx := range idxs {
		pos := idx * PageSize
		if start < pos {
			if !seekData {
				return min(start, end), nil // a hole before this page
			}
			start = pos
		}
		next := int64(uint64(pos) + PageSize) // wraps for the last page
		// folio_seek_hole_data, block by block from the one holding start.
		w := a.pages[idx].written
		found := next
		for b := (start - pos) / bs; b < PageSize/bs; b++ {
			if (w&(1<<b) != 0) == seekData {
				found = max(start, pos+b*bs)
				break
			}
		}
		start = found
		if start < next {
			return min(start, end), nil
		}
		if start >= end {
			break
		}
	}
	if seekData {
		return 0, ENXIO
	}
	return min(start, end), nil
}

// release frees every page (the inode is being evicted).
func (a *AddressSpace) release() { a.pages = nil }

// Clone returns an independent copy (for crash images, snapshots and
// on-disk data). Pages are shared copy-on-write: cloning costs a pointer
// per page, and whichever side writes a shared page first copies it.
func (a *AddressSpace) Clone() AddressSpace {
	c := AddressSpace{blockBits: a.blockBits}
	if a.pages != nil {
		c.pages = make(map[int64]*page, len(a.pages))
		for idx, pg := range a.pages {
			pg.frozen = true
			c.pages[idx] = pg
		}
	}
	return c
}
