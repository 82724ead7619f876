//go:build !race

package script_test

import (
	"testing"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// TestSeedCycleAllocs holds the allocation counts of the seed's cycle
// (open(creat), link, unlink, close, unlink) on each simulated filesystem,
// as bench's SeedCycle runs it: counts, not times. Beyond vfs's four
// objects (an inode, two dentries, a file; vfs's TestAllocs) the rest are
// the filesystems' own: ext4sim's in newInode and insertInBlock (a
// journal handle costs none: they are reused), btrfssim's in
// newInodeNumbered, addLink and the orphan items (a transaction handle
// stays on its caller's stack). Not under -race, which allocates on its
// own; .ci/run runs it without.
func TestSeedCycleAllocs(t *testing.T) {
	for _, c := range []struct {
		fs   string
		mkfs string
		max  float64
	}{
		{"tmpfs", "", 4},
		{"ext4", "size=4294967296,blocksize=4096", 11},
		{"btrfs", "", 14},
	} {
		t.Run(c.fs, func(t *testing.T) {
			m, err := script.Boot(script.Config{FS: c.fs, Mkfs: c.mkfs})
			if err != nil {
				t.Fatal(err)
			}
			tk := m.Init()
			must := func(err error) {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := testing.AllocsPerRun(500, func() {
				fd, err := tk.Open("/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
				must(err)
				must(tk.Link("/mnt/a", "/mnt/b"))
				must(tk.Unlink("/mnt/a"))
				must(tk.Close(fd))
				must(tk.Unlink("/mnt/b"))
			})
			if got > c.max {
				t.Errorf("%.1f allocations a cycle, want at most %.0f", got, c.max)
			} else {
				t.Logf("%.1f allocations a cycle (at most %.0f)", got, c.max)
			}
			if vs := m.K.CheckInvariants(); len(vs) > 0 {
				t.Fatal(vfs.InvariantError(vs))
			}
			must(m.K.Shutdown())
		})
	}
}
