package btrfssim_test

import (
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// mountBtrfs boots a kernel (checked for leaks when the test ends), makes
// a btrfssim filesystem and mounts it on /mnt.
func mountBtrfs(tb testing.TB) *vfs.Task {
	tb.Helper()
	if _, ok := tb.(*testing.B); ok {
		btrfssim.SetVerifyCommits(false)
		tb.Cleanup(func() { btrfssim.SetVerifyCommits(true) })
	}
	k := vfstest.NewKernel(tb, vfs.Options{})
	tk := k.Init()
	dev, err := btrfssim.Setup(btrfssim.MkfsOptions{})(k)
	if err != nil {
		tb.Fatal(err)
	}
	vfstest.Must(tb, tk.Mkdir("/mnt", 0o755))
	vfstest.Must(tb, tk.Mount(dev, "/mnt", "btrfs", 0, ""))
	return tk
}

// BenchmarkOrphanAddDel keeps n open-but-unlinked files and, in each
// iteration, closes the oldest (btrfs_evict_inode deletes it and its orphan
// item) and opens and unlinks a new one (btrfs_orphan_add): two orphan-item
// operations per iteration, counted by orphan-ops/s.
//
//	go test ./btrfssim -run '^$' -bench OrphanAddDel
func BenchmarkOrphanAddDel(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("orphans=%d", n), func(b *testing.B) {
			tk := mountBtrfs(b)
			vfstest.Must(b, tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: uint64(n) + 16, Max: vfs.NrOpen}))
			addOrphan := func() int {
				fd := vfstest.Open(b, tk, "/mnt/f", vfs.O_CREAT|vfs.O_EXCL|vfs.O_RDWR, 0o644)
				vfstest.Must(b, tk.Unlink("/mnt/f"))
				return fd
			}
			ring := make([]int, n)
			for i := range ring {
				ring[i] = addOrphan()
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
			sb, err := tk.SuperblockOf("/mnt")
			if err != nil {
				b.Fatal(err)
			}
			if inos, _ := btrfssim.FS(sb).Orphans(5); len(inos) != n {
				b.Fatalf("%d orphan items, want %d", len(inos), n)
			}
			for _, fd := range ring {
				vfstest.Must(b, tk.Close(fd))
			}
			vfstest.Must(b, tk.Umount("/mnt", 0))
		})
	}
}

// BenchmarkSnapshot snapshots a subvolume holding n files (and, to make
// the snapshot's orphan cleanup work, n/100 open-but-unlinked ones). Each
// iteration is one BTRFS_IOC_SNAP_CREATE_V2: a commit, a copy of the
// source tree and cleanup of the copy. ns/inode is the cost per inode of
// the source.
//
// Divergence: btrfs shares the tree copy-on-write, so a snapshot costs the
// same whatever the subvolume holds; the simulator copies the tree's items.
//
//	go test ./btrfssim -run '^$' -bench Snapshot
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("inodes=%d", n), func(b *testing.B) {
			tk := mountBtrfs(b)
			vfstest.Must(b, tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: uint64(n) + 16, Max: vfs.NrOpen}))
			src := vfstest.Open(b, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
			if _, err := tk.Ioctl(src, btrfssim.IOC_SUBVOL_CREATE, &btrfssim.VolArgs{Name: "s"}); err != nil {
				b.Fatal(err)
			}
			vfstest.Must(b, tk.Close(src))
			var open []int
			for i := 0; i < n; i++ {
				p := fmt.Sprintf("/mnt/s/f%d", i)
				fd := vfstest.Open(b, tk, p, vfs.O_CREAT|vfs.O_RDWR, 0o644)
				if _, err := tk.Write(fd, []byte("data")); err != nil {
					b.Fatal(err)
				}
				if i%100 == 0 {
					vfstest.Must(b, tk.Unlink(p))
					open = append(open, fd)
				} else {
					vfstest.Must(b, tk.Close(fd))
				}
			}
			sfd := vfstest.Open(b, tk, "/mnt/s", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
			dir := vfstest.Open(b, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
			i := 0
			b.ResetTimer()
			for b.Loop() {
				i++
				args := &btrfssim.VolArgsV2{Fd: sfd, Name: fmt.Sprintf("snap%d", i)}
				if _, err := tk.Ioctl(dir, btrfssim.IOC_SNAP_CREATE_V2, args); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/inode")
			sb, err := tk.SuperblockOf("/mnt")
			if err != nil {
				b.Fatal(err)
			}
			m := btrfssim.FS(sb)
			if vs := m.Check(); len(vs) != 0 {
				b.Fatalf("checker: %v", vs)
			}
			for _, fd := range append(open, sfd, dir) {
				vfstest.Must(b, tk.Close(fd))
			}
			vfstest.Must(b, tk.Umount("/mnt", 0))
		})
	}
}
