//go:build !race

package vfs_test

import (
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// Allocation counts of the headline workloads of the benchmarks (module
// bench), on tmpfs, as regressions: counts, not times, so they hold on any
// machine. A cached path walk allocates nothing; the seed's cycle and
// create+close+stat+rename+unlink allocate for the objects they create and
// little else. (The race detector allocates on its own: not under -race;
// .ci/run runs this test without it.)
func TestAllocs(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	dir := "/mnt"
	for _, d := range []string{"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"} {
		dir += "/" + d
		vfstest.Must(t, tk.Mkdir(dir, 0o755))
	}
	deep := dir + "/f"
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, deep, vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		max  float64
		run  func()
	}{
		{"stat 10 directories deep", 0, func() {
			_, err := tk.Stat(deep)
			must(err)
		}},
		{"the seed's cycle: open(creat), link, unlink, close, unlink", 12, func() {
			fd, err := tk.Open("/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			must(err)
			must(tk.Link("/mnt/a", "/mnt/b"))
			must(tk.Unlink("/mnt/a"))
			must(tk.Close(fd))
			must(tk.Unlink("/mnt/b"))
		}},
		{"create, close, stat, rename, unlink", 10, func() {
			fd, err := tk.Open("/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			must(err)
			must(tk.Close(fd))
			_, err = tk.Stat("/mnt/a")
			must(err)
			must(tk.Rename("/mnt/a", "/mnt/b"))
			must(tk.Unlink("/mnt/b"))
		}},
	} {
		if got := testing.AllocsPerRun(200, c.run); got > c.max {
			t.Errorf("%s: %.1f allocations a run, want at most %.0f", c.name, got, c.max)
		} else {
			t.Logf("%s: %.1f allocations a run (at most %.0f)", c.name, got, c.max)
		}
	}
}
