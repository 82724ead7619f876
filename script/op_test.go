package script_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// Every generated op prints in a syntax that parses back to the same op, so
// a shrunk counterexample pastes straight into a script.
func TestOpsPrintAndParseBack(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ops := scriptgen.Ops(scriptgen.GenConfig{MinOps: 1, MaxOps: 40}).Draw(t, "ops")
		back, err := script.Parse(script.Format(ops))
		if err != nil {
			t.Fatalf("%v\nscript:\n%s", err, script.Format(ops))
		}
		ignore := cmpopts.IgnoreFields(script.Op{}, "Line", "Src")
		if diff := cmp.Diff(ops, back, ignore, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-printed +parsed):\n%s", diff)
		}
	})
}

func TestParseErrorsNameLineAndColumn(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"mkdir d\n  bogus x", "2:3: unknown op \"bogus\""},
		{"open a rdwr A", "1:13: open: want \"-> NAME\""},
		{"open a rdwr ->", "1:15: open: missing fd name after ->"},
		{"open a rdwr,sideways -> A", "1:8: open: unknown open flag \"sideways\""},
		{"# comment\n\npwrite A x y", "3:10: pwrite: bad number \"x\""},
		{"link a", "1:7: link: missing path2"},
		{"unlink a b", "1:10: unlink: unexpected \"b\""},
		{"snapshot s d/", "1:12: snapshot: \"d/\" has no last component to name the subvolume"},
		{"read F 99999999999", "1:8: read: count 99999999999 out of range [0, 1048576]"},
	} {
		_, err := script.Parse(c.src)
		var pe *script.ParseError
		if !errors.As(err, &pe) || err.Error() != c.want {
			t.Errorf("Parse(%q) = %v, want %s", c.src, err, c.want)
		}
	}
}

// Every op of the language runs (none is left without a runner), in a
// sequence where each does something; text operands keep single spaces
// between words as the oracle joins them.
func TestEveryOpRuns(t *testing.T) {
	m, err := script.NewMachine(vfs.Options{}, "tmpfs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer vfstest.Finish(t, m.K) // invariants hold and nothing leaked
	steps := []struct{ op, want string }{
		{"open f creat,rdwr -> F", "ok"},
		{"write F  two   words", "ok"},
		{"pwrite F 0 T", "ok"},
		{"read F 3", `""`}, // the position is at the end: pwrite does not move it
		{"pread F 4 5", `"words"`},
		{"dup F -> F2", "ok"},
		{"ftruncate F2 3", "ok"},
		{"fstat F", "file nlink=1 size=3"},
		{"pread F2 0 3", `"Two"`},
		{"lseek F 0 2", "3"},
		{"lseek F 1 0", "1"},
		{"read F 5", `"wo"`},
		{"lseek F 0 5", "error EINVAL"},
		{"mkdir d", "ok"},
		{"open d directory -> D", "ok"},
		{"openat D g creat,rdwr -> G", "ok"},
		{"close G", "ok"},
		{"mkdirat D sub", "ok"},
		{"link f l", "ok"},
		{"linkat-empty F e", "ok"},
		{"linkat-proc F p", "ok"},
		{"linkat-proc-nofollow F q", "error EXDEV"},
		{"unlink l", "ok"},
		{"rename e e2", "ok"},
		{"rename-noreplace e2 p", "error EEXIST"},
		{"rename-exchange e2 d/g", "ok"},
		{"mkfifo ff", "ok"},
		{"symlink f s", "ok"},
		{"stat s", "file nlink=3 size=3"},
		{"lstat s", "symlink nlink=1 size=1"},
		{"readlink s", `"f"`},
		{"ino f", "2"},
		{"readlink-fd F", `"/mnt/f"`},
		{"fd-path F", `"f"`},
		{"name-to-handle f -> H", "handle_type=0x1 handle_bytes=12"},
		{"name-to-handle-fd F -> H2", "handle_type=0x1 handle_bytes=12"},
		{"name-to-handle-size f 4", "error EOVERFLOW"},
		{"open-by-handle H rdonly -> FH", "ok"},
		{"close FH", "ok"},
		{"cat f", `"Two"`},
		{"ls d", "[. .. g sub]"}, // exchange swapped the inodes, not the names
		{"orphans", "ok"},
		{"chmod f 600", "ok"},
		{"chattr F +a", "ok"},
		{"write F more", "ok"}, // append-only is checked at open and truncate (verified on 6.18)
		{"ftruncate F 0", "error EPERM"},
		{"mkdir b", "ok"},
		{"bind d b", "ok"},
		{"remount-ro b", "ok"},
		{"mkdir b/x", "error EROFS"},
		{"umount b", "ok"},
		{"rmdir d/sub", "ok"},
		{"sync", "ok"},
		{"drop_caches", "ok"},
		{"check", "[]"},
		{"orphan-slots", "[]"},                              // tmpfs has no orphan file
		{"fault add_entry 1", "fails: cannot inject fault"}, // tmpfs injects no faults: the script cannot go on
		{"mkdir t3", "ok"},
		{"mount none t3 tmpfs mode=0700", "ok"},
		{"stat t3", "dir nlink=2 size=40"},
		{"mount none t3 tmpfs bogus=1", "error EINVAL"},
		{"umount t3", "ok"},
		{"mount-new tmpfs t2", "ok"},
		{"stat t2", "dir nlink=2 size=40"},
		{"umount t2", "ok"},
		{"fork -> C", "ok"},
		{"as C", "ok"},
		{"close F2", "ok"}, // C's copy of the table
		{"as init", "ok"},
		{"fstat F2", "file nlink=3 size=7"},
		{"exit C", "ok"},
		{"clone files,fs -> D", "ok"},
		{"as D", "ok"},
		{"close F2", "ok"}, // the shared table
		{"as init", "ok"},
		{"fstat F2", "error EBADF"},
		{"exit D", "ok"},
		{"unshare files,fs", "ok"},
		{"open-ns init mnt -> N", "ok"},
		{"unshare mnt", "ok"}, // the namespace operations of package nsproxy, linked in by main_test.go
		{"setns N", "ok"},
		{"setns-type N uts", "error EINVAL"},
		{"kern-setns init", "ok"},
		// refs: the two nsproxies and N; nsproxy 1 is the checkpoint
		// daemon's (package ckpt, linked in for the cut scripts of the
		// kernel-differential campaign, cut_test.go).
		{"nsproxies", "nsproxies:\n  nsproxy 1 count=1 mnt:[4026531841] (refs 3) tasks: +1 not the script's\n  nsproxy 4 count=1 mnt:[4026531841] (refs 3) tasks: init"},
		{"close N", "ok"},
		{"mountinfo", "mountinfo:\n  m1 m2 d1 / . rw,relatime - tmpfs none rw"},
		{"mkdir m2", "ok"},
		{"mount-dev m2 nr_inodes=100", "ok"}, // tmpfs: a second "none" is a new filesystem
		{"remount-opts m2 nr_inodes=200", "ok"},
		{"remount-opts m2 relink=x", "error EINVAL"}, // upstream: tmpfs knows no relink=
		{"mounts", "mounts:\n  . tmpfs rw,relatime\n  m2 tmpfs rw,relatime,nr_inodes=200"},
		{"umount m2", "ok"},
		{"subvol sv", "error ENOTTY"}, // the btrfs ioctls (see btrfssim's tests)
		{"snapshot . sn", "error ENOTTY"},
		{"snapshot-ro . sn", "error ENOTTY"},
		{"subvol-orphans .", "error ENOTTY"},
		{"dmesg", "[]"},
		{"remount", "[]"}, // closes every fd; an unmounted tmpfs is gone
		{"stat f", "error ENOENT"},
		{"open f creat,rdwr -> F", "ok"},
		{"crash", "[]"}, // and nothing survives a power cut either
		{"stat f", "error ENOENT"},
		{"open f creat,rdwr -> F", "ok"},
		{"fill F 100 70000", "ok"},
		{"fstat F", "file nlink=1 size=70100"},
		{"pread F 65636 4", `"reli"`},
		{"mkdir d", "ok"},
		{"chdir d", "ok"},
		{"setuid 1000", "ok"},
		{"unlink f", "error EPERM"}, // /mnt is sticky and f is root's
	}
	seen := map[string]bool{"tree": true}
	for _, s := range steps {
		op := mustParse(t, s.op)
		seen[op.Name] = true
		st := m.Step(op)
		if want, ok := strings.CutPrefix(s.want, "fails: "); ok {
			if st.Err == nil || !strings.Contains(st.Err.Error(), want) {
				t.Errorf("%s: got %s (Err %v), want a failure of the script saying %q", s.op, st.Describe(), st.Err, want)
			}
			continue
		}
		if st.Err != nil {
			t.Errorf("%s: the op could not run: %v", s.op, st.Err)
		}
		if got := strings.TrimPrefix(st.Describe(), st.Op+": "); got != s.want {
			t.Errorf("%s: got %s, want %s", s.op, got, s.want)
		}
	}
	// draw's result is the whole picture: its first and last lines, and
	// the title.
	if st := m.Step(mustParse(t, "draw the end")); st.Err != nil || st.Errno != "" {
		t.Errorf("draw: %s (%v)", st.Describe(), st.Err)
	} else if lines, ok := st.Ret.([]string); !ok || lines[0] != "digraph relinksim {" || lines[len(lines)-1] != "}" || !slices.Contains(lines, `  label="the end"; labelloc=t;`) {
		t.Errorf("draw: not a DOT digraph with its title: %s", st.Describe())
	}
	seen["draw"] = true
	m.Step(mustParse(t, "tree"))
	for _, s := range script.Specs() {
		// Package ckpt's ops (group checkpoint), linked in for
		// cut_test.go, are exercised by ckpt's own tests.
		if n := s.Name; !seen[n] && s.Group != "test" && s.Group != "checkpoint" {
			t.Errorf("op %q is not exercised", n)
		}
	}
}

func mustParse(t *testing.T, src string) script.Op {
	t.Helper()
	op, err := script.ParseOp(src)
	if err != nil {
		t.Fatal(err)
	}
	return op
}
