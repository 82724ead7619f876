package ckpt_test

import (
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/ckpt"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/vfs"
)

// BenchmarkCheckpointRestart10kUnlinked checkpoints and restarts a task
// holding 10,000 open, unlinked files of 1 GiB each (sparse) on ext4 with
// the port (relink-upstream): the cover letter's claim is that relinking
// moves no data whatever the sizes. Reported: ns per file for the
// checkpoint and for the restart, and the data bytes each moved.
func BenchmarkCheckpointRestart10kUnlinked(b *testing.B) {
	const files = 10000
	var ckptNs, restartNs int64
	var moved uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		k := vfs.NewKernel(vfs.Options{})
		fi, err := vfs.LookupFS("ext4")
		if err != nil {
			b.Fatal(err)
		}
		src, err := fi.Setup(k, "")
		if err != nil {
			b.Fatal(err)
		}
		init := k.Init()
		must(b, init.Mkdir("/mnt", 0o755))
		must(b, init.Mount(src, "/mnt", "ext4", 0, ""))
		must(b, init.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 2 * files, Max: 2 * files}))
		daemon := ckpt.Daemon(k)
		task := init.Fork()
		for j := 0; j < files; j++ {
			name := fmt.Sprintf("/mnt/f%d", j)
			fd, err := task.Open(name, vfs.O_CREAT|vfs.O_RDWR, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			must(b, task.Ftruncate(fd, 1<<30))
			must(b, task.Unlink(name))
		}
		b.StartTimer()
		t0 := b.Elapsed()
		img, sum, err := ckpt.Checkpoint(daemon, []ckpt.Target{{Name: "T", Task: task}}, ckpt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := b.Elapsed()
		moved += sum.DataBytes
		if sum.Relinked != files {
			b.Fatalf("relinked %d files, want %d", sum.Relinked, files)
		}
		b.StopTimer()
		task.Exit()
		b.StartTimer()
		t2 := b.Elapsed()
		restored, rsum, err := ckpt.Restart(daemon, img, ckpt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t3 := b.Elapsed()
		moved += rsum.DataBytes
		ckptNs += int64(t1 - t0)
		restartNs += int64(t3 - t2)
		b.StopTimer()
		restored[0].Task.Exit()
		if err := k.Shutdown(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	if moved != 0 {
		// C4: relinking moves no file data, whatever the files' sizes.
		b.Fatalf("C4: %d data bytes moved for %d files of 1 GiB, want 0", moved, b.N*files)
	}
	b.ReportMetric(float64(ckptNs)/float64(b.N*files), "ckpt-ns/file")
	b.ReportMetric(float64(restartNs)/float64(b.N*files), "restart-ns/file")
	b.ReportMetric(float64(moved)/float64(b.N), "data-bytes/op")
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
