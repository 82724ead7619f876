package script_test

// Native fuzz targets (go test -fuzz) for every input a user or a file
// gives the op language: scripts, mount options, paths and whole op
// sequences. CI runs each for 60 s (.ci/run); .clusterfuzzlite/build.sh
// builds the same targets for a fuzzing service. Each target's seeds are
// in testdata/fuzz/FuzzXxx, where a crasher the fuzzer finds is written
// too: it then runs as a regression with every go test.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"strings"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
	"pgregory.net/rapid"
)

// The parser: any input parses or fails with a *ParseError whose line
// and column exist in the input; every op parsed prints as a line that
// parses back to the same op.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"open a creat,rdwr -> A\nwrite A \"x y\\n\"\nlink a b\nunlink a\n",
		"# comment\n\n  mkdir d\r\nrename-exchange d e\n",
		"checkpoint relink caps=fowner -> I\nrestart I fail=2\n",
		"fault add_entry 1\ndraw a title\n",
		"open \xff\xfe creat -> A\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		ops, err := script.ParseFile("f", src)
		if err != nil {
			var pe *script.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a ParseError: %v", err)
			}
			lines := strings.Split(src, "\n")
			if pe.File != "f" || pe.Line < 1 || pe.Line > len(lines) {
				t.Fatalf("%v: no line %d in a %d-line input", err, pe.Line, len(lines))
			}
			if pe.Col < 1 || pe.Col > len(lines[pe.Line-1])+1 {
				t.Fatalf("%v: no column %d in line %q", err, pe.Col, lines[pe.Line-1])
			}
			if len(err.Error()) > 1000 {
				t.Fatalf("a %d-byte error", len(err.Error()))
			}
			return
		}
		for _, op := range ops {
			text := op.String()
			back, err := script.ParseOp(text)
			if err != nil {
				t.Fatalf("line %d %q prints as %q, which does not parse: %v", op.Line, op.Src, text, err)
			}
			back.Line, back.Src = op.Line, op.Src
			if !reflect.DeepEqual(back, op) {
				t.Fatalf("%q prints as %q, which parses to another op:\n%#v\n%#v", op.Src, text, op, back)
			}
		}
	})
}

// filesystems the fuzz targets boot, by a byte of the input.
var fuzzFS = []struct{ fs, mkfs string }{{"tmpfs", ""}, {"ext4", ""}, {"ext4", "orphan_file"}, {"btrfs", ""}}

// The mount options of every filesystem, in every era (relink= in the
// relink eras): the mount fails with an errno or succeeds; a filesystem
// that mounted survives O_TMPFILE, an unlinked open file, a sync, a
// remount and the invariants, and leaks nothing (sim_cpu=709490156681136602
// mounted and made the next O_TMPFILE panic).
func FuzzMountOptions(f *testing.F) {
	for _, s := range []string{"", "sim_cpu=3", "sim_cpu=709490156681136602", "sim_commit=handle", "relink=.relink", "relink=a/b,relink=c", "ro", "mode=0700", "size=1k,nr_inodes=2", "subvol=/x"} {
		for fs := range fuzzFS {
			f.Add(uint8(fs), uint8(2), s)
		}
	}
	f.Fuzz(func(t *testing.T, fs, era uint8, data string) {
		c := fuzzFS[int(fs)%len(fuzzFS)]
		e := vfs.Eras[int(era)%len(vfs.Eras)]
		m, err := script.Boot(script.Config{FS: c.fs, Mkfs: c.mkfs, MountOptions: data, Options: vfs.Options{Era: e}})
		if err != nil {
			var errno vfs.Errno
			if !errors.As(err, &errno) {
				t.Fatalf("mount -o %q: not an errno: %v", data, err)
			}
			return
		}
		ops, err := script.Parse("mkdir d\nopen d tmpfile,rdwr -> T\nopen f creat,rdwr -> F\nwrite F x\nunlink f\nsync\nremount\ncheck\n")
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			if st := m.Step(op); st.Err != nil {
				if op.Name == "remount" {
					continue // a mount the options made read-only, say
				}
				t.Fatalf("mount -o %q: %s: %v", data, st.Op, st.Err)
			}
			if vs := m.Check(); len(vs) > 0 {
				t.Fatalf("mount -o %q, after %s: %v", data, op, vfs.InvariantError(vs))
			}
		}
		vfstest.Finish(t, m.K)
	})
}

// Arbitrary bytes as a path, through every path-taking system call of the
// op language's Sys, on every filesystem: each answers or fails with an
// errno, and the invariants hold after each; nothing leaks.
func FuzzPathWalk(f *testing.F) {
	for _, s := range []string{"a", "d/", "d/../d/./x", "/mnt/d", "//x", "a\x00b", strings.Repeat("n", 256), strings.Repeat("d/", 2100), "/proc/self/fd/3", "/proc/self/cwd/x", "l/x", "."} {
		f.Add(uint8(1), s)
	}
	f.Fuzz(func(t *testing.T, fs uint8, path string) {
		c := fuzzFS[int(fs)%len(fuzzFS)]
		m, err := script.Boot(script.Config{FS: c.fs, Mkfs: c.mkfs})
		if err != nil {
			t.Fatal(err)
		}
		setup, err := script.Parse("mkdir d\nopen d/f creat,rdwr -> F\nsymlink d l\nsymlink loop loop\n")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range m.Run(setup) {
			if st.Err != nil || st.Errno != "" {
				t.Fatalf("setup: %s", st.Describe())
			}
		}
		tk := m.Init()
		check := func(what string, err error) {
			t.Helper()
			var errno vfs.Errno
			if err != nil && !errors.As(err, &errno) {
				t.Fatalf("%s %q: not an errno: %v", what, path, err)
			}
			if vs := m.Check(); len(vs) > 0 {
				t.Fatalf("%s %q: %v", what, path, vfs.InvariantError(vs))
			}
		}
		for _, call := range []struct {
			name string
			do   func() error
		}{
			{"open", func() error {
				fd, err := tk.Open(path, vfs.O_RDWR|vfs.O_CREAT, 0o644)
				if err == nil {
					tk.Close(fd)
				}
				return err
			}},
			{"stat", func() error { _, err := tk.Stat(path); return err }},
			{"lstat", func() error { _, err := tk.Lstat(path); return err }},
			{"readlink", func() error { _, err := tk.Readlink(path); return err }},
			{"mkdir", func() error { return tk.Mkdir(path, 0o755) }},
			{"link", func() error { return tk.Link("d/f", path) }},
			{"symlink", func() error { return tk.Symlink(path, "s") }},
			{"rename", func() error { return tk.Rename(path, "r") }},
			{"unlink", func() error { return tk.Unlink(path) }},
			{"rmdir", func() error { return tk.Rmdir(path) }},
			{"chdir", func() error { return tk.Chdir(path) }},
			{"chmod", func() error { return tk.Chmod(path, 0o600) }},
			{"truncate", func() error { return tk.Truncate(path, 5) }},
		} {
			check(call.name, call.do())
		}
		vfstest.Finish(t, m.K)
	})
}

// Whole op sequences, drawn by the differential campaign's generator from
// the fuzzer's bytes (rapid.MakeFuzz), on every filesystem and every era
// but the one whose bug breaks an invariant by design (soundEras): no op
// breaks an invariant, and nothing leaks at the end.
func FuzzOps(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("ext4 orphan_file, upstream"))
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(fuzzOps)
}

// soundEras are the eras whose single-task sequences keep every invariant:
// all but pre2007, whose missing nlink check lets a link put a name back
// on an inode on ext4's orphan list (E10: the 2007 bug the era models, and
// the race explorer's subject).
var soundEras = []vfs.Era{vfs.SandeenRFC, vfs.ENOENT2007, vfs.Relink2011, vfs.Relink2011Fixed, vfs.Upstream}

// fuzzOpsRuns counts the runs of fuzzOps' property that got to the end:
// TestFuzzOpsSeedsRun checks that the seeds do.
var fuzzOpsRuns int

// fuzzOps runs the property on data. rapid takes 8 bytes a draw and skips
// a run whose bytes run out, and a script takes hundreds of draws, so data
// is followed by a stream derived from it (SplitMix64 seeded by its FNV
// hash): every input draws a whole script, the fuzzer's mutations steer
// its first draws, and a crasher replays from its bytes alone.
func fuzzOps(t *testing.T, data []byte) {
	rapid.MakeFuzz(opsProperty)(t, expand(data, 64<<10))
}

func expand(data []byte, n int) []byte {
	out := make([]byte, 0, max(n, len(data)))
	out = append(out, data...)
	h := fnv.New64a()
	h.Write(data)
	x := h.Sum64()
	for len(out) < n {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		out = binary.LittleEndian.AppendUint64(out, z)
	}
	return out
}

func opsProperty(t *rapid.T) {
	c := rapid.SampledFrom(fuzzFS).Draw(t, "fs")
	era := rapid.SampledFrom(soundEras).Draw(t, "era")
	cfg := scriptgen.GenConfig{MinOps: 5, MaxOps: 40, Era: era, FS: c.fs, Mkfs: c.mkfs, Btrfs: c.fs == "btrfs", Namespaces: rapid.Bool().Draw(t, "namespaces")}
	ops := scriptgen.Ops(cfg).Draw(t, "ops")
	if len(ops) == 0 {
		t.Fatal("the generator drew no op")
	}
	m, err := script.Boot(script.Config{FS: c.fs, Mkfs: c.mkfs, Options: vfs.Options{Era: era}})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		st := m.Step(op)
		if st.Err != nil {
			t.Fatalf("%s: %v", st.Op, st.Err)
		}
		if vs := m.Check(); len(vs) > 0 {
			t.Fatalf("after %s: %v", st.Op, vfs.InvariantError(vs))
		}
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatalf("leak check: %v", err)
	}
	fuzzOpsRuns++
}

// The fuzz target's seeds draw whole scripts and run them to the end: a
// target whose inputs all ran out of bytes would skip every run and prove
// nothing.
func TestFuzzOpsSeedsRun(t *testing.T) {
	seeds := [][]byte{{}, []byte("ext4 orphan_file, upstream"), {3}}
	before := fuzzOpsRuns
	for i, data := range seeds {
		t.Run(fmt.Sprint(i), func(t *testing.T) { fuzzOps(t, data) })
	}
	if n := fuzzOpsRuns - before; n != len(seeds) {
		t.Fatalf("%d of %d seeds ran a whole script", n, len(seeds))
	}
}
