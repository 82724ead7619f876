package fuzztargets

// The fuzz targets, in one file that builds on its own (see the package
// documentation): nothing here may come from another test file.

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
)

// fuzzFS are the filesystems (and mkfs options) the targets draw from.
var fuzzFS = []struct{ fs, mkfs string }{{"tmpfs", ""}, {"ext4", ""}, {"ext4", "orphan_file"}, {"btrfs", ""}}

// soundEras are the eras whose kernels keep every invariant on any op
// sequence (pre2007 has the 2007 race's E10 by design).
var soundEras = []vfs.Era{vfs.SandeenRFC, vfs.ENOENT2007, vfs.Relink2011, vfs.Relink2011Fixed, vfs.Upstream}

// fataler is what the targets ask of a *testing.T: the standard library's
// or, in a libFuzzer build, go-118-fuzz-build's.
type fataler interface {
	Fatalf(format string, args ...any)
}

// finish checks k's invariants, shuts it down and fails on a leak (what
// vfstest.Finish does for a testing.TB).
func finish(t fataler, k *vfs.Kernel) {
	if vs := k.CheckInvariants(); len(vs) > 0 {
		t.Fatalf("at the end: %v", vfs.InvariantError(vs))
	}
	if err := k.Shutdown(); err != nil {
		t.Fatalf("leak check: %v", err)
	}
}

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
		ran()
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
		ran()
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
		finish(t, m.K)
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
		ran()
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
		finish(t, m.K)
	})
}

// Whole op sequences: data is turned into a script by the differential
// test's generator (scriptgen.OpsFrom with a BytesSource: its first bits
// choose the filesystem, the era and whether namespace ops are drawn, the
// rest every op), which runs on a fresh machine with the invariants
// checked after every op and a leak check at the end. Past its end the
// input reads as zeros, so every input makes a whole script, and a
// shorter or zeroed input makes a simpler one.
func FuzzOps(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("ext4 orphan_file, upstream"))
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ran()
		if err := runOps(data); err != nil {
			t.Fatalf("%v", err)
		}
	})
}

// opsOf turns data into a filesystem, an era and a script.
func opsOf(data []byte) (c struct{ fs, mkfs string }, era vfs.Era, ops []script.Op) {
	src := scriptgen.NewBytesSource(data)
	c = fuzzFS[src.IntRange(0, len(fuzzFS)-1, "fs")]
	era = soundEras[src.IntRange(0, len(soundEras)-1, "era")]
	cfg := scriptgen.GenConfig{MinOps: 5, MaxOps: 40, Era: era, FS: c.fs, Mkfs: c.mkfs, Btrfs: c.fs == "btrfs", Namespaces: src.Bool("namespaces")}
	return c, era, scriptgen.OpsFrom(cfg, src)
}

// runOps is FuzzOps' property: the script data makes, run and checked. It
// returns what went wrong, with the script.
func runOps(data []byte) error {
	c, era, ops := opsOf(data)
	if len(ops) == 0 {
		return errors.New("the generator drew no op")
	}
	where := func() string {
		return "relinksim run -fs " + c.fs + " -mkfs '" + c.mkfs + "' -era " + era.String() + " on:\n" + script.Format(ops)
	}
	m, err := script.Boot(script.Config{FS: c.fs, Mkfs: c.mkfs, Options: vfs.Options{Era: era}})
	if err != nil {
		return err
	}
	for _, op := range ops {
		st := m.Step(op)
		if st.Err != nil {
			return errors.New(st.Op + ": " + st.Err.Error() + "\n" + where())
		}
		if vs := m.Check(); len(vs) > 0 {
			return errors.New("after " + st.Op + ": " + vfs.InvariantError(vs).Error() + "\n" + where())
		}
	}
	if err := m.K.Shutdown(); err != nil {
		return errors.New("leak check: " + err.Error() + "\n" + where())
	}
	return nil
}

// The explorer's replay schedules: any bytes, read as task decisions, on
// any library scenario, era and filesystem, replay to a finished run —
// never a panic or a hang — that names only the scenario's tasks, says
// where it failed if it did (FailedAt within its events), and replays
// exactly from the schedule it reports: the same events, results and
// verdict.
func FuzzReplay(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), []byte("AABBBBBBBBBAAAAAAA"))
	f.Add(uint8(1), uint8(1), uint8(1), []byte("BA"))
	f.Add(uint8(2), uint8(2), uint8(2), []byte{})
	names := race.Names()
	fss := []string{"ext4", "btrfs", "tmpfs"}
	f.Fuzz(func(t *testing.T, sc, era, fs uint8, decisions []byte) {
		ran()
		s := race.Library[names[int(sc)%len(names)]]
		cfg := race.Config{Era: vfs.Eras[int(era)%len(vfs.Eras)], FS: fss[int(fs)%len(fss)]}
		schedule := make([]byte, 0, len(decisions))
		for _, d := range decisions {
			schedule = append(schedule, 'A'+d%byte(len(s.Tasks)+1)) // one letter past the tasks: a decision that cannot be followed
		}
		o, err := race.Run(s, cfg, &race.Replay{Schedule: string(schedule)})
		if err != nil {
			// A scenario some filesystem cannot run at all (amir-add-entry
			// injects a fault tmpfs cannot) fails the same whatever the
			// schedule: that is the configuration, not the schedule.
			if _, err0 := race.Run(s, cfg, &race.Replay{}); err0 != nil && err0.Error() == err.Error() {
				t.Skipf("%s on %s: %v", s.Name, cfg.FS, err)
			}
			t.Fatalf("%s %s: %v", s.Name, schedule, err)
		}
		if o.Steps == 0 || len(o.Events) != o.Steps {
			t.Fatalf("%s: %d steps, %d events", s.Name, o.Steps, len(o.Events))
		}
		if o.Failed() && (o.FailedAt < 1 || o.FailedAt > len(o.Events)) {
			t.Fatalf("%s: failed at event %d of %d", s.Name, o.FailedAt, len(o.Events))
		}
		for _, c := range o.Schedule {
			if c < 'A' || int(c-'A') >= len(s.Tasks) {
				t.Fatalf("%s: schedule %s names a task the scenario does not have", s.Name, o.Schedule)
			}
		}
		again, err := race.Run(s, cfg, &race.Replay{Schedule: o.Schedule})
		if err != nil {
			t.Fatal(err)
		}
		if again.Schedule != o.Schedule || !reflect.DeepEqual(again.Events, o.Events) || again.Failure != o.Failure || again.FailedAt != o.FailedAt {
			t.Fatalf("%s: schedule %s does not replay: %s, failure %q at %d, then %q at %d", s.Name, o.Schedule, again.Schedule, o.Failure, o.FailedAt, again.Failure, again.FailedAt)
		}
		for i := range o.Results {
			for j := range o.Results[i] {
				if a, b := o.Results[i][j].Describe(), again.Results[i][j].Describe(); a != b {
					t.Fatalf("%s: task %c's op %d gave %s, then %s", s.Name, 'A'+i, j, a, b)
				}
			}
		}
	})
}

// ran records that a target's body was entered, for .ci/libfuzzer, which
// cannot tell otherwise whether a libFuzzer binary ever got past decoding
// its arguments: when RELINKSIM_FUZZ_RAN names a file, it is created.
func ran() {
	if p := os.Getenv("RELINKSIM_FUZZ_RAN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			os.WriteFile(p, nil, 0o644)
		}
	}
}
