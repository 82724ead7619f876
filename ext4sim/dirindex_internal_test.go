package ext4sim

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// The indexes change nothing: after any sequence of inserts and removes
// of names of any length in one directory, each name is found where a scan
// of the blocks finds it, and the first block with room for a record is
// the one a scan from the first block picks.
func TestDirIndexesAgreeWithScans(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		geo := geometry{BlockSize: 1024, DirTail: 0}
		usable := geo.BlockSize - geo.DirTail
		d := &diskDir{blocks: [][]dirent{geo.newDirBlock0(2, 2)}}
		var live []string // in insertion order
		for i, n := 0, rapid.IntRange(1, 300).Draw(t, "ops"); i < n; i++ {
			name := fmt.Sprintf("%0*d", rapid.IntRange(1, 40).Draw(t, "len"), i)
			if len(live) > 0 && rapid.IntRange(0, 3).Draw(t, "remove") == 0 {
				k := rapid.IntRange(0, len(live)-1).Draw(t, "victim")
				victim := live[k]
				live = append(live[:k], live[k+1:]...)
				b, j := d.find(victim)
				blk := d.blocks[b]
				if j > 0 {
					blk[j-1].recLen += blk[j].recLen
					d.blocks[b] = append(blk[:j], blk[j+1:]...)
				} else {
					blk[0] = dirent{recLen: blk[0].recLen}
				}
				d.removed(b, victim)
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
		for _, name := range live {
			b, i := d.find(name)
			if b < 0 || d.blocks[b][i].name != name {
				t.Fatalf("%q not found", name)
			}
		}
	})
}
