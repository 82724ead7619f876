package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// relinksim run prints, for every recorded scenario and filesystem,
// exactly what the real kernel printed.
func TestRunMatchesKernelRecordings(t *testing.T) {
	scripts, _ := filepath.Glob("../../script/testdata/scenarios/*.txt")
	if len(scripts) == 0 {
		t.Fatal("no scenarios")
	}
	compared := 0
	for _, s := range scripts {
		for _, fs := range []string{"tmpfs", "ext4", "btrfs"} {
			want, err := os.ReadFile(strings.TrimSuffix(s, ".txt") + "." + fs + ".jsonl")
			if err != nil {
				continue // not recorded on this filesystem
			}
			var out, errOut strings.Builder
			if code := run([]string{"run", "-fs", fs, s}, &out, &errOut); code != 0 {
				t.Fatalf("%s on %s: exit %d: %s", s, fs, code, errOut.String())
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("%s on %s (-kernel +relinksim):\n%s", s, fs, diff)
			}
			compared++
		}
	}
	if compared < 4 {
		t.Errorf("only %d recordings compared", compared)
	}
}

// result is what one invocation did.
type result struct {
	code        int
	out, errOut string
}

func invoke(args []string, stdin string) result {
	var out, errOut strings.Builder
	code := runIO(args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("mkdir d\nlink d\n"), 0o644)
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("mkdir d\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run", "-fs", "xfs", good}, 2, `unknown filesystem "xfs" (registered: btrfs, ext4, tmpfs;`},
		{[]string{"run", "-era", "1999", good}, 2, `unknown kernel era "1999"`},
		{[]string{"run", "-fs", "ext4", "-mkfs", "frob", good}, 2, `mkfs.ext4: unknown option "frob"`},
		{[]string{"run", "-fs", "tmpfs", "-o", "frob=1", good}, 2, "relinksim run: boot tmpfs: mount tmpfs on /mnt:"},
		{[]string{"run", "-frob", good}, 2, "flag provided but not defined: -frob"},
		{[]string{"run"}, 2, "name one script"},
		{[]string{"run", good, good}, 2, "name one script"},
		{[]string{"run", filepath.Join(dir, "missing.txt")}, 2, "no such file"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	} {
		r := invoke(c.args, "")
		if r.code != c.code || !strings.Contains(r.errOut, c.msg) {
			t.Errorf("relinksim %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, r.code, r.errOut, c.code, c.msg)
		}
	}
	// A parse error is exactly FILE:LINE:COL: message.
	if r := invoke([]string{"run", bad}, ""); r.code != 2 || r.errOut != bad+":2:7: link: missing path2\n" || r.out != "" {
		t.Errorf("parse error: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	r := invoke([]string{"run", "-era", "pre2007", good}, "")
	if r.code != 0 || r.out != "{\"line\":1,\"op\":\"mkdir d\"}\n" || r.errOut != "" {
		t.Errorf("-era pre2007: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	// -mkfs and -o reach the filesystem: an orphan_file ext4 has an orphan
	// file, a tmpfs mounted nr_inodes=2 room for the root and one more.
	r = invoke([]string{"run", "-fs", "ext4", "-mkfs", "orphan_file", "-"}, "open f creat,rdwr -> F\nunlink f\norphan-slots\n")
	if r.code != 0 || !strings.Contains(r.out, `"ret":["`) {
		t.Errorf("-mkfs orphan_file: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	r = invoke([]string{"run", "-fs", "ext4", "-"}, "open f creat,rdwr -> F\nunlink f\norphan-slots\n")
	if r.code != 0 || strings.Contains(r.out, `"ret":["`) {
		t.Errorf("without -mkfs orphan_file: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	r1 := invoke([]string{"run", "-o", "nr_inodes=2", "-"}, "mkdir a\nmkdir b\n")
	r2 := invoke([]string{"run", "-"}, "mkdir a\nmkdir b\n")
	if r1.code != 0 || r2.code != 0 || !strings.HasSuffix(r1.out, "{\"line\":2,\"op\":\"mkdir b\",\"errno\":\"ENOSPC\"}\n") || strings.Contains(r2.out, "ENOSPC") {
		t.Errorf("-o nr_inodes=2: %q, without: %q", r1.out, r2.out)
	}
}

// "-" reads the script from standard input, which errors call <stdin>.
func TestRunStdin(t *testing.T) {
	if r := invoke([]string{"run", "-"}, "mkdir d\nstat d\n"); r.code != 0 || !strings.HasPrefix(r.out, "{\"line\":1,\"op\":\"mkdir d\"}\n{\"line\":2,\"op\":\"stat d\",\"ret\":") {
		t.Errorf("stdin: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	if r := invoke([]string{"run", "-"}, "mkdir d\nlink d\n"); r.code != 2 || r.errOut != "<stdin>:2:7: link: missing path2\n" {
		t.Errorf("stdin parse error: exit %d, %q", r.code, r.errOut)
	}
}

// An op that cannot be carried out at all stops the script at once with
// FILE:LINE: OP: reason and exit 2; the ops before it were printed.
func TestRunOpCannotRun(t *testing.T) {
	r := invoke([]string{"run", "-fs", "tmpfs", "-"}, "mkdir d\n# tmpfs injects no faults\nfault add_entry 1\nmkdir e\n")
	want := "<stdin>:3: fault add_entry 1: the filesystem at /mnt cannot inject fault \"add_entry\" (EOPNOTSUPP (operation not supported))\n"
	if r.code != 2 || r.errOut != want || r.out != "{\"line\":1,\"op\":\"mkdir d\"}\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stderr %q", r.code, r.out, r.errOut, want)
	}
	// The same op on ext4 runs.
	if r := invoke([]string{"run", "-fs", "ext4", "-"}, "fault add_entry 1\n"); r.code != 0 {
		t.Errorf("fault on ext4: exit %d, %q", r.code, r.errOut)
	}
}

func init() {
	// An op that takes a reference to a file and never drops it: the leak
	// the shutdown's leak check exists to find, which no op of the
	// language makes (the simulator is meant to be leak-free).
	script.Register(script.OpSpec{
		Name: "test-leak-file", Args: []script.Arg{script.ArgFD}, UsesFD: true, Group: "test",
		Help: "take a reference to FD's file and never drop it (cmd/relinksim tests only)",
		Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
			f, err := r.Machine().Init().File(fd)
			if err != nil {
				return nil, err
			}
			vfs.Fget(f)
			return nil, nil
		},
	})
}

// Exit 1: every kind of failed check is reported on stderr with the line
// where it was first seen, and the JSON output is the same as without
// checks.
func TestRunChecks(t *testing.T) {
	for _, c := range []struct {
		args   []string
		stdin  string
		code   int
		stdout string
		stderr []string
	}{
		// pre2007 ext4 links an orphan back (E10), and unmounting oopses.
		{[]string{"run", "-fs", "ext4", "-era", "pre2007", "testdata/pre2007-oops.txt"}, "", 1,
			`{"line":4,"op":"open f creat,rdwr -\u003e F"}
{"line":5,"op":"write F kept"}
{"line":6,"op":"unlink f"}
{"line":7,"op":"linkat-proc F back"}
{"line":8,"op":"close F"}
{"line":9,"op":"remount","ret":["sb orphan head is 12","sb_info orphan list:","  inode loop0:12: mode 100644, nlink 1, next 0","kernel BUG at fs/ext4/super.c:ext4_put_super: 1 inodes still on the in-memory orphan list of /dev/loop0","EXT4-fs (loop0): unmounting filesystem.","EXT4-fs (loop0): 1 truncate cleaned up","EXT4-fs (loop0): recovery complete","EXT4-fs (loop0): mounted filesystem r/w with ordered data mode. Quota mode: none."]}
`,
			[]string{
				"testdata/pre2007-oops.txt:7: after linkat-proc F back: invariant E10: inode 12 is an orphan but has nlink 1\n",
				"testdata/pre2007-oops.txt:9: after remount: kernel log: kernel BUG at fs/ext4/super.c:ext4_put_super: 1 inodes still on the in-memory orphan list of /dev/loop0\n",
				"relinksim run: testdata/pre2007-oops.txt: 2 checks failed\n",
			}},
		// Without the remount the oops comes with the shutdown's unmount.
		{[]string{"run", "-fs", "ext4", "-era", "pre2007", "-"}, "open f creat,rdwr -> F\nunlink f\nlinkat-proc F back\n", 1, "",
			[]string{
				"<stdin>:3: after linkat-proc F back: invariant E10",
				"<stdin>: at the end (after line 3): kernel log: kernel BUG at fs/ext4/super.c:ext4_put_super",
			}},
		// btrfs under the relink series: a failed adoption leaves an inode
		// without links or orphan item (btrfssim/testdata/adopted_leak).
		{[]string{"run", "-fs", "btrfs", "-era", "relink2011", "-"}, "open f creat,rdwr -> F\nwrite F precious\nunlink f\nfault add_entry 1\nlinkat-proc F back\nfstat F\n", 1, "",
			[]string{"<stdin>:5: after linkat-proc F back: invariant B5: subvolume 5: inode 257 (file) has no links and no orphan item: it leaks\n"}},
		// A reference never dropped: the invariant checker sees it first
		// (V8), the shutdown's leak check names it.
		{[]string{"run", "-"}, "open leaky creat,rdwr -> F\ntest-leak-file F\nclose F\n", 1, "",
			[]string{
				"<stdin>:2: after test-leak-file F: invariant V8",
				"<stdin>: at the end (after line 3): leak check at shutdown: ",
				"leaky",
			}},
		// -check end and -check N see it later: at the last op, or at
		// the next Nth.
		{[]string{"run", "-check", "end", "-"}, "open leaky creat,rdwr -> F\ntest-leak-file F\nfstat F\nfstat F\n", 1, "",
			[]string{"<stdin>:4: after fstat F: invariant V8"}},
		{[]string{"run", "-check", "3", "-"}, "open leaky creat,rdwr -> F\ntest-leak-file F\nfstat F\nfstat F\n", 1, "",
			[]string{"<stdin>:3: after fstat F: invariant V8"}},
		// A crash replaces the kernel: the one it replaces is checked
		// first.
		{[]string{"run", "-fs", "ext4", "-check", "end", "-"}, "open leaky creat,rdwr -> F\ntest-leak-file F\ncrash\nmkdir x\n", 1, "",
			[]string{"<stdin>:2: after test-leak-file F: invariant V8"}},
	} {
		r := invoke(c.args, c.stdin)
		if r.code != c.code {
			t.Errorf("relinksim %v: exit %d, want %d; stderr:\n%s", c.args, r.code, c.code, r.errOut)
		}
		if c.stdout != "" && r.out != c.stdout {
			t.Errorf("relinksim %v: stdout (-want +got):\n%s", c.args, cmp.Diff(c.stdout, r.out))
		}
		for _, s := range c.stderr {
			if !strings.Contains(r.errOut, s) {
				t.Errorf("relinksim %v: stderr lacks %q:\n%s", c.args, s, r.errOut)
			}
		}
	}
	// The same script under upstream, where the link is refused: exit 0.
	if r := invoke([]string{"run", "-fs", "ext4", "testdata/pre2007-oops.txt"}, ""); r.code != 0 || r.errOut != "" {
		t.Errorf("upstream: exit %d, %q", r.code, r.errOut)
	}
	// Descriptors a script leaves open are closed by the shutdown, not
	// leaked, on every filesystem.
	for _, fs := range vfs.FSNames() {
		if r := invoke([]string{"run", "-fs", fs, "testdata/open-at-end.txt"}, ""); r.code != 0 || r.errOut != "" {
			t.Errorf("open descriptors at the end on %s: exit %d, %q", fs, r.code, r.errOut)
		}
	}
}

// relinksim explore finds the 2007 race in 2.6.18 (exit 1, with the
// timeline) and none in the eras that fixed it (exit 0).
func TestExplore(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"explore", "-fs", "ext4", "-era", "pre2007", "link-unlink-2007"}, 1, "E10: inode 12 is an orphan but has nlink 1"},
		{[]string{"explore", "-era", "upstream", "link-unlink-2007"}, 0, "every schedule with at most 2 preemptions): no check failed"},
		{[]string{"explore", "-era", "enoent2007", "link-unlink-2007"}, 0, "no check failed"},
		{[]string{"explore", "-era", "relink2011", "link-unlink-2007"}, 0, "no check failed"},
		{[]string{"explore", "-era", "pre2007", "-strategy", "pct", "-depth", "2", "link-unlink-2007"}, 1, "FAILED"},
		{[]string{"explore", "-era", "pre2007", "-strategy", "pct", "-seed", "7", "link-unlink-2007"}, 1, "minimized to 1 preemption\n"},
		{[]string{"explore", "-era", "pre2007", "-strategy", "replay", "-schedule", "AABBBBBBBBBAAAAAAA", "link-unlink-2007"}, 1, "! 18 done"},
		{[]string{"explore", "-era", "sandeen-rfc", "amir-add-entry"}, 1, "E6:"},
		{[]string{"explore", "rename-link-2022"}, 1, "ENOENT although target existed throughout"},
		// The deprecated alias.
		{[]string{"explore", "-variant", "pre2007", "link-unlink-2007"}, 1, "link-unlink-2007 on ext4, era pre2007, exhaustive"},
		{[]string{"explore", "-variant", "pre2007", "-era", "pre2007", "link-unlink-2007"}, 1, "era pre2007"},
		// The 2007 race from a scenario file.
		{[]string{"explore", "-era", "pre2007", "testdata/link-unlink-2007.scenario"}, 1, "E10: inode 12 is an orphan but has nlink 1"},
		{[]string{"explore", "testdata/link-unlink-2007.scenario"}, 0, "link-unlink-2007 on ext4, era upstream, exhaustive: "},
	} {
		r := invoke(c.args, "")
		if r.code != c.code || !strings.Contains(r.out, c.want) {
			t.Errorf("relinksim %s: exit %d, want %d; output:\n%s%s", strings.Join(c.args, " "), r.code, c.code, r.out, r.errOut)
		}
	}
	// The file's run is the library's, line for line.
	lib := invoke([]string{"explore", "-era", "pre2007", "link-unlink-2007"}, "")
	file := invoke([]string{"explore", "-era", "pre2007", "testdata/link-unlink-2007.scenario"}, "")
	if lib.out != file.out {
		t.Errorf("scenario file and library differ (-library +file):\n%s", cmp.Diff(lib.out, file.out))
	}
	if r := invoke([]string{"explore", "-variant", "pre2007", "link-unlink-2007"}, ""); !strings.Contains(r.errOut, "-variant is deprecated; use -era") {
		t.Errorf("-variant: stderr %q lacks the deprecation", r.errOut)
	}
}

// Exit 2: the command or the scenario is wrong — never "no check failed".
func TestExploreErrors(t *testing.T) {
	dir := t.TempDir()
	noTask := filepath.Join(dir, "notask.scenario")
	os.WriteFile(noTask, []byte("name: x\nsetup:\n  mkdir d\n"), 0o644)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"explore", "-fs", "tmpfs", "-era", "sandeen-rfc", "amir-add-entry"}, "relinksim explore: scenario amir-add-entry: setup: line 3: fault add_entry 4: the filesystem at /mnt cannot inject fault \"add_entry\""},
		{[]string{"explore", "-schedule", "AB", "link-unlink-2007"}, "-schedule needs -strategy replay"},
		{[]string{"explore", "-strategy", "pct", "-schedule", "AB", "link-unlink-2007"}, "-schedule needs -strategy replay"},
		{[]string{"explore", "-strategy", "replay", "link-unlink-2007"}, "-strategy replay needs -schedule"},
		{[]string{"explore", "-strategy", "replay", "-schedule", "ABC", "link-unlink-2007"}, `decision 3 is 'C', not a task of link-unlink-2007 (A to B)`},
		{[]string{"explore", "-strategy", "rapid", "link-unlink-2007"}, "rapid's chooser lives in package race/racecheck"},
		{[]string{"explore", "-strategy", "dfs", "link-unlink-2007"}, `unknown -strategy "dfs"`},
		{[]string{"explore", "-variant", "pre2007", "-era", "upstream", "link-unlink-2007"}, "-era upstream and -variant pre2007 disagree"},
		{[]string{"explore", "-era", "2099", "link-unlink-2007"}, `unknown kernel era "2099"`},
		{[]string{"explore", "-fs", "xfs", "link-unlink-2007"}, `unknown filesystem "xfs"`},
		{[]string{"explore", "no-such-race"}, `"no-such-race" is neither a library scenario (amir-add-entry, link-unlink-2007, rename-link-2022) nor a file`},
		{[]string{"explore"}, "name one scenario"},
		{[]string{"explore", "testdata/bad-op.scenario"}, "testdata/bad-op.scenario:5:13: link: missing path2\n"},
		{[]string{"explore", noTask}, noTask + ":3:1: no task: section"},
		{[]string{"explore", "-fs", "ext4", "-mkfs", "frob", "link-unlink-2007"}, `unknown option "frob"`},
		{[]string{"explore", "-bound", "-1", "link-unlink-2007"}, "preemption bound -1"},
		{[]string{"explore", "-strategy", "pct", "-budget", "-5", "link-unlink-2007"}, "budget -5"},
		{[]string{"explore", "-strategy", "pct", "-depth", "-1", "link-unlink-2007"}, "bug depth -1"},
		{[]string{"explore", "-era", "pre2007", "-strategy", "replay", "-schedule", "A", "link-unlink-2007"}, "-schedule A does not replay as given"},
		{[]string{"explore", "-fs", "tmpfs", "-era", "sandeen-rfc", "testdata/amir-on-tmpfs.scenario"}, "testdata/amir-on-tmpfs.scenario:4: fault add_entry 4: the filesystem at /mnt cannot inject"},
	} {
		r := invoke(c.args, "")
		if r.code != 2 || !strings.Contains(r.errOut, c.msg) || strings.Contains(r.out, "no check failed") {
			t.Errorf("relinksim %s: exit %d, stdout %q, stderr %q; want exit 2 mentioning %q", strings.Join(c.args, " "), r.code, r.out, r.errOut, c.msg)
		}
	}
	// A parse error in a scenario file is exactly FILE:LINE:COL: message.
	if r := invoke([]string{"explore", "testdata/bad-op.scenario"}, ""); r.errOut != "testdata/bad-op.scenario:5:13: link: missing path2\n" {
		t.Errorf("bad file: stderr %q", r.errOut)
	}
}

// flagNames returns the names of c's flags.
func flagNames(c *command) []string {
	fs, _ := c.flags()
	var out []string
	fs.VisitAll(func(f *flag.Flag) { out = append(out, f.Name) })
	return out
}

// Every way to ask for help exits 0 and describes every flag.
func TestHelp(t *testing.T) {
	all := []string{"run", "explore", "ops"}
	for _, c := range []struct {
		args []string
		cmds []string // whose flags it must describe
		want []string
	}{
		{[]string{"help"}, all, []string{"Exit codes:", "relinksim ops", "link-unlink-2007", "mkfs.ext4", "help explore"}},
		{[]string{"-h"}, all, []string{"Exit codes:"}},
		{[]string{"--help"}, all, []string{"Exit codes:"}},
		{[]string{"-help"}, all, []string{"Exit codes:"}},
		{[]string{"help", "help"}, all, []string{"Exit codes:"}},
		{[]string{"help", "run"}, []string{"run"}, []string{"usage: relinksim run", "'relinksim ops'", "Exit status", "orphan_file"}},
		{[]string{"run", "-h"}, []string{"run"}, []string{"usage: relinksim run", "'relinksim ops'"}},
		{[]string{"help", "explore"}, []string{"explore"}, append([]string{"setup:", "task:", "final:", "buggy:", "crash:", "racecheck", "deprecated alias of -era"}, race.Names()...)},
		{[]string{"explore", "-h"}, []string{"explore"}, append([]string{"setup:", "task:", "final:"}, race.Names()...)},
		{[]string{"explore", "--help"}, []string{"explore"}, []string{"setup:"}},
		{[]string{"help", "ops"}, []string{"ops"}, []string{"usage: relinksim ops", "No flags."}},
		{[]string{"ops", "-h"}, []string{"ops"}, []string{"usage: relinksim ops"}},
	} {
		r := invoke(c.args, "")
		if r.code != 0 || r.errOut != "" {
			t.Errorf("relinksim %v: exit %d, stderr %q", c.args, r.code, r.errOut)
		}
		for _, name := range c.cmds {
			cmd := lookupCommand(name)
			for _, f := range flagNames(cmd) {
				if !strings.Contains(r.out, "  -"+f+" ") && !strings.Contains(r.out, "  -"+f+"\n") {
					t.Errorf("relinksim %v does not describe %s's flag -%s:\n%s", c.args, name, f, r.out)
				}
			}
		}
		for _, w := range c.want {
			if !strings.Contains(r.out, w) {
				t.Errorf("relinksim %v lacks %q:\n%s", c.args, w, r.out)
			}
		}
	}
	// The flags the doc comment describes.
	if n := len(flagNames(lookupCommand("explore"))); n != 14 {
		t.Errorf("explore has %d flags; update this test and the doc", n)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{nil, "usage:\n  relinksim run"},
		{[]string{"frobnicate"}, `relinksim: unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "run", "explore"}, "name at most one command"},
		{[]string{"ops", "extra"}, "ops takes no arguments"},
	} {
		r := invoke(c.args, "")
		if r.code != 2 || r.out != "" || !strings.Contains(r.errOut, c.msg) {
			t.Errorf("relinksim %v: exit %d, stdout %q, stderr %q; want exit 2 and %q on stderr", c.args, r.code, r.out, r.errOut, c.msg)
		}
	}
}

// relinksim ops prints the registry's reference, with the ops of every
// package the command imports (btrfssim's subvol) and of this test.
func TestOps(t *testing.T) {
	r := invoke([]string{"ops"}, "")
	if r.code != 0 || r.out != script.Reference() {
		t.Errorf("exit %d; output is not script.Reference()", r.code)
	}
	for _, op := range []string{"\n  subvol PATH\n", "\n  test-leak-file FD\n", "\n  link OLD NEW\n"} {
		if !strings.Contains(r.out, op) {
			t.Errorf("relinksim ops lacks %q", op)
		}
	}
}

// The command links no test library: go list -deps names none of them.
func TestNoTestLibraries(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skipf("no go tool at %s: %v", goTool, err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !contains(deps, "github.com/relinksim/relinksim/race") || !contains(deps, "github.com/relinksim/relinksim/ext4sim") {
		t.Fatalf("go list -deps gave an implausible list: %v", deps)
	}
	for _, bad := range []string{"testing", "pgregory.net/rapid", "github.com/cockroachdb/datadriven", "github.com/relinksim/relinksim/race/racecheck"} {
		if contains(deps, bad) {
			t.Errorf("relinksim links %s", bad)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
