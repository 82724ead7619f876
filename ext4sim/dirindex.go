package ext4sim

// The simulator's own indexes of a directory's blocks: the block each name
// is in (for every directory: what Linux finds by dx_probe in an htree, or
// by reading blocks in a linear directory), and, for a linear directory
// of several blocks (mkfs's lost+found), the largest record each block
// could take, so that an insert finds the first block with room without
// reading every block. They change nothing about where names go (dir.go,
// htree.go). Each is rebuilt from the blocks when nil, so code that moves
// many entries (make_indexed_dir, a copied image) only drops them.

// nameIndex returns d's name index, built if need be.
func (d *diskDir) nameIndex() map[string]int {
	if d.where == nil {
		d.where = make(map[string]int)
		for b, blk := range d.blocks {
			for _, e := range blk {
				if e.ino != 0 {
					d.where[e.name] = b
				}
			}
		}
	}
	return d.where
}

// roomIndex returns d's room index, built if need be.
func (d *diskDir) roomIndex() *roomTree {
	if d.room == nil {
		d.room = newRoomTree(len(d.blocks))
		for b, blk := range d.blocks {
			d.room.set(b, blockRoom(blk))
		}
	}
	return d.room
}

// appended records that an empty block was added at the end: names do
// not move, and the room index grows (doubling, so that appends cost
// O(log n) amortized).
func (d *diskDir) appended() {
	d.changed()
	if d.room == nil {
		return
	}
	b := len(d.blocks) - 1
	if b >= d.room.size {
		d.room = nil // rebuilt, twice as large, on use
		return
	}
	d.room.n = len(d.blocks)
	d.room.set(b, blockRoom(d.blocks[b]))
}

// placed records that name went into block b.
func (d *diskDir) placed(b int, name string) {
	d.changed()
	if d.where != nil {
		d.where[name] = b
	}
	if d.room != nil {
		d.room.set(b, blockRoom(d.blocks[b]))
	}
}

// removed records that name left block b.
func (d *diskDir) removed(b int, name string) {
	d.changed()
	if d.where != nil {
		delete(d.where, name)
	}
	if d.room != nil {
		d.room.set(b, blockRoom(d.blocks[b]))
	}
}

// blockRoom is the largest record insertInBlock could place in blk: the
// largest slack of its records (a record's slack never passes the room
// after its offset, so insertInBlock's offset check never bites first).
func blockRoom(blk []dirent) int {
	best := 0
	for _, de := range blk {
		slack := de.recLen
		if de.ino != 0 {
			slack = de.recLen - recLen(len(de.name))
		}
		best = max(best, slack)
	}
	return best
}

// roomTree is a segment tree of the blocks' room: the first block from a
// given one with room for a record, in O(log n).
type roomTree struct {
	n    int
	size int
	max  []int
}

func newRoomTree(n int) *roomTree {
	size := 1
	for size < 2*n {
		size *= 2 // room to grow: appended fills it before a rebuild
	}
	return &roomTree{n: n, size: size, max: make([]int, 2*size)}
}

func (t *roomTree) set(b, room int) {
	i := t.size + b
	t.max[i] = room
	for i /= 2; i >= 1; i /= 2 {
		t.max[i] = max(t.max[2*i], t.max[2*i+1])
	}
}

// first returns the first block at or after from with room of at least
// need, or -1.
func (t *roomTree) first(from, need int) int {
	return t.search(1, 0, t.size, from, need)
}

func (t *roomTree) search(node, lo, hi, from, need int) int {
	if hi <= from || t.max[node] < need || lo >= t.n {
		return -1
	}
	if hi-lo == 1 {
		return lo
	}
	mid := (lo + hi) / 2
	if b := t.search(2*node, lo, mid, from, need); b >= 0 {
		return b
	}
	return t.search(2*node+1, mid, hi, from, need)
}
