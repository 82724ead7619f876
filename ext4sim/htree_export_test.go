package ext4sim

import "fmt"

// HtreeDump describes the htree of directory ino the way the host test
// reads `debugfs -R "htree DIR"`: the root's levels, count and limit and
// entries, then each entry's subtree in order — a dx_node's count, limit
// and entries, a leaf's records (inode, hash, minor hash, rec_len, name).
// A directory that is not indexed gives nil.
func (m *Mounted) HtreeDump(ino uint32) []string {
	d := m.fs.cur.dirs[ino]
	if d == nil || d.dx == nil {
		return nil
	}
	g, seed := m.fs.cur.geo, m.fs.cur.sb.HashSeed
	t := d.dx
	var out []string
	index := func(node int) {
		es := t.entries(node)
		out = append(out, fmt.Sprintf("count %d", len(es)), fmt.Sprintf("limit %d", t.limit(g, node)))
		for i, e := range es {
			h := e.hash
			if i == 0 {
				h = 0
			}
			out = append(out, fmt.Sprintf("entry %d 0x%08x %d", i, h, e.block))
		}
	}
	leaf := func(b int) {
		out = append(out, fmt.Sprintf("leaf %d", b))
		for _, e := range d.blocks[b] {
			if e.ino == 0 {
				continue
			}
			h, minor := dirHash(e.name, seed, false)
			out = append(out, fmt.Sprintf("de %d 0x%08x-%08x (%d) %s", e.ino, h, minor, e.recLen, e.name))
		}
	}
	out = append(out, fmt.Sprintf("levels %d", t.levels))
	index(-1)
	for i, e := range t.root {
		h := e.hash
		if i == 0 {
			h = 0
		}
		out = append(out, fmt.Sprintf("entry %d 0x%08x %d", i, h, e.block))
		if t.levels == 0 {
			leaf(e.block)
			continue
		}
		index(e.block)
		for j, ne := range t.nodes[e.block] {
			nh := ne.hash
			if j == 0 {
				nh = 0
			}
			out = append(out, fmt.Sprintf("entry %d 0x%08x %d", j, nh, ne.block))
			leaf(ne.block)
		}
	}
	return out
}

// CollidingNames returns n pairs of names whose hashes under the default
// seed are equal (names "c" and seven digits, found by counting).
func CollidingNames(n int) [][2]string {
	seed, _ := ParseHashSeed(DefaultHashSeedUUID)
	first := map[uint32]string{}
	var out [][2]string
	for i := 0; len(out) < n; i++ {
		name := fmt.Sprintf("c%07d", i)
		h, _ := dirHash(name, seed, false)
		if other, ok := first[h]; ok {
			out = append(out, [2]string{other, name})
			delete(first, h)
			continue
		}
		first[h] = name
	}
	return out
}
