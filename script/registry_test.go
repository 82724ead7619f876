package script_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	// The filesystems the multi-filesystem test mounts register
	// themselves.
	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// sample returns a line of op s's syntax: its Example, or one made of an
// example for each operand.
func sample(s script.OpSpec) string {
	if s.Example != "" {
		return s.Example
	}
	parts := []string{s.Name}
	for _, a := range s.Args {
		switch a {
		case script.ArgPath, script.ArgPath2, script.ArgWord:
			parts = append(parts, "x")
		case script.ArgFD:
			parts = append(parts, "A")
		case script.ArgOut:
			parts = append(parts, "->", "B")
		case script.ArgFlags:
			parts = append(parts, "rdwr,creat")
		case script.ArgOff, script.ArgN, script.ArgMode:
			parts = append(parts, "1")
		case script.ArgText:
			parts = append(parts, `"two  words\n"`)
		}
	}
	return strings.Join(parts, " ")
}

// The registry and the parser agree: every registered op is in the
// reference `relinksim ops` prints, parses from a line of its syntax and
// prints back to it; a name the registry lacks does not parse; and the
// runner accepts every registered op (TestEveryOpRuns runs each).
func TestRegistryMatchesParser(t *testing.T) {
	ref := script.Reference()
	names := script.Names()
	if len(names) < 50 {
		t.Fatalf("only %d ops registered", len(names))
	}
	for _, s := range script.Specs() {
		if !strings.Contains(ref, "\n  "+s.Synopsis()+"\n") {
			t.Errorf("the reference lacks %q", s.Synopsis())
		}
		if s.Help == "" {
			t.Errorf("op %s has no help", s.Name)
		}
		line := sample(s)
		op, err := script.ParseOp(line)
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if back, err := script.ParseOp(op.String()); err != nil || back.String() != op.String() {
			t.Errorf("%s prints as %q, which parses back as %q (%v)", line, op.String(), back.String(), err)
		}
	}
	for _, bad := range []string{"opne a rdwr -> A", "frobnicate"} {
		if _, err := script.ParseOp(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// An unknown op's error names the nearest known one.
func TestUnknownOpSuggests(t *testing.T) {
	_, err := script.Parse("mkdir d\nopne a rdwr -> A")
	if err == nil || err.Error() != `2:1: unknown op "opne" (did you mean "open"?)` {
		t.Errorf("got %v", err)
	}
	_, err = script.ParseFile("s.txt", "linkat-emtpy A b")
	if err == nil || err.Error() != `s.txt:1:1: unknown op "linkat-emtpy" (did you mean "linkat-empty"?)` {
		t.Errorf("got %v", err)
	}
}

// write's TEXT is a Go string literal when quoted: spaces, newlines and
// '#' can be written, and such text prints back quoted.
func TestQuotedText(t *testing.T) {
	m, err := script.Boot(script.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer vfstest.Finish(t, m.K)
	ops, err := script.Parse("open f creat,rdwr -> F\nwrite F \"a  b\\n# not a comment\\x00\"\npwrite F 1 plain  words\ncat f")
	if err != nil {
		t.Fatal(err)
	}
	st := m.Run(ops)
	// pwrite at 1 overwrote "  b\n# not a" with "plain words".
	if got, want := st[3].Ret, "aplain words comment\x00"; got != want {
		t.Errorf("cat: %q, want %q", got, want)
	}
	if got := ops[1].String(); got != `write F "a  b\n# not a comment\x00"` {
		t.Errorf("prints as %s", got)
	}
	if got := ops[2].String(); got != "pwrite F 1 plain words" {
		t.Errorf("unquoted text prints as %s", got)
	}
	if _, err := script.Parse(`write F "unterminated`); err == nil || !strings.Contains(err.Error(), "1:9: write: bad quoted text") {
		t.Errorf("unterminated quote: %v", err)
	}
}

// nlinkSum is an op a package above script could define.
var nlinkSum = script.OpSpec{
	Name:   "test-nlink-sum",
	Group:  "test",
	Args:   []script.Arg{script.ArgFD, script.ArgPath},
	UsesFD: true,
	Help:   "the nlink of FD's inode plus that of PATH (a test's op)",
	Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
		a, err := r.T.Fstat(fd)
		if err != nil {
			return nil, err
		}
		b, err := r.T.Stat(r.Path(op.Path))
		if err != nil {
			return nil, err
		}
		return uint64(a.Nlink + b.Nlink), nil
	},
}

// registerTestOp registers nlinkSum once however often the test runs.
var registerTestOp sync.Once

// A package above script adds an op through the registry, and it parses,
// prints, runs in a machine's script and appears in the reference.
func TestRegisterOpFromOutside(t *testing.T) {
	registerTestOp.Do(func() { script.Register(nlinkSum) })
	if !strings.Contains(script.Reference(), "test-nlink-sum FD PATH") {
		t.Error("the reference lacks the new op")
	}
	m, err := script.Boot(script.Config{FS: "ext4"})
	if err != nil {
		t.Fatal(err)
	}
	defer vfstest.Finish(t, m.K)
	ops, err := script.Parse("open a creat,rdwr -> A\nlink a b\ntest-nlink-sum A b\ntest-nlink-sum A missing\ntest-nlink-sum Z b")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range m.Run(ops) {
		if st.Err != nil {
			t.Fatal(st.Err)
		}
		got = append(got, st.Describe())
	}
	want := []string{"open a creat,rdwr -> A: ok", "link a b: ok", "test-nlink-sum A b: 4", "test-nlink-sum A missing: error ENOENT", "test-nlink-sum Z b: error EBADF"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// An op that needs a Machine fails, loudly, in a bare Runner; so does an
// op that needs what the Sys lacks.
func TestOpsThatCannotRun(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	r := script.NewRunner(k.Init(), "")
	for _, src := range []string{"crash", "check", "dmesg", "remount", "mount-new tmpfs x"} {
		st := r.Step(mustParse(t, src))
		if st.Err == nil || !strings.Contains(st.Err.Error(), "needs a Machine") {
			t.Errorf("%s in a bare runner: %v, %s", src, st.Err, st.Describe())
		}
	}
	bare := script.NewRunner(onlySys{k.Init()}, "")
	for _, src := range []string{"sync", "orphans", "bind a b", "setuid 1", "subvol s", "fault add_entry 1"} {
		if st := bare.Step(mustParse(t, src)); st.Err == nil || !strings.Contains(st.Err.Error(), "needs a kernel with") {
			t.Errorf("%s on a Sys without it: %v, %s", src, st.Err, st.Describe())
		}
	}
}

// onlySys hides every optional interface of a task.
type onlySys struct{ script.Sys }

// tmpfs, ext4 and btrfs on one kernel, each on its own device, driven by
// one script: open-unlinked files on each, links across them refused with
// EXDEV, each filesystem's own orphan list, and every invariant and the
// leak check hold.
func TestThreeFilesystemsOneKernel(t *testing.T) {
	m, err := script.Boot(script.Config{FS: "tmpfs"})
	if err != nil {
		t.Fatal(err)
	}
	defer vfstest.Finish(t, m.K)
	src := `
mount-new ext4 e
mount-new btrfs b
mount-new tmpfs t
open e/f creat,rdwr -> E
open b/f creat,rdwr -> B
open t/f creat,rdwr -> T
write E on ext4
link e/f b/g
link e/f e/g
unlink e/f
unlink e/g
unlink b/f
snapshot b b/snap
check
close T
umount t
`
	ops, err := script.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range m.Run(ops) {
		if st.Err != nil {
			t.Fatal(st.Err)
		}
		got = append(got, st.Describe())
		if vs := m.Check(); len(vs) > 0 {
			t.Fatalf("after %s: %v", st.Op, vfs.InvariantError(vs))
		}
	}
	want := `mount-new ext4 e: ok
mount-new btrfs b: ok
mount-new tmpfs t: ok
open e/f creat,rdwr -> E: ok
open b/f creat,rdwr -> B: ok
open t/f creat,rdwr -> T: ok
write E on ext4: ok
link e/f b/g: error EXDEV
link e/f e/g: ok
unlink e/f: ok
unlink e/g: ok
unlink b/f: ok
snapshot b b/snap: ok
check: []
close T: ok
umount t: ok`
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("got:\n%s\nwant:\n%s", g, want)
	}
	// Each filesystem keeps its own orphan list: E on ext4's, B on btrfs's.
	for dir, fd := range map[string]string{"e": "E", "b": "B"} {
		inos, ok, err := m.Init().OnDiskOrphans("/mnt/" + dir)
		f, _ := m.FD(fd)
		st, _ := m.Init().Fstat(f)
		if err != nil || !ok || len(inos) != 1 || inos[0] != st.Ino {
			t.Errorf("orphans of %s: %v %v %v, want [%d]", dir, inos, ok, err, st.Ino)
		}
	}
	// Two ext4 filesystems, and a third device, take the next loop devices.
	var devs []string
	for _, sb := range m.K.Supers() {
		if sb.Device() != nil {
			devs = append(devs, sb.Type().Name()+"="+sb.Source())
		}
	}
	if fmt.Sprint(devs) != "[ext4=/dev/loop0 btrfs=/dev/loop1]" {
		t.Errorf("devices %v", devs)
	}
	for _, name := range m.FDNames() {
		fd, _ := m.FD(name)
		m.Init().Close(fd)
	}
	if err := errors.Join(m.Init().Umount("/mnt/e", 0), m.Init().Umount("/mnt/b", 0)); err != nil {
		t.Fatal(err)
	}
}

// Setup never panics on bad options: it returns an error naming them.
func TestSetupErrors(t *testing.T) {
	for _, c := range []struct{ fs, mkfs, want string }{
		{"ext4", "blocksize=3000", "block size 3000"},
		{"ext4", "size=1024", "cannot lay out 1024 bytes"},
		{"ext4", "size=1", "cannot lay out 1 bytes"},
		{"ext4", "blocksize=4096,size=4096", "cannot lay out 4096 bytes in 4096-byte blocks"},
		{"ext4", "orphan_file,size=8192", "cannot lay out 8192 bytes"},
		{"ext4", "size=9223372036854775807", "the simulator lays out 1 to"},
		{"ext4", "inode_ratio=512", "inode ratio 512"},
		{"ext4", "orphan_file=yes", "orphan_file takes no value"},
		{"ext4", "journal", `unknown option "journal"`},
		{"btrfs", "size=-1", "want a positive number"},
		{"tmpfs", "size=1", "tmpfs has no mkfs options"},
		{"xfs", "", `unknown filesystem "xfs"`},
	} {
		_, err := script.Boot(script.Config{FS: c.fs, Mkfs: c.mkfs})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -o %s: %v, want %q", c.fs, c.mkfs, err, c.want)
		}
	}
}
