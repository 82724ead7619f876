package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
)

// refs holds the references' ns/op measured earlier in this run, by
// workload and backend (afero, kernel-tmpfs).
var refs = map[string]float64{}

// workload runs one workload on every backend. op runs it once on fs;
// setup prepares fs first (untimed). aferoOp, when set, is what runs on
// afero instead of op, as the x-afero reference (afero has no link(2)).
func workload(b *testing.B, name string, aferoOp func(fs fsys) error, setup func(b *testing.B, fs fsys), op func(fs fsys) error, perOp float64, unit string) {
	for _, be := range backends {
		op := op
		if be.name == "afero" && aferoOp != nil {
			op = aferoOp
		}
		b.Run(be.name, func(b *testing.B) {
			fs := be.make(b)
			defer func() {
				if err := fs.Finish(); err != nil {
					b.Errorf("%s: %v", be.name, err)
				}
			}()
			if setup != nil {
				setup(b, fs)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := op(fs); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if perOp > 1 {
				b.ReportMetric(ns/perOp, "ns/"+unit)
				b.ReportMetric(perOp, unit+"s")
			}
			switch be.name {
			case "afero", "kernel-tmpfs":
				refs[name+"/"+be.name] = ns
			}
			if be.name != "afero" {
				if r := refs[name+"/afero"]; r > 0 {
					b.ReportMetric(ns/r, "x-afero")
				}
			}
			if strings.HasPrefix(be.name, "sim-") {
				if r := refs[name+"/kernel-tmpfs"]; r > 0 {
					b.ReportMetric(ns/r, "x-kernel")
				}
			}
		})
	}
}

// BenchmarkSeedCycle: the seed's five calls. afero has no link(2): its
// reference is CreateStatRename's five calls on afero.
func BenchmarkSeedCycle(b *testing.B) {
	var a, c string
	setup := func(b *testing.B, fs fsys) { a, c = join(fs.Dir(), "a"), join(fs.Dir(), "b") }
	workload(b, "SeedCycle", func(fs fsys) error { return createStatRename(fs, a, c) }, setup, func(fs fsys) error {
		fd, err := fs.Open(a)
		if err != nil {
			return err
		}
		if err := fs.Link(a, c); err != nil {
			return err
		}
		if err := fs.Unlink(a); err != nil {
			return err
		}
		if err := fs.Close(fd); err != nil {
			return err
		}
		return fs.Unlink(c)
	}, 1, "")
}

// BenchmarkCreateStatRename: create, close, stat, rename, unlink.
func BenchmarkCreateStatRename(b *testing.B) {
	var a, c string
	setup := func(b *testing.B, fs fsys) { a, c = join(fs.Dir(), "a"), join(fs.Dir(), "b") }
	workload(b, "CreateStatRename", nil, setup, func(fs fsys) error { return createStatRename(fs, a, c) }, 1, "")
}

// createStatRename is open(creat) a, close, stat a, rename a b, unlink b.
func createStatRename(fs fsys, a, c string) error {
	fd, err := fs.Open(a)
	if err != nil {
		return err
	}
	if err := fs.Close(fd); err != nil {
		return err
	}
	if err := fs.Stat(a); err != nil {
		return err
	}
	if err := fs.Rename(a, c); err != nil {
		return err
	}
	return fs.Unlink(c)
}

// BenchmarkStatDeep: stat of a file 10 directories deep, every component
// cached.
func BenchmarkStatDeep(b *testing.B) {
	var file string
	setup := func(b *testing.B, fs fsys) {
		dir := fs.Dir()
		for i := range 10 {
			dir = join(dir, "d"+strconv.Itoa(i))
			if err := fs.Mkdir(dir); err != nil {
				b.Fatal(err)
			}
		}
		file = join(dir, "f")
		fd, err := fs.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		if err := fs.Close(fd); err != nil {
			b.Fatal(err)
		}
	}
	workload(b, "StatDeep", nil, setup, func(fs fsys) error { return fs.Stat(file) }, 1, "")
}

// BenchmarkOrphanChurn: 10,000 files opened and unlinked (10,000 orphans),
// then closed in a shuffled order.
func BenchmarkOrphanChurn(b *testing.B) {
	const n = 10_000
	var names []string
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	fds := make([]int, n)
	setup := func(b *testing.B, fs fsys) {
		names = make([]string, n)
		for i := range names {
			names[i] = join(fs.Dir(), "o"+strconv.Itoa(i))
		}
	}
	workload(b, "OrphanChurn", nil, setup, func(fs fsys) error {
		for i, p := range names {
			fd, err := fs.Open(p)
			if err != nil {
				return err
			}
			fds[i] = fd
			if err := fs.Unlink(p); err != nil {
				return err
			}
		}
		for _, i := range order {
			if err := fs.Close(fds[i]); err != nil {
				return err
			}
		}
		return nil
	}, n, "file")
}

// bigDir is BigDir's size: RELINKSIM_BENCH_BIGDIR, default 100,000.
func bigDir() int {
	if n, err := strconv.Atoi(os.Getenv("RELINKSIM_BENCH_BIGDIR")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkBigDir: a directory of bigDir() files created, each looked up,
// listed, and emptied.
func BenchmarkBigDir(b *testing.B) {
	n := bigDir()
	var dir string
	var names []string
	setup := func(b *testing.B, fs fsys) {
		if n > 150_000 && strings.HasPrefix(b.Name(), "BenchmarkBigDir/kernel-ext4") {
			b.Skipf("the harness's ext4 image holds 150,000 inodes, not %d", n)
		}
		dir = join(fs.Dir(), "big")
		if err := fs.Mkdir(dir); err != nil {
			b.Fatal(err)
		}
		names = make([]string, n)
		for i := range names {
			names[i] = join(dir, fmt.Sprintf("entry-%07d", i))
		}
	}
	workload(b, "BigDir", nil, setup, func(fs fsys) error {
		for _, p := range names {
			fd, err := fs.Open(p)
			if err != nil {
				return err
			}
			if err := fs.Close(fd); err != nil {
				return err
			}
		}
		for _, p := range names {
			if err := fs.Stat(p); err != nil {
				return err
			}
		}
		if got, err := fs.List(dir); err != nil || got < n {
			return fmt.Errorf("listing %s: %d entries, %v", dir, got, err)
		}
		for _, p := range names {
			if err := fs.Unlink(p); err != nil {
				return err
			}
		}
		return nil
	}, float64(n), "file")
}

// BenchmarkRandomScript: a generated script of 40 ops (the differential
// test's generator, from fixed bytes) on a fresh simulated machine; the
// kernel and afero have no op-language runner here.
func BenchmarkRandomScript(b *testing.B) {
	data := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, fs := range []string{"tmpfs", "ext4", "btrfs"} {
		b.Run("sim-"+fs, func(b *testing.B) {
			cfg := scriptgen.GenConfig{MinOps: 40, MaxOps: 40, FS: fs, Btrfs: fs == "btrfs"}
			ops := scriptgen.OpsFrom(cfg, scriptgen.NewBytesSource(data))
			b.ReportAllocs()
			for b.Loop() {
				m, err := script.Boot(script.Config{FS: fs})
				if err != nil {
					b.Fatal(err)
				}
				for _, op := range ops {
					if st := m.Step(op); st.Err != nil {
						b.Fatalf("%s: %v", st.Op, st.Err)
					}
				}
				if err := m.K.Shutdown(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(ops))/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkMemoryPerFile: the Go heap a cached file costs — its inode, its
// dentry and its directory entry — measured as the live heap after
// creating memFiles() files in one directory, less the live heap before,
// over the files (after a garbage collection each time). The real
// kernel's memory is not Go's heap: its backends are skipped.
func BenchmarkMemoryPerFile(b *testing.B) {
	n := memFiles()
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			if strings.HasPrefix(be.name, "kernel-") {
				b.Skip("the kernel's memory is not in Go's heap")
			}
			var perFile float64
			for b.Loop() {
				perFile = heapPerFile(b, be.make, n)
			}
			b.ReportMetric(perFile, "heap-B/file")
			b.ReportMetric(float64(n), "files")
		})
	}
}

// memFiles is BenchmarkMemoryPerFile's count: RELINKSIM_BENCH_MEMFILES,
// default 100,000.
func memFiles() int {
	if n, err := strconv.Atoi(os.Getenv("RELINKSIM_BENCH_MEMFILES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// heapPerFile makes a backend, creates n files in one directory of it, and
// returns the live heap they added, per file.
func heapPerFile(b *testing.B, mk func(testing.TB) fsys, n int) float64 {
	b.StopTimer()
	fs := mk(b)
	dir := join(fs.Dir(), "mem")
	if err := fs.Mkdir(dir); err != nil {
		b.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = join(dir, fmt.Sprintf("entry-%07d", i))
	}
	before := liveHeap()
	b.StartTimer()
	for _, p := range names {
		fd, err := fs.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := fs.Close(fd); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := liveHeap()
	if got, err := fs.List(dir); err != nil || got < n {
		b.Fatalf("listing %s: %d entries, %v", dir, got, err)
	}
	for _, p := range names {
		if err := fs.Unlink(p); err != nil {
			b.Fatal(err)
		}
	}
	if err := fs.Finish(); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return float64(after-before) / float64(n)
}

// liveHeap is the live heap after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
