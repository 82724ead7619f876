package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		{[]string{"run", "-fs", "xfs", good}, 2, `unknown filesystem "xfs"`},
		{[]string{"run", "-era", "1999", good}, 2, `unknown kernel era "1999"`},
		{[]string{"run", bad}, 1, "bad.txt:2:7: link: missing path2"},
		{[]string{"run", filepath.Join(dir, "missing.txt")}, 1, "no such file"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{nil, 2, "usage: relinksim run"},
	} {
		var out, errOut strings.Builder
		code := run(c.args, &out, &errOut)
		if code != c.code || !strings.Contains(errOut.String(), c.msg) {
			t.Errorf("relinksim %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut.String(), c.code, c.msg)
		}
	}
	var out, errOut strings.Builder
	if code := run([]string{"run", "-era", "pre2007", good}, &out, &errOut); code != 0 || out.String() != "{\"line\":1,\"op\":\"mkdir d\"}\n" {
		t.Errorf("-era pre2007: exit %d, %q %q", code, out.String(), errOut.String())
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
		{[]string{"explore", "-fs", "ext4", "-variant", "pre2007", "link-unlink-2007"}, 1, "E10: inode 12 is an orphan but has nlink 1"},
		{[]string{"explore", "-variant", "upstream", "link-unlink-2007"}, 0, "every schedule with at most 2 preemptions): no check failed"},
		{[]string{"explore", "-variant", "enoent2007", "link-unlink-2007"}, 0, "no check failed"},
		{[]string{"explore", "-variant", "relink2011", "link-unlink-2007"}, 0, "no check failed"},
		{[]string{"explore", "-variant", "pre2007", "-strategy", "pct", "-depth", "2", "link-unlink-2007"}, 1, "FAILED"},
		{[]string{"explore", "-variant", "pre2007", "-strategy", "pct", "-seed", "7", "link-unlink-2007"}, 1, "minimized to 1 preemption\n"},
		{[]string{"explore", "-variant", "pre2007", "-strategy", "replay", "-schedule", "AABBBBBBBBBAAAAAAA", "link-unlink-2007"}, 1, "! 18 done"},
		{[]string{"explore", "-variant", "sandeen-rfc", "amir-add-entry"}, 1, "E6:"},
		{[]string{"explore", "rename-link-2022"}, 1, "ENOENT although target existed throughout"},
		{[]string{"explore", "no-such-race"}, 2, ""},
	} {
		var out, errOut strings.Builder
		code := run(c.args, &out, &errOut)
		if code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("relinksim %s: exit %d, want %d; output:\n%s%s", strings.Join(c.args, " "), code, c.code, out.String(), errOut.String())
		}
	}
}
