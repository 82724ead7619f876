package ckpt_test

import (
	"fmt"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/ckpt"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// hpcJob is an HPC-shaped job: tasks × files open-unlinked files of size
// bytes each, each holding 4 KiB of data at its start and 4 KiB at its
// end (scratch files a solver unlinks right after creating them), every
// task in a directory of its own.
type hpcJob struct {
	tasks, files int
	size         int64
}

func (j hpcJob) build(b *testing.B, fs string) (*script.Machine, []ckpt.Target) {
	b.Helper()
	m, err := script.Boot(script.Config{FS: fs, Options: vfs.Options{Era: vfs.Upstream}})
	if err != nil {
		b.Fatal(err)
	}
	edge := make([]byte, 4096)
	for i := range edge {
		edge[i] = byte(i)
	}
	var targets []ckpt.Target
	for t := 0; t < j.tasks; t++ {
		task := m.Init().Fork()
		dir := fmt.Sprintf("/mnt/rank%d", t)
		must(b, task.Mkdir(dir, 0o755))
		for f := 0; f < j.files; f++ {
			name := fmt.Sprintf("%s/scratch%d", dir, f)
			fd, err := task.Open(name, vfs.O_CREAT|vfs.O_RDWR, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := task.Pwrite(fd, edge, 0); err != nil {
				b.Fatal(err)
			}
			if _, err := task.Pwrite(fd, edge, j.size-int64(len(edge))); err != nil {
				b.Fatal(err)
			}
			must(b, task.Unlink(name))
		}
		targets = append(targets, ckpt.Target{Name: fmt.Sprintf("rank%d", t), Task: task})
	}
	return m, targets
}

// BenchmarkHPCJob checkpoints an HPC-shaped job — 1,000 tasks × 10
// open-unlinked files of 1 GiB (sparse: 8 KiB of data each) on btrfs —
// backs the filesystem up (a copy, restored on a new machine), and
// restarts it there, under each strategy that can: relink-upstream moves
// no data at checkpoint or restart, criu's ghosts carry each file's 8 KiB
// of data (sparse data stays sparse in the image), and the naive copy,
// run here on 1 MiB files since 10 TiB would not fit, carries every
// byte. Reported per file: ns of checkpoint + backup + restart, and the
// data bytes of each stage.
func BenchmarkHPCJob(b *testing.B) {
	for _, c := range []struct {
		name     string
		strategy string
		job      hpcJob
	}{
		{"relink-upstream", ckpt.StrategyRelinkUpstream, hpcJob{1000, 10, 1 << 30}},
		{"criu", ckpt.StrategyCRIU, hpcJob{1000, 10, 1 << 30}},
		{"copy-1MiB-files", ckpt.StrategyCopy, hpcJob{10, 10, 1 << 20}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var ns int64
			var ckptBytes, imageBytes, transit, restartBytes uint64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				m, targets := c.job.build(b, "btrfs")
				b.StartTimer()
				t0 := b.Elapsed()
				img, sum, err := ckpt.Checkpoint(ckpt.Daemon(m.K), targets, ckpt.Options{Strategy: c.strategy})
				if err != nil {
					b.Fatal(err)
				}
				for _, tg := range targets {
					tg.Task.Exit()
				}
				bk, err := ckpt.TakeBackup(ckpt.Daemon(m.K), "/mnt", ckpt.BackupCopy, "B")
				if err != nil {
					b.Fatal(err)
				}
				written, err := ckpt.Migrate(m, bk)
				if err != nil {
					b.Fatal(err)
				}
				restored, rsum, err := ckpt.Restart(ckpt.Daemon(m.K), img, ckpt.Options{})
				if err != nil {
					b.Fatal(err)
				}
				ns += int64(b.Elapsed() - t0)
				b.StopTimer()
				if len(restored) != c.job.tasks {
					b.Fatalf("%d tasks restored, want %d", len(restored), c.job.tasks)
				}
				ckptBytes += sum.DataBytes
				imageBytes += sum.ImageDataBytes
				transit += bk.DataBytes + written
				restartBytes += rsum.DataBytes
				for _, r := range restored {
					r.Task.Exit()
				}
				if v := m.Check(); len(v) > 0 {
					b.Fatal(v)
				}
				if err := m.K.Shutdown(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			files := float64(b.N * c.job.tasks * c.job.files)
			perFile := func(n uint64) float64 { return float64(n) / files }
			switch c.strategy {
			case ckpt.StrategyRelinkUpstream:
				if ckptBytes+restartBytes+imageBytes != 0 {
					b.Fatalf("relinking moved data: checkpoint %d, image %d, restart %d", ckptBytes, imageBytes, restartBytes)
				}
			case ckpt.StrategyCRIU:
				// Sparse data stays sparse: each ghost carries its 8 KiB.
				if want := uint64(files) * 8192; imageBytes != want || ckptBytes != want || restartBytes != want {
					b.Fatalf("ghosts: checkpoint %d, image %d, restart %d bytes, want %d each", ckptBytes, imageBytes, restartBytes, want)
				}
			case ckpt.StrategyCopy:
				if want := uint64(files) * uint64(c.job.size); imageBytes != want {
					b.Fatalf("copy: image %d bytes, want %d", imageBytes, want)
				}
			}
			b.ReportMetric(float64(ns)/files, "ns/file")
			b.ReportMetric(perFile(ckptBytes), "ckpt-bytes/file")
			b.ReportMetric(perFile(imageBytes), "image-bytes/file")
			b.ReportMetric(perFile(transit), "transit-bytes/file")
			b.ReportMetric(perFile(restartBytes), "restart-bytes/file")
		})
	}
}
