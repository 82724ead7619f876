package ext4sim_test

import (
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// BenchmarkOrphanAddDel keeps a chain of n open-but-unlinked files and, in
// each iteration, closes the oldest one (ext4_orphan_del of the chain's
// tail: its predecessor's i_dtime is rewritten, then ext4_evict_inode frees
// it) and opens and unlinks a new one (ext4_orphan_add at the head). Every
// iteration is two orphan-list operations plus the open, unlink and close
// around them; orphan-ops/s counts the former. With orphan_file the
// orphans sit in the orphan file's 8128 slots instead, and a chain longer
// than that spills onto the list.
//
// Both list operations are O(1), as in the kernel (the in-memory list is
// doubly linked, so the predecessor is at hand): the cost of an iteration
// should not grow with n beyond what a larger heap costs.
//
//	go test ./ext4sim -run '^$' -bench OrphanAddDel
func BenchmarkOrphanAddDel(b *testing.B) {
	for _, orphanFile := range []bool{false, true} {
		for _, n := range []int{1, 100, 10000, 30000} {
			name := fmt.Sprintf("list/chain=%d", n)
			if orphanFile {
				name = fmt.Sprintf("orphan_file/orphans=%d", n)
			}
			b.Run(name, func(b *testing.B) { benchOrphans(b, n, orphanFile) })
		}
	}
}

func benchOrphans(b *testing.B, n int, orphanFile bool) {
	tk, _ := mountExt4(b, ext4sim.MkfsOptions{OrphanFile: orphanFile})
	vfstest.Must(b, tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: uint64(n) + 16, Max: vfs.NrOpen}))
	next := 0
	addOrphan := func() int {
		p := fmt.Sprintf("/mnt/f%d", next%4)
		next++
		fd := vfstest.Open(b, tk, p, vfs.O_CREAT|vfs.O_EXCL|vfs.O_RDWR, 0o644)
		vfstest.Must(b, tk.Unlink(p))
		return fd
	}
	ring := make([]int, n)
	for i := range ring {
		ring[i] = addOrphan()
	}
	m := ext4sim.FS(mountedSB(b, tk))
	if got := len(m.Orphans()); got != n {
		b.Fatalf("%d orphans after setup, want %d", got, n)
	}
	oldest := 0
	b.ResetTimer()
	for b.Loop() {
		vfstest.Must(b, tk.Close(ring[oldest]))
		ring[oldest] = addOrphan()
		oldest = (oldest + 1) % n
	}
	b.StopTimer()
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "orphan-ops/s")
	if got := len(m.Orphans()); got != n {
		b.Fatalf("%d orphans after the run, want %d", got, n)
	}
	if vs := m.Check(); len(vs) != 0 {
		b.Fatalf("checker: %v", vs)
	}
	for _, fd := range ring {
		vfstest.Must(b, tk.Close(fd))
	}
	vfstest.Must(b, tk.Umount("/mnt", 0))
}

// mountedSB returns the superblock of the filesystem mounted at /mnt.
func mountedSB(tb testing.TB, tk *vfs.Task) *vfs.Superblock {
	tb.Helper()
	sb, err := tk.SuperblockOf("/mnt")
	if err != nil {
		tb.Fatal(err)
	}
	return sb
}

// BenchmarkLargeDirectory creates and removes a name in a directory of n
// entries: each iteration is an open(O_CREAT|O_EXCL) of a new name (a
// lookup that misses, then ext4_add_entry), a close and an unlink (a
// lookup, then ext4_delete_entry). Linux's htree makes both O(log n); so
// do the simulator's model of it (htree.go: a binary search per index
// level, work bounded by a leaf's size) and its name index (dirindex.go),
// which keep the cost of a 100,000-entry directory within a small factor
// of a 100-entry one.
// Compare ns/op across the two sizes of one run.
//
//	go test ./ext4sim -run '^$' -bench LargeDirectory
func BenchmarkLargeDirectory(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) { benchLargeDir(b, n) })
	}
}

func benchLargeDir(b *testing.B, n int) {
	tk, _ := mountExt4(b, ext4sim.MkfsOptions{Size: 1 << 30})
	vfstest.Must(b, tk.Mkdir("/mnt/d", 0o755))
	for i := range n {
		vfstest.Must(b, tk.Close(vfstest.Open(b, tk, fmt.Sprintf("/mnt/d/entry-%06d", i), vfs.O_CREAT|vfs.O_EXCL|vfs.O_WRONLY, 0o644)))
	}
	st, err := tk.Stat("/mnt/d")
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ResetTimer()
	for b.Loop() {
		p := fmt.Sprintf("/mnt/d/new-%d", i)
		i++
		vfstest.Must(b, tk.Close(vfstest.Open(b, tk, p, vfs.O_CREAT|vfs.O_EXCL|vfs.O_WRONLY, 0o644)))
		vfstest.Must(b, tk.Unlink(p))
	}
	b.StopTimer()
	b.ReportMetric(float64(st.Size), "dir-bytes")
	vfstest.Must(b, tk.Umount("/mnt", 0))
}
