package ext4sim

import (
	"fmt"
	"sort"

	"github.com/relinksim/relinksim/vfs"
)

// The htree (dir_index) of an indexed directory, as fs/ext4/namei.c keeps
// it. Block 0 is the dx_root: "." and ".." (".." spanning the rest of the
// block), then dx_root_info and an array of (hash, block) index entries
// whose first entry's hash field holds the array's count and limit and
// stands for hash 0. With indirect_levels 1 the root's entries name
// dx_node blocks (a fake empty dirent spanning the block, then another
// such array), whose entries name leaves; with 0 they name leaves
// directly. Leaves are ordinary directory blocks. An entry whose hash has
// its low bit set says that names with that hash less one also live in
// the leaf before it (names' hashes have the low bit clear).
//
// The limits for a geometry (dx_root_limit, dx_node_limit): the root has
// the block less "." and ".." (12 bytes each), the 8-byte dx_root_info and,
// with metadata_csum, the 8-byte dx_tail, in 8-byte entries — 123 with
// 1 KiB blocks; a node has the block less its 8-byte fake dirent and the
// dx_tail — 126. Without large_dir (mkfs's default, and this package's
// only layout) the tree has at most two levels: the root and one level of
// nodes, 123 × 126 leaves.
//
// Nothing is ever removed from the index: unlinking a name only merges its
// record into its leaf (ext4_delete_entry); leaves never merge, and an
// emptied leaf keeps its place and its range of hashes.

// dxEntry is a struct dx_entry: the lowest hash a subtree holds (ignored
// for an array's first entry) and the subtree's block.
type dxEntry struct {
	hash  uint32
	block int
}

// dxTree is an indexed directory's index: the dx_root's entries and those
// of its dx_node blocks.
type dxTree struct {
	// levels is dx_root_info.indirect_levels: 0 while the root's entries
	// name leaves, 1 once they name dx_nodes.
	levels int
	root   []dxEntry
	// nodes are the dx_node blocks' entries, by block number.
	nodes map[int][]dxEntry
}

// dxMaxLevels is ext4_dir_htree_level without large_dir: the root and one
// level of nodes.
const dxMaxLevels = 2

func (t *dxTree) clone() *dxTree {
	c := &dxTree{levels: t.levels, root: append([]dxEntry(nil), t.root...)}
	if t.nodes != nil {
		c.nodes = make(map[int][]dxEntry, len(t.nodes))
		for b, es := range t.nodes {
			c.nodes[b] = append([]dxEntry(nil), es...)
		}
	}
	return c
}

// dxTailSize is sizeof(struct dx_tail) when metadata_csum is on (the
// geometry's dirent tail says so), else 0.
func (g geometry) dxTailSize() int {
	if g.DirTail > 0 {
		return 8
	}
	return 0
}

// dxRootLimit models fs/ext4/namei.c:dx_root_limit with an 8-byte
// dx_root_info.
func (g geometry) dxRootLimit() int {
	return (g.BlockSize - recLen(1) - recLen(2) - 8 - g.dxTailSize()) / 8
}

// dxNodeLimit models fs/ext4/namei.c:dx_node_limit.
func (g geometry) dxNodeLimit() int {
	return (g.BlockSize - recLen(0) - g.dxTailSize()) / 8
}

// dxFrame is a struct dx_frame: an index block (-1 for the root, else a
// dx_node's block) and the entry a probe chose in it.
type dxFrame struct {
	node int
	at   int
}

// entries returns the entry array of index block node (-1: the root).
func (t *dxTree) entries(node int) []dxEntry {
	if node < 0 {
		return t.root
	}
	return t.nodes[node]
}

func (t *dxTree) setEntries(node int, es []dxEntry) {
	if node < 0 {
		t.root = es
		return
	}
	t.nodes[node] = es
}

func (t *dxTree) limit(g geometry, node int) int {
	if node < 0 {
		return g.dxRootLimit()
	}
	return g.dxNodeLimit()
}

// dxSearch returns the index of the last entry past the first whose hash
// is at most hash, or 0: the binary search of dx_probe.
func dxSearch(es []dxEntry, hash uint32) int {
	lo, hi := 1, len(es)-1
	for lo <= hi {
		m := lo + (hi-lo)/2
		if es[m].hash > hash {
			hi = m - 1
		} else {
			lo = m + 1
		}
	}
	return lo - 1
}

// probe models fs/ext4/namei.c:dx_probe: the path from the root to the
// leaf whose range holds hash, one frame per level.
func (t *dxTree) probe(hash uint32) []dxFrame {
	frames := make([]dxFrame, 0, t.levels+1)
	node := -1
	for level := 0; ; level++ {
		es := t.entries(node)
		if len(es) == 0 {
			vfs.Bug("ext4sim: dx_probe found an empty index block %d", node)
		}
		at := dxSearch(es, hash)
		frames = append(frames, dxFrame{node: node, at: at})
		if level == t.levels {
			return frames
		}
		node = es[at].block
	}
}

// leafOf returns the leaf a frame path ends in.
func (t *dxTree) leafOf(frames []dxFrame) int {
	f := frames[len(frames)-1]
	return t.entries(f.node)[f.at].block
}

// leaves returns the leaf blocks in index (hash) order, each with the
// hash its index entry gives it (0 for the first).
func (t *dxTree) leaves() []dxEntry {
	var out []dxEntry
	var walk func(node, level int, lo uint32)
	walk = func(node, level int, lo uint32) {
		for i, e := range t.entries(node) {
			h := e.hash
			if i == 0 {
				h = lo
			}
			if level == t.levels {
				out = append(out, dxEntry{hash: h, block: e.block})
			} else {
				walk(e.block, level+1, h)
			}
		}
	}
	walk(-1, 0, 0)
	return out
}

// dxInsertBlock models fs/ext4/namei.c:dx_insert_block: the entry (hash,
// block) goes right after the frame's chosen entry.
func (t *dxTree) dxInsertBlock(g geometry, f dxFrame, hash uint32, block int) {
	es := t.entries(f.node)
	if len(es) >= t.limit(g, f.node) || f.at >= len(es) {
		vfs.Bug("ext4sim: dx_insert_block into a full index block %d (count %d) after entry %d", f.node, len(es), f.at)
	}
	es = append(es, dxEntry{})
	copy(es[f.at+2:], es[f.at+1:])
	es[f.at+1] = dxEntry{hash: hash, block: block}
	if f.at >= 1 && es[f.at].hash > hash || f.at+2 < len(es) && es[f.at+2].hash < hash {
		vfs.Bug("ext4sim: dx_insert_block puts hash %#x out of order in index block %d (entry %d)", hash, f.node, f.at+1)
	}
	t.setEntries(f.node, es)
}

// dxMapEntry is a struct dx_map_entry: a live record of a leaf being
// split, its name's hash and its record length (slack included).
type dxMapEntry struct {
	hash uint32
	idx  int // its index in the leaf's records
	size int
}

// dxMakeMap models fs/ext4/namei.c:dx_make_map: the leaf's live records,
// filled from the end of the map backwards (so the map lists them in the
// reverse of block order).
func dxMakeMap(blk []dirent, seed [4]uint32) []dxMapEntry {
	n := 0
	for _, e := range blk {
		if e.ino != 0 && e.name != "" {
			n++
		}
	}
	m := make([]dxMapEntry, n)
	for i, e := range blk {
		if e.ino != 0 && e.name != "" {
			n--
			h, _ := dirHash(e.name, seed, false)
			m[n] = dxMapEntry{hash: h, idx: i, size: e.recLen}
		}
	}
	return m
}

// dxSortMap models fs/ext4/namei.c:dx_sort_map: a comb sort by hash with
// the kernel's gap sequence, then bubble passes from the top down. It is
// not stable, so which of several names with one hash ends up where is
// the kernel's, and is kept.
func dxSortMap(m []dxMapEntry) {
	top := len(m) - 1
	for gap := uint(len(m)); gap > 2; {
		gap = gap * 10 / 13
		if gap-9 < 2 { // unsigned: only 9 and 10
			gap = 11
		}
		for p, q := top, top-int(gap); q >= 0; p, q = p-1, q-1 {
			if m[p].hash < m[q].hash {
				m[p], m[q] = m[q], m[p]
			}
		}
	}
	for more := true; more; {
		more = false
		for q := top - 1; q >= 0; q-- {
			if m[q+1].hash >= m[q].hash {
				continue
			}
			m[q], m[q+1] = m[q+1], m[q]
			more = true
		}
	}
}

// dxSplitPoint returns the map index do_split splits at: entries are
// taken from the top (highest hashes) while the moved bytes plus half of
// the next one stay within half a block (sizes are rec_lens, slack
// included); if every entry could go, the map is halved by count
// instead. (Linux 6.15's "fix off-by-one error in do_split" made the
// test "some entry stopped the walk", i >= 0; before it, a walk stopped
// by the lowest entry also halved by count. The real 6.18 kernel splits
// this way: TestHtreeMatchesKernel.)
func dxSplitPoint(m []dxMapEntry, blockSize int) int {
	size, move := 0, 0
	i := len(m) - 1
	for ; i >= 0; i-- {
		if size+m[i].size/2 > blockSize/2 {
			break
		}
		size += m[i].size
		move++
	}
	if i >= 0 {
		return len(m) - move
	}
	return len(m) / 2
}

// doSplit models fs/ext4/namei.c:do_split (with dx_move_dirents and
// dx_pack_dirents): the full leaf of frame f gives its upper half by hash
// to a new leaf appended to the directory (ext4_append); the moved records
// are laid out in hash order, the kept ones stay in block order, both
// packed with the last spanning the rest; the new leaf's index entry
// (hash2, plus 1 when names with hash2 stay behind) goes after the old
// one's. It returns the leaf whose range holds hash, where the new name
// goes.
func (d *diskDir) doSplit(g geometry, seed [4]uint32, f dxFrame, hash uint32) int {
	t := d.dx
	old := t.entries(f.node)[f.at].block
	blk := d.blocks[old]
	newBlock := len(d.blocks) // ext4_append
	m := dxMakeMap(blk, seed)
	if len(m) < 2 {
		vfs.Bug("ext4sim: do_split of leaf %d with %d names", old, len(m))
	}
	dxSortMap(m)
	split := dxSplitPoint(m, g.BlockSize)
	hash2 := m[split].hash
	var continued uint32
	if m[split-1].hash == hash2 {
		continued = 1
	}
	usable := g.BlockSize - g.DirTail
	movedIdx := make(map[int]bool, len(m)-split)
	moved := make([]dirent, 0, len(m)-split)
	for _, me := range m[split:] {
		movedIdx[me.idx] = true
		moved = append(moved, blk[me.idx])
	}
	var kept []dirent
	for i, e := range blk {
		if e.ino != 0 && e.name != "" && !movedIdx[i] {
			kept = append(kept, e)
		}
	}
	d.blocks[old] = packBlock(kept, usable)
	d.blocks = append(d.blocks, packBlock(moved, usable))
	for _, e := range moved {
		d.placed(newBlock, e.name)
	}
	t.dxInsertBlock(g, f, hash2+continued, newBlock)
	if hash >= hash2 {
		return newBlock
	}
	return old
}

// insertAtEnd models fs/ext4/namei.c:add_dirent_to_buf given the record
// to use (what do_split returns: the leaf's last record, which holds all
// its free room) and ext4_insert_dentry: e takes the last record's slack.
func insertAtEnd(blk []dirent, e dirent) []dirent {
	last := len(blk) - 1
	need := recLen(len(e.name))
	if blk[last].ino == 0 {
		if blk[last].recLen < need {
			vfs.Bug("ext4sim: the leaf do_split chose has %d bytes for %q", blk[last].recLen, e.name)
		}
		e.recLen = blk[last].recLen
		blk[last] = e
		return blk
	}
	used := recLen(len(blk[last].name))
	if blk[last].recLen-used < need {
		// Linux would write the record past the leaf's end. With
		// 6.15's split point the half that takes the name keeps more
		// room than the longest name needs (at least about 380 of a
		// 1 KiB leaf's 1012 bytes, against 264), so this is a bug of
		// the simulator's.
		vfs.Bug("ext4sim: the leaf do_split chose has %d bytes for %q", blk[last].recLen-used, e.name)
	}
	e.recLen = blk[last].recLen - used
	blk[last].recLen = used
	return append(blk, e)
}

// makeIndexedDir models fs/ext4/namei.c:make_indexed_dir: the records
// after ".." move, as they lie, to a new block 1 (the last one stretched
// to the block's end), block 0 becomes the dx_root with one entry naming
// block 1, and block 1 is split at once (do_split) to take e.
func (d *diskDir) makeIndexedDir(g geometry, seed [4]uint32, e dirent) {
	blk0 := d.blocks[0]
	if len(blk0) < 3 {
		vfs.Bug("ext4sim: make_indexed_dir of a block with %d records", len(blk0))
	}
	shift := blk0[0].recLen + blk0[1].recLen
	moved := append([]dirent(nil), blk0[2:]...)
	moved[len(moved)-1].recLen += shift
	dot, dotdot := blk0[0], blk0[1]
	dot.recLen = recLen(1)
	dotdot.recLen = g.BlockSize - recLen(1)
	d.blocks[0] = []dirent{dot, dotdot}
	d.blocks = append(d.blocks, moved) // ext4_append: block 1
	d.dx = &dxTree{root: []dxEntry{{block: 1}}}
	d.where, d.room = nil, nil // names moved: rebuilt on use
	hash, _ := dirHash(e.name, seed, false)
	b := d.doSplit(g, seed, dxFrame{node: -1, at: 0}, hash)
	d.blocks[b] = insertAtEnd(d.own(b), e)
	d.placed(b, e.name)
}

// dxAddEntry models fs/ext4/namei.c:ext4_dx_add_entry: e goes into the
// leaf its hash selects if a record there has room (add_dirent_to_buf,
// first fit in block order); else the leaf is split (do_split), after
// splitting the full index block above it first: a full dx_node is halved
// by count into a new dx_node when the root has room, and a full root
// with no nodes under it moves its entries into a new dx_node and points
// at it (one more level); with the root full above a full node, or a full
// root at the last level, the directory is full: ENOSPC. New blocks are
// appended (ext4_append), growing the directory.
func (d *diskDir) dxAddEntry(g geometry, seed [4]uint32, e dirent) error {
	t := d.dx
	usable := g.BlockSize - g.DirTail
	hash, _ := dirHash(e.name, seed, false)
	for {
		frames := t.probe(hash)
		leaf := t.leafOf(frames)
		if blk, ok := insertInBlock(d.own(leaf), usable, e); ok {
			d.blocks[leaf] = blk
			d.placed(leaf, e.name)
			return nil
		}
		fi := len(frames) - 1
		if len(t.entries(frames[fi].node)) == t.limit(g, frames[fi].node) {
			levels := len(frames)
			addLevel, restart := true, false
			for fi > 0 {
				up := frames[fi-1]
				if len(t.entries(up.node)) < t.limit(g, up.node) {
					addLevel = false
					break
				}
				fi-- // the index block above is full too: split it
				restart = true
			}
			if addLevel && levels == dxMaxLevels {
				return vfs.ENOSPC // "index full, reach max htree level"
			}
			newBlock := len(d.blocks) // ext4_append: a dx_node
			d.blocks = append(d.blocks, []dirent{{recLen: g.BlockSize}})
			f := frames[fi]
			es := t.entries(f.node)
			if t.nodes == nil {
				t.nodes = map[int][]dxEntry{}
			}
			if !addLevel {
				// Halve the node by count; the upper half's first hash
				// keys it in the level above.
				n1 := len(es) / 2
				hash2 := es[n1].hash
				t.nodes[newBlock] = append([]dxEntry(nil), es[n1:]...)
				t.setEntries(f.node, append([]dxEntry(nil), es[:n1]...))
				if f.at >= n1 {
					frames[fi] = dxFrame{node: newBlock, at: f.at - n1}
				}
				t.dxInsertBlock(g, frames[fi-1], hash2, newBlock)
				if restart {
					continue
				}
			} else {
				// The root's entries move to the new node; the root
				// keeps one entry, naming it.
				t.nodes[newBlock] = append([]dxEntry(nil), es...)
				t.root = []dxEntry{{block: newBlock}}
				t.levels++
				continue
			}
		}
		b := d.doSplit(g, seed, frames[len(frames)-1], hash)
		d.blocks[b] = insertAtEnd(d.own(b), e)
		d.placed(b, e.name)
		return nil
	}
}

// problems lists what is wrong with an indexed directory's htree (the
// checker's invariant E11): block 0 holds just "." and ".."; every index
// block has 1 to its limit entries, hashes past the first in order and
// within the range its parent entry gives it; the root names dx_nodes
// exactly when indirect_levels is 1 (never more without large_dir); every
// other block is referenced once, as a dx_node (one fake empty record
// spanning the block) or as a leaf (records spanning the room before the
// checksum tail); and every name is in the leaf dx_probe chooses for its
// hash, or in a later one that the continuation bit of each index entry
// on the way marks as holding that hash too.
func (d *diskDir) problems(g geometry, seed [4]uint32) []string {
	t := d.dx
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(d.blocks[0]) != 2 || d.blocks[0][0].name != "." || d.blocks[0][1].name != ".." ||
		d.blocks[0][0].recLen != recLen(1) || d.blocks[0][1].recLen != g.BlockSize-recLen(1) {
		bad("the dx_root block does not hold just \".\" and \"..\": %v", d.blocks[0])
	}
	if t.levels < 0 || t.levels >= dxMaxLevels {
		bad("indirect_levels %d without large_dir", t.levels)
		return out
	}
	if (t.levels == 0) != (len(t.nodes) == 0) {
		bad("indirect_levels %d with %d dx_nodes", t.levels, len(t.nodes))
		return out
	}
	refs := make(map[int]int)
	var index func(node, level int, lo, hi uint32, last bool)
	index = func(node, level int, lo, hi uint32, last bool) {
		es := t.entries(node)
		if len(es) == 0 || len(es) > t.limit(g, node) {
			bad("index block %d has %d entries (limit %d)", max(node, 0), len(es), t.limit(g, node))
			return
		}
		for i, e := range es {
			refs[e.block]++
			h := lo
			if i > 0 {
				h = e.hash
				if h < lo || !last && h > hi || h < es[i-1].hash && i > 1 {
					bad("index block %d: entry %d's hash %#x is out of order or outside [%#x, %#x)", max(node, 0), i, h, lo, hi)
				}
			}
			if level < t.levels {
				if _, ok := t.nodes[e.block]; !ok {
					bad("index block %d: entry %d names block %d, which is not a dx_node", max(node, 0), i, e.block)
					continue
				}
				next, nextLast := hi, last
				if i+1 < len(es) {
					next, nextLast = es[i+1].hash, false
				}
				index(e.block, level+1, h, next, nextLast)
			} else if _, ok := t.nodes[e.block]; ok {
				bad("index block %d: entry %d names dx_node %d as a leaf", max(node, 0), i, e.block)
			}
		}
	}
	index(-1, 0, 0, 0, true)
	if len(out) > 0 {
		return out
	}
	pos := make(map[int]int)
	leaves := t.leaves()
	for p, l := range leaves {
		pos[l.block] = p
	}
	usable := g.BlockSize - g.DirTail
	for b := 1; b < len(d.blocks); b++ {
		if refs[b] != 1 {
			bad("block %d is referenced %d times by the index", b, refs[b])
			continue
		}
		if _, ok := t.nodes[b]; ok {
			if len(d.blocks[b]) != 1 || d.blocks[b][0].ino != 0 || d.blocks[b][0].recLen != g.BlockSize {
				bad("dx_node %d does not hold one empty record spanning it", b)
			}
			continue
		}
		span := 0
		for _, e := range d.blocks[b] {
			span += e.recLen
			if e.ino == 0 {
				continue
			}
			h, _ := dirHash(e.name, seed, false)
			q := pos[t.leafOf(t.probe(h))]
			p := pos[b]
			ok := q == p
			if q < p {
				ok = true
				for i := q + 1; i <= p; i++ {
					ok = ok && leaves[i].hash&^1 == h && leaves[i].hash&1 == 1
				}
			}
			if !ok {
				bad("%q (hash %#x) is in leaf %d, but dx_probe chooses leaf %d", e.name, h, b, leaves[q].block)
			}
		}
		if span != usable {
			bad("leaf %d's records span %d bytes, not %d", b, span, usable)
		}
	}
	for b := range refs {
		if b <= 0 || b >= len(d.blocks) {
			bad("the index names block %d, outside the directory's %d blocks", b, len(d.blocks))
		}
	}
	sort.Strings(out) // refs is a map: keep the report's order fixed
	return out
}
