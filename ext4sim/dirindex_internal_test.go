package ext4sim

import (
	"fmt"
	"github.com/relinksim/relinksim/vfs"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The indexes change nothing: after any sequence of inserts and removes
// of names of any length in one linear directory (one that is not an
// htree, like mkfs's lost+found), each name is found where a scan of the
// blocks finds it, and the first block with room for a record is the one
// a scan from the first block picks.
func TestDirIndexesAgreeWithScans(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		geo := geometry{BlockSize: 1024, DirTail: 0}
		usable := geo.BlockSize - geo.DirTail
		d := &diskDir{blocks: [][]dirent{geo.newDirBlock0(2, 2), {{recLen: usable}}}}
		var live []string // in insertion order
		for i, n := 0, rapid.IntRange(1, 300).Draw(t, "ops"); i < n; i++ {
			name := fmt.Sprintf("%0*d", rapid.IntRange(1, 40).Draw(t, "len"), i)
			if len(live) > 0 && rapid.IntRange(0, 3).Draw(t, "remove") == 0 {
				k := rapid.IntRange(0, len(live)-1).Draw(t, "victim")
				victim := live[k]
				live = append(live[:k], live[k+1:]...)
				if !d.remove(victim) {
					t.Fatalf("%q not removed", victim)
				}
				continue
			}
			need := recLen(len(name))
			scan := -1
			for b := range d.blocks {
				if _, ok := insertInBlock(append([]dirent(nil), d.blocks[b]...), usable, dirent{ino: 1, name: name}); ok {
					scan = b
					break
				}
			}
			if got := d.roomIndex().first(0, need); got != scan {
				t.Fatalf("room index picks block %d for %q, a scan %d", got, name, scan)
			}
			if scan < 0 {
				d.blocks = append(d.blocks, []dirent{{recLen: usable}})
				d.appended()
				scan = len(d.blocks) - 1
			}
			blk, _ := insertInBlock(d.blocks[scan], usable, dirent{ino: 1, name: name})
			d.blocks[scan] = blk
			d.placed(scan, name)
			live = append(live, name)
		}
		checkNameIndex(t, d, live)
	})
}

// checkNameIndex checks that d's name index puts each live name where a
// scan of the blocks finds it, and holds nothing else.
func checkNameIndex(t *rapid.T, d *diskDir, live []string) {
	scan := map[string]int{}
	for b, blk := range d.blocks {
		for _, e := range blk {
			if e.ino != 0 && e.name != "." && e.name != ".." {
				scan[e.name] = b
			}
		}
	}
	if len(scan) != len(live) {
		t.Fatalf("%d names in the blocks, %d live", len(scan), len(live))
	}
	for _, name := range live {
		b, i := d.find(name)
		if b < 0 || d.blocks[b][i].name != name || scan[name] != b {
			t.Fatalf("%q: the name index says block %d, a scan %d", name, b, scan[name])
		}
	}
}

// An htree directory under any sequence of inserts and removes keeps the
// htree's invariants (diskDir.problems: the checker's E11), its name index
// agrees with a scan of its blocks, and its size only grows: each insert
// either fills a leaf or splits one (one block more), splitting or
// deepening the index first when it is full (one block more again).
func TestHtreeInvariantsHold(t *testing.T) {
	seed, _ := ParseHashSeed(DefaultHashSeedUUID)
	rapid.Check(t, func(t *rapid.T) {
		geo := geometry{BlockSize: 1024, DirTail: 12}
		if rapid.Bool().Draw(t, "no metadata_csum") {
			geo.DirTail = 0
		}
		d := &diskDir{blocks: [][]dirent{geo.newDirBlock0(2, 2)}}
		short := rapid.Bool().Draw(t, "short names")
		var live []string
		for i, n := 0, rapid.IntRange(1, 1500).Draw(t, "ops"); i < n; i++ {
			if len(live) > 0 && rapid.IntRange(0, 4).Draw(t, "remove") == 0 {
				k := rapid.IntRange(0, len(live)-1).Draw(t, "victim")
				victim := live[k]
				live = append(live[:k], live[k+1:]...)
				if !d.remove(victim) {
					t.Fatalf("%q not removed", victim)
				}
				continue
			}
			width := rapid.IntRange(200, 255).Draw(t, "len")
			if short {
				width = rapid.IntRange(1, 12).Draw(t, "len")
			}
			name := fmt.Sprintf("%0*d", width, i)
			e := dirent{ino: 1, name: name}
			before := len(d.blocks)
			if err := addName(d, geo, seed, e); err != nil {
				t.Fatalf("add %q: %v", name, err)
			}
			grew := len(d.blocks) - before
			if grew < 0 || grew > 2 {
				t.Fatalf("adding %q grew the directory by %d blocks", name, grew)
			}
			live = append(live, name)
			if d.indexed() && (i%50 == 0 || grew > 0 && rapid.IntRange(0, 3).Draw(t, "check") == 0) {
				if ps := d.problems(geo, seed); len(ps) > 0 {
					t.Fatalf("after adding %q: %s", name, strings.Join(ps, "; "))
				}
			}
		}
		if d.indexed() {
			if ps := d.problems(geo, seed); len(ps) > 0 {
				t.Fatalf("at the end: %s", strings.Join(ps, "; "))
			}
		}
		checkNameIndex(t, d, live)
	})
}

// The htree checker sees a broken tree: two index entries out of order, a
// name in a leaf its hash does not select, a leaf no entry names, and an
// index block over its limit.
func TestHtreeProblemsAreCaught(t *testing.T) {
	seed, _ := ParseHashSeed(DefaultHashSeedUUID)
	geo := geometry{BlockSize: 1024, DirTail: 12}
	build := func() *diskDir {
		d := &diskDir{blocks: [][]dirent{geo.newDirBlock0(2, 2)}}
		for i := 0; i < 400; i++ {
			e := dirent{ino: 1, name: fmt.Sprintf("%0250d", i)}
			if err := addName(d, geo, seed, e); err != nil {
				t.Fatal(err)
			}
		}
		if ps := d.problems(geo, seed); len(ps) > 0 {
			t.Fatalf("a well-formed tree: %v", ps)
		}
		if d.dx.levels != 1 {
			t.Fatalf("400 names of 250 bytes: %d index levels, want 1", d.dx.levels)
		}
		return d
	}
	for _, c := range []struct {
		name   string
		break_ func(d *diskDir)
		want   string
	}{
		{"entries swapped", func(d *diskDir) {
			es := d.dx.nodes[d.dx.root[0].block]
			es[1], es[2] = es[2], es[1]
		}, "out of order"},
		{"name in the wrong leaf", func(d *diskDir) {
			l := d.dx.leaves()
			a, b := d.blocks[l[1].block], d.blocks[l[len(l)-1].block]
			a[0].name, b[0].name = b[0].name, a[0].name
		}, "dx_probe chooses"},
		{"leaf not indexed", func(d *diskDir) {
			es := d.dx.nodes[d.dx.root[0].block]
			d.dx.nodes[d.dx.root[0].block] = append(es[:1], es[2:]...)
		}, "referenced 0 times"},
		{"node over its limit", func(d *diskDir) {
			n := d.dx.root[0].block
			for len(d.dx.nodes[n]) <= geo.dxNodeLimit() {
				es := d.dx.nodes[n]
				d.dx.nodes[n] = append(es, es[len(es)-1])
			}
		}, "entries (limit 126)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := build()
			c.break_(d)
			ps := d.problems(geo, seed)
			if !strings.Contains(strings.Join(ps, "\n"), c.want) {
				t.Errorf("problems %q do not say %q", ps, c.want)
			}
		})
	}
}

// A directory's clones (the journal's snapshots) share its blocks copy on
// write: however the directory changes afterwards — names added through
// the htree, splits, a block 0 turned into a dx_root, removals — every
// clone keeps exactly the records it had when it was taken.
func TestDirClonesDoNotChange(t *testing.T) {
	seed, _ := ParseHashSeed(DefaultHashSeedUUID)
	deep := func(d *diskDir) [][]dirent {
		out := make([][]dirent, len(d.blocks))
		for i, b := range d.blocks {
			out[i] = append([]dirent(nil), b...)
		}
		return out
	}
	rapid.Check(t, func(t *rapid.T) {
		geo := geometry{BlockSize: 1024, DirTail: 12}
		d := &diskDir{blocks: [][]dirent{geo.newDirBlock0(2, 2)}}
		type snap struct {
			d    *diskDir
			want [][]dirent
		}
		var snaps []snap
		var live []string
		for i, n := 0, rapid.IntRange(1, 600).Draw(t, "ops"); i < n; i++ {
			if rapid.IntRange(0, 9).Draw(t, "clone") == 0 {
				c := d.clone()
				snaps = append(snaps, snap{c, deep(c)})
			}
			if len(live) > 0 && rapid.IntRange(0, 3).Draw(t, "remove") == 0 {
				k := rapid.IntRange(0, len(live)-1).Draw(t, "victim")
				d.remove(live[k])
				live = append(live[:k], live[k+1:]...)
				continue
			}
			name := fmt.Sprintf("%0*d", rapid.IntRange(1, 120).Draw(t, "len"), i)
			e := dirent{ino: uint32(i + 20), name: name}
			if err := addName(d, geo, seed, e); err != nil {
				t.Fatal(err)
			}
			live = append(live, name)
			if b, j := d.find(name); b >= 0 && rapid.Bool().Draw(t, "setent") {
				d.own(b)[j].ino++ // as setEntry changes a record in place
			}
		}
		for i, s := range snaps {
			if !reflect.DeepEqual(deep(s.d), s.want) {
				t.Fatalf("clone %d of %d changed after it was taken", i, len(snaps))
			}
		}
		checkNameIndex(t, d, live)
	})
}

// The readdir order a directory keeps between getdents calls is always the
// order a fresh sort gives: whatever changed in between (names added,
// leaves split, names removed, an entry pointed at another inode), a
// listing from any position matches one computed from scratch.
func TestReaddirOrderKeptFresh(t *testing.T) {
	seed, _ := ParseHashSeed(DefaultHashSeedUUID)
	rapid.Check(t, func(t *rapid.T) {
		geo := geometry{BlockSize: 1024, DirTail: 12}
		fs := &fsInfo{cur: &image{geo: geo}}
		fs.cur.sb.HashSeed = seed
		d := &diskDir{blocks: [][]dirent{geo.newDirBlock0(2, 2)}}
		var live []string
		list := func(pos int64, max int) []vfs.Dirent {
			var out []vfs.Dirent
			fs.dxReaddir(d, pos, func(e vfs.Dirent) bool {
				out = append(out, e)
				return len(out) < max
			})
			return out
		}
		for i, n := 0, rapid.IntRange(1, 400).Draw(t, "ops"); i < n; i++ {
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0: // a listing, from the start or a cookie
				var pos int64
				if all := fs.hashOrder(d); len(all) > 0 && rapid.Bool().Draw(t, "from a cookie") {
					pos = all[rapid.IntRange(0, len(all)-1).Draw(t, "at")].cookie
				}
				max := rapid.IntRange(1, 50).Draw(t, "max")
				got := list(pos, max)
				kept := d.hashOrder
				d.hashOrder = nil
				want := list(pos, max)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("from %d: the kept order gives %v, a fresh one %v", pos, got, want)
				}
				d.hashOrder = kept
			case 1:
				if len(live) > 0 {
					k := rapid.IntRange(0, len(live)-1).Draw(t, "victim")
					d.remove(live[k])
					live = append(live[:k], live[k+1:]...)
				}
			case 2:
				if len(live) > 0 {
					b, j := d.find(live[rapid.IntRange(0, len(live)-1).Draw(t, "retarget")])
					d.own(b)[j].ino++ // setEntry
				}
			default:
				name := fmt.Sprintf("%0*d", rapid.IntRange(1, 100).Draw(t, "len"), i)
				e := dirent{ino: uint32(i + 20), name: name}
				if err := addName(d, geo, seed, e); err != nil {
					t.Fatal(err)
				}
				live = append(live, name)
			}
		}
	})
}

// addName adds e to d as fsInfo.addEntry does for an indexed directory
// (ext4_dx_add_entry) or a one-block one (the block, else
// make_indexed_dir).
func addName(d *diskDir, geo geometry, seed [4]uint32, e dirent) error {
	if d.indexed() {
		return d.dxAddEntry(geo, seed, e)
	}
	if blk, ok := insertInBlock(d.own(0), geo.BlockSize-geo.DirTail, e); ok {
		d.blocks[0] = blk
		d.placed(0, e.name)
		return nil
	}
	d.makeIndexedDir(geo, seed, e)
	return nil
}
