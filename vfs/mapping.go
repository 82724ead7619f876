package vfs

import "sort"

// PageSize is the simulated page size (PAGE_SIZE on x86-64).
const PageSize = 4096

// AddressSpace is analogous to Linux's struct address_space (inode->i_mapping):
// the pages holding a regular file's contents. In the simulator it is also
// the backing store: a page exists only once something was written to it, so
// contents are sparse — a 1 GiB pwrite of a few bytes allocates one page, and
// reading a hole returns zeros without allocating.
//
// Differences from Linux:
//   - there is no writeback; filesystems that model on-disk data (ext4sim)
//     read what they need from here;
//   - pages are never reclaimed.
type AddressSpace struct {
	pages map[int64]*[PageSize]byte
}

// Extent is a run of bytes [Off, Off+Len) backed by pages.
type Extent struct {
	Off, Len int64
}

// NrPages returns the number of allocated pages (mapping->nrpages).
func (a *AddressSpace) NrPages() int { return len(a.pages) }

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
			copy(p[n:n+chunk], pg[in:in+chunk])
		} else {
			clear(p[n : n+chunk])
		}
		n += chunk
	}
	return n
}

// WriteAt stores p at off, allocating the pages it touches.
func (a *AddressSpace) WriteAt(p []byte, off int64) {
	if a.pages == nil {
		a.pages = map[int64]*[PageSize]byte{}
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		idx, in := pos/PageSize, int(pos%PageSize)
		chunk := PageSize - in
		if chunk > len(p)-n {
			chunk = len(p) - n
		}
		pg := a.pages[idx]
		if pg == nil {
			pg = new([PageSize]byte)
			a.pages[idx] = pg
		}
		copy(pg[in:in+chunk], p[n:n+chunk])
		n += chunk
	}
}

// Truncate drops the contents beyond size (models mm/truncate.c:
// truncate_inode_pages_range): whole pages past the end go, and the tail of
// a partial last page is zeroed so a later extension reads zeros there.
func (a *AddressSpace) Truncate(size int64) {
	last := (size + PageSize - 1) / PageSize // first page index wholly beyond size
	for idx := range a.pages {
		if idx >= last {
			delete(a.pages, idx)
		}
	}
	if in := size % PageSize; in != 0 {
		if pg := a.pages[size/PageSize]; pg != nil {
			clear(pg[in:])
		}
	}
}

// Extents returns the page-backed ranges in ascending order, merged, clipped
// to size. Copying a sparse file walks these instead of its whole length.
func (a *AddressSpace) Extents(size int64) []Extent {
	idxs := make([]int64, 0, len(a.pages))
	for idx := range a.pages {
		if idx*PageSize < size {
			idxs = append(idxs, idx)
		}
	}
	sort.Slice(idxs, func(i, j int) bool { return idxs[i] < idxs[j] })
	var out []Extent
	for _, idx := range idxs {
		off := idx * PageSize
		ln := int64(PageSize)
		if off+ln > size {
			ln = size - off
		}
		if n := len(out); n > 0 && out[n-1].Off+out[n-1].Len == off {
			out[n-1].Len += ln
			continue
		}
		out = append(out, Extent{off, ln})
	}
	return out
}

// release frees every page (the inode is being evicted).
func (a *AddressSpace) release() { a.pages = nil }

// Clone returns an independent copy (for crash images and on-disk data).
func (a *AddressSpace) Clone() AddressSpace {
	c := AddressSpace{}
	if len(a.pages) > 0 {
		c.pages = make(map[int64]*[PageSize]byte, len(a.pages))
		for idx, pg := range a.pages {
			cp := *pg
			c.pages[idx] = &cp
		}
	}
	return c
}
