package vfstest

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
)

// FSConfig describes a filesystem for TestFilesystem.
type FSConfig struct {
	// Type is the filesystem type's name as mount(2) takes it; a type
	// registered with vfs.RegisterFS needs nothing more.
	Type string
	// Mkfs are mkfs options for the registered type's Setup
	// ("orphan_file,blocksize=4096").
	Mkfs string
	// Setup, for a type not in the registry (or to make it another way),
	// registers the type on a new kernel, adds its block device if it needs
	// one, and returns the mount source. It replaces Mkfs.
	Setup func(k *vfs.Kernel) (source string, err error)
}

// machine boots a kernel of era with a fresh filesystem as cfg says.
func (cfg FSConfig) machine(era vfs.Era) (*script.Machine, error) {
	return script.Boot(script.Config{Options: vfs.Options{Era: era}, FS: cfg.Type, Mkfs: cfg.Mkfs, Setup: cfg.Setup})
}

// TestFilesystem checks that a filesystem implementation behaves as the VFS
// contract and Linux require, whatever its on-disk design. It runs every
// case under testdata/conformance (embedded in the package, so it works
// from any package's test directory) as a subtest named after its file:
// the life of an open-but-unlinked inode, O_TMPFILE's one-shot I_LINKABLE,
// rename over an open file, removal of an open directory, the era rules the
// VFS enforces for it, robustness against misuse of descriptors. Each op's
// printed result must match the file, and the kernel's invariants must hold
// after every op. Then the cross-check subtest checks, after every step of
// generated op sequences, that fstat on a descriptor, stat on each name and
// the directory listing agree, and that the invariants hold.
//
// Like testing/fstest.TestFS it reports every misbehaviour it finds rather
// than stopping at the first: every op of a case runs and each wrong result
// is reported at its file and line; an assertion failure inside the
// filesystem is reported and the other cases still run. A case whose
// feature the filesystem lacks (requires tmpfile) is skipped with the
// reason. The cross-check runs rapid's number of generated sequences
// (-rapid.checks or RAPID_CHECKS, default 100). Call it in one line:
//
//	func TestConformance(t *testing.T) { vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "tmpfs"}) }
//
// The package documentation describes the file format.
func TestFilesystem(t *testing.T, cfg FSConfig) {
	if cfg.Setup == nil {
		t.Run("fsinfo", func(t *testing.T) { CheckFSInfo(t, cfg.Type) })
	}
	ents, err := conformanceFiles.ReadDir(conformanceDir)
	if err != nil {
		t.Fatalf("the embedded conformance cases: %v", err)
	}
	for _, e := range ents {
		src, err := conformanceFiles.ReadFile(conformanceDir + "/" + e.Name())
		if err != nil {
			t.Fatalf("the embedded conformance cases: %v", err)
		}
		t.Run(e.Name(), func(t *testing.T) {
			runConformanceFile(t, cfg, "vfs/vfstest/"+conformanceDir+"/"+e.Name(), string(src), false)
		})
	}
	t.Run("cross-check", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			m, err := cfg.machine(vfs.Upstream)
			if err != nil {
				rt.Fatalf("mount %s: %v", cfg.Type, err)
			}
			// The generator tracks state on a shadow of the filesystem under
			// test, so its ops fit that filesystem (its inode numbers, its
			// rules).
			ops := scriptgen.Ops(scriptgen.GenConfig{MinOps: 10, MaxOps: 40, FS: cfg.Type, Mkfs: cfg.Mkfs, Setup: cfg.Setup}).Draw(rt, "ops")
			for _, op := range ops {
				if st := m.Step(op); st.Err != nil {
					rt.Fatalf("%s: the op cannot run: %v", op.String(), st.Err)
				}
				for _, p := range crossCheck(m) {
					rt.Errorf("after %q: %s", op.String(), p)
				}
				if vs := m.K.CheckInvariants(); len(vs) > 0 {
					rt.Fatalf("after %q: %v", op.String(), vfs.InvariantError(vs))
				}
			}
			if err := m.K.Shutdown(); err != nil {
				rt.Fatalf("leak check: %v", err)
			}
		})
	})
}

// ConformanceCases returns the names of the conformance cases
// TestFilesystem runs, in the order it runs them (each is a subtest of
// that name: go test -run 'TestX/NAME' runs one).
func ConformanceCases() []string {
	ents, err := conformanceFiles.ReadDir(conformanceDir)
	vfs.Assert(err == nil, "the embedded conformance cases: %v", err)
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// conformanceFiles holds the conformance cases, one per file.
//
//go:embed testdata/conformance
var conformanceFiles embed.FS

const conformanceDir = "testdata/conformance"

// runConformanceFile runs one case file on a filesystem of type cfg. name is
// the file's path as failures name it and src its contents. With fromDisk,
// datadriven reads name itself, so -rewrite rewrites it; otherwise src is
// run and every run block's output is compared here, whatever the flags
// (an embedded file cannot be rewritten).
func runConformanceFile(t *testing.T, cfg FSConfig, name, src string, fromDisk bool) {
	f := &conformanceFile{cfg: cfg, name: name, lines: strings.Split(src, "\n"), compareAlways: !fromDisk}
	defer f.finish(t)
	if fromDisk {
		datadriven.RunTest(t, name, f.handle)
	} else {
		datadriven.RunTestFromString(t, src, f.handle)
	}
}

// conformanceFile is the state of one case file as it runs.
type conformanceFile struct {
	cfg   FSConfig
	name  string   // the file, as failures name it
	lines []string // its lines, to place each op
	// compareAlways: compare run output here even under -rewrite.
	compareAlways bool

	era vfs.Era
	m   *script.Machine
	// broken: an assertion failure left the kernel unfit for a leak check.
	broken bool
}

// finish runs the leak check on the case's kernel, even after a mismatch.
func (f *conformanceFile) finish(t *testing.T) {
	if f.m != nil && !f.broken {
		Finish(t, f.m.K)
	}
}

// handle runs one datadriven command.
func (f *conformanceFile) handle(t *testing.T, td *datadriven.TestData) string {
	pos := f.pos(td)
	switch td.Cmd {
	case "kernel":
		if f.m != nil {
			t.Fatalf("%s: a case boots one kernel", pos)
		}
		for _, a := range td.CmdArgs {
			if a.Key != "era" || len(a.Vals) != 1 {
				t.Fatalf("%s: kernel takes only era=ERA, not %s", pos, a)
			}
			era, err := vfs.ParseEra(a.Vals[0])
			if err != nil {
				t.Fatalf("%s: %v", pos, err)
			}
			f.era = era
		}
		m, err := f.cfg.machine(f.era)
		if err != nil {
			t.Fatalf("%s: mount %s: %v", pos, f.cfg.Type, err)
		}
		f.m = m
		return ""
	case "requires":
		f.needKernel(t, pos)
		if len(td.CmdArgs) != 1 || td.CmdArgs[0].Key != "tmpfile" || len(td.CmdArgs[0].Vals) != 0 {
			t.Fatalf("%s: requires takes one feature: tmpfile", pos)
		}
		if why := f.probeTmpfile(t, pos); why != "" {
			t.Skip(why) // the rest of the file does not run
		}
		return ""
	case "run":
		f.needKernel(t, pos)
		if len(td.CmdArgs) != 0 {
			t.Fatalf("%s: run takes no arguments", pos)
		}
		return f.run(t, td)
	}
	t.Fatalf("%s: unknown command %q (want kernel, requires or run)", pos, td.Cmd)
	return ""
}

func (f *conformanceFile) needKernel(t *testing.T, pos string) {
	if f.m == nil {
		t.Fatalf("%s: no kernel yet: a case begins with the kernel command", pos)
	}
}

// probeTmpfile opens an O_TMPFILE on a fresh mount of the filesystem (the
// case's own kernel is left untouched) and returns why the case must be
// skipped, or "" when the filesystem supports it.
func (f *conformanceFile) probeTmpfile(t *testing.T, pos string) string {
	m, err := f.cfg.machine(f.era)
	if err != nil {
		t.Fatalf("%s: mount %s for the O_TMPFILE probe: %v", pos, f.cfg.Type, err)
	}
	defer Finish(t, m.K)
	op, err := script.ParseOp("open . rdwr,tmpfile -> P")
	if err != nil {
		t.Fatalf("%s: %v", pos, err)
	}
	switch st := m.Step(op); st.Errno {
	case "":
		return ""
	case "EOPNOTSUPP":
		return fmt.Sprintf("%s: requires tmpfile, but %s has no O_TMPFILE (open gives EOPNOTSUPP)", pos, f.cfg.Type)
	default:
		t.Fatalf("%s: requires tmpfile: the probe %s", pos, st.Describe())
		return ""
	}
}

// pos returns the file:line of a command, naming the file even when
// datadriven runs it from a string.
func (f *conformanceFile) pos(td *datadriven.TestData) string {
	return fmt.Sprintf("%s:%d", f.name, lineOf(td))
}

func lineOf(td *datadriven.TestData) int {
	n, _ := strconv.Atoi(td.Pos[strings.LastIndex(td.Pos, ":")+1:])
	return n
}

// caseOp is one op of a run block.
type caseOp struct {
	line int    // in the file
	text string // as written
	op   script.Op
}

// run runs a run block's ops, checking the invariants after each, and
// prints one line per op. It compares that output with the file's line by
// line, so every wrong result is reported at its op's line, and the ops
// after it still run.
func (f *conformanceFile) run(t *testing.T, td *datadriven.TestData) string {
	var ops []caseOp
	first := f.firstInputLine(lineOf(td))
	for i, l := range strings.Split(td.Input, "\n") {
		line := first + i
		text := strings.TrimSpace(l)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		op, err := script.ParseOp(text)
		if err != nil {
			// ParseOp knows no line; its error gives the column.
			t.Errorf("%s:%d: %s: %s", f.name, line, text, strings.TrimPrefix(err.Error(), "line 0, "))
			continue
		}
		if name := strings.Fields(text)[0]; !portableOps[name] {
			t.Errorf("%s:%d: %s: %q prints results that differ between filesystems; a conformance case may use only %s",
				f.name, line, text, name, strings.Join(sortedKeys(portableOps), " "))
			continue
		}
		ops = append(ops, caseOp{line: line, text: text, op: op})
	}
	if t.Failed() {
		t.FailNow()
	}
	var want []string
	if td.Expected != "" {
		want = strings.Split(strings.TrimSuffix(td.Expected, "\n"), "\n")
	}
	compare := f.compareAlways || !td.Rewrite
	var out []string
	for i, o := range ops {
		res, ok := f.step(t, o)
		if !ok {
			break // the kernel caught a bug in itself; this case is over
		}
		got := o.text + ": " + res
		out = append(out, got)
		if compare {
			f.compare(t, o, got, want, i)
		}
		if vs := f.m.K.CheckInvariants(); len(vs) > 0 {
			t.Errorf("%s:%d: after %s: %v", f.name, o.line, o.text, vfs.InvariantError(vs))
		}
	}
	if compare && len(want) > len(ops) {
		t.Errorf("%s: run: the file has %d result lines for %d ops", f.pos(td), len(want), len(ops))
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

// compare reports an op whose printed line got is not line i of the
// file's expected output want.
func (f *conformanceFile) compare(t *testing.T, o caseOp, got string, want []string, i int) {
	prefix := o.text + ": "
	switch {
	case i >= len(want):
		t.Errorf("%s:%d: %s: the file has no result for it (got %s)", f.name, o.line, o.text, strings.TrimPrefix(got, prefix))
	case got == want[i]:
	case !strings.HasPrefix(want[i], prefix):
		t.Errorf("%s:%d: %s: the file's result line %q is another op's (run go test ./vfs/vfstest -run TestConformanceFiles -rewrite)", f.name, o.line, o.text, want[i])
	default:
		t.Errorf("%s:%d: %s: got %s, want %s", f.name, o.line, o.text,
			strings.TrimPrefix(got, prefix), strings.TrimPrefix(want[i], prefix))
	}
}

// firstInputLine returns the file line of the first input line of the
// command on line cmdLine: datadriven trims the blank lines before it.
func (f *conformanceFile) firstInputLine(cmdLine int) int {
	i := cmdLine // index of the line after the command
	for i < len(f.lines) && strings.HasSuffix(strings.TrimSpace(f.lines[i-1]), `\`) {
		i++
	}
	for i < len(f.lines) && strings.TrimSpace(f.lines[i]) == "" {
		i++
	}
	return i + 1
}

// step runs one op and prints its result, turning an assertion failure (a
// bug the filesystem or the simulator caught in itself) into a reported
// error so the other cases still run.
func (f *conformanceFile) step(t *testing.T, o caseOp) (res string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			var af *vfs.AssertionFailure
			if e, isErr := r.(error); !isErr || !errors.As(e, &af) {
				panic(r)
			}
			t.Errorf("%s:%d: %s: assertion failure, a bug in the filesystem or the simulator: %v", f.name, o.line, o.text, af)
			f.broken = true
			ok = false
		}
	}()
	st := f.m.Step(o.op)
	if st.Err != nil {
		t.Errorf("%s:%d: %s: the op cannot run: %v", f.name, o.line, o.text, st.Err)
	}
	res, err := printResult(st)
	if err != nil {
		t.Errorf("%s:%d: %s: %v", f.name, o.line, o.text, err)
	}
	return res, true
}

// portableOps are the ops a conformance case may use: those whose printed
// results Linux gives alike on every filesystem. Left out: ino and tree
// (inode numbers, directory sizes), readlink-fd (an unlinked file's link
// names its inode number), lseek (SEEK_DATA and SEEK_HOLE follow the
// allocation), chattr, orphans and the machine-level ops.
var portableOps = map[string]bool{
	"open": true, "openat": true, "close": true, "dup": true,
	"read": true, "pread": true, "write": true, "pwrite": true, "ftruncate": true,
	"link": true, "linkat-empty": true, "linkat-proc": true, "linkat-proc-nofollow": true,
	"unlink": true, "rmdir": true, "mkdir": true, "mkdirat": true, "mkfifo": true, "symlink": true,
	"rename": true, "rename-noreplace": true, "rename-exchange": true,
	"fstat": true, "stat": true, "lstat": true, "cat": true, "ls": true, "readlink": true,
	"chdir": true, "chmod": true, "sync": true, "drop_caches": true,
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// printResult prints an op's result in its filesystem-independent form:
// "ok", "error ERRNO", data as a quoted string, "TYPE nlink=N size=S" for
// the stat of a non-directory but just "dir" for a directory (a
// directory's st_nlink and st_size are the filesystem's own: btrfs keeps
// nlink 1 and counts name lengths in the size), and ls's names sorted
// (getdents order is the filesystem's hash or index order).
func printResult(st script.Step) (string, error) {
	if st.Errno != "" {
		return "error " + st.Errno, nil
	}
	switch v := st.Ret.(type) {
	case nil:
		return "ok", nil
	case string:
		return strconv.Quote(v), nil
	case map[string]any:
		if v["type"] == "dir" {
			return "dir", nil
		}
		return fmt.Sprintf("%v nlink=%v size=%v", v["type"], v["nlink"], v["size"]), nil
	case []string:
		names := append([]string(nil), v...)
		sort.Strings(names)
		return "[" + strings.Join(names, " ") + "]", nil
	}
	return fmt.Sprintf("%v", st.Ret), fmt.Errorf("a %T result has no filesystem-independent form", st.Ret)
}

// crossCheck compares what three ways of looking at every name say: the
// directory listing (d_ino, d_type), lstat on the name, and fstat through
// an open descriptor; and that a non-directory's nlink counts its names.
func crossCheck(m *script.Machine) []string {
	t := m.Init()
	var problems []string
	type devIno struct {
		dev uint32
		ino uint64
	}
	names := map[devIno]int{}
	nlink := map[devIno]uint32{}
	stats := map[devIno]vfs.Stat_t{}
	var walk func(rel string)
	walk = func(rel string) {
		dir := m.Root + "/" + rel
		fd, err := t.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		if err != nil {
			problems = append(problems, fmt.Sprintf("open directory %q: %v", rel, err))
			return
		}
		defer t.Close(fd)
		ents, err := t.ReadDir(fd)
		if err != nil {
			problems = append(problems, fmt.Sprintf("getdents %q: %v", rel, err))
			return
		}
		self, _ := t.Stat(dir)
		seen := map[string]bool{}
		for _, e := range ents {
			if seen[e.Name] {
				problems = append(problems, fmt.Sprintf("directory %q lists %q twice", rel, e.Name))
			}
			seen[e.Name] = true
			// "." and ".." may come anywhere: ext4 lists a one-block
			// directory in hash order, hashing them like any name.
			switch {
			case e.Name == ".":
				if e.Ino != self.Ino {
					problems = append(problems, fmt.Sprintf("directory %q: . has d_ino %d, stat says %d", rel, e.Ino, self.Ino))
				}
			case e.Name == "..":
			default:
				p := path.Join(rel, e.Name)
				st, err := t.Lstat(m.Root + "/" + p)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%q is listed but lstat fails: %v", p, err))
					continue
				}
				if st.Ino != e.Ino || st.Mode.Type() != e.Type {
					problems = append(problems, fmt.Sprintf("%q: listing says ino %d type %s, lstat says ino %d type %s",
						p, e.Ino, e.Type.TypeName(), st.Ino, st.Mode.TypeName()))
				}
				if st.Mode.IsDir() {
					walk(p)
					continue
				}
				names[devIno{st.Dev, st.Ino}]++
				nlink[devIno{st.Dev, st.Ino}] = st.Nlink
				stats[devIno{st.Dev, st.Ino}] = st
				if st.Mode.IsRegular() {
					if fd, err := t.Open(m.Root+"/"+p, vfs.O_RDONLY, 0); err == nil {
						fst, _ := t.Fstat(fd)
						t.Close(fd)
						if fst != st {
							problems = append(problems, fmt.Sprintf("%q: fstat %v differs from stat %v", p, fst, st))
						}
					}
				}
			}
		}
		if !seen["."] || !seen[".."] {
			problems = append(problems, fmt.Sprintf("directory %q does not list both . and ..", rel))
		}
	}
	walk("")
	keys := make([]devIno, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].dev != keys[j].dev {
			return keys[i].dev < keys[j].dev
		}
		return keys[i].ino < keys[j].ino
	})
	for _, k := range keys {
		if uint32(names[k]) != nlink[k] {
			problems = append(problems, fmt.Sprintf("inode %d (st_dev %d) has nlink %d but %d names", k.ino, k.dev, nlink[k], names[k]))
		}
	}
	// Every open descriptor agrees with the tree: a non-directory that a
	// name reaches looks the same through the descriptor as through the
	// name, and one that no name reaches has nlink 0 (it is an orphan,
	// kept alive only by the descriptor).
	for _, name := range m.FDNames() {
		fd, _ := m.FD(name)
		fst, err := t.Fstat(fd)
		switch {
		case errors.Is(err, vfs.EBADF):
			continue // the script closed it behind the runner's back
		case err != nil:
			problems = append(problems, fmt.Sprintf("fstat %s: %v", name, err))
			continue
		case fst.Mode.IsDir():
			continue
		}
		if st, ok := stats[devIno{fst.Dev, fst.Ino}]; ok {
			if fst != st {
				problems = append(problems, fmt.Sprintf("fstat %s %v differs from lstat of its names %v", name, fst, st))
			}
		} else if fst.Nlink != 0 {
			problems = append(problems, fmt.Sprintf("%s is open on inode %d with nlink %d, but no name reaches it", name, fst.Ino, fst.Nlink))
		}
	}
	return problems
}
