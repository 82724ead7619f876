package criuhost_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/relinksim/relinksim/internal/criuhost"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

const root = "/tmp/TestX/001/relinksim-tmpfs-123"

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		log  string
		want criuhost.Reason
	}{
		{"(00.040306) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted\n" +
			"(00.047644) Error (criu/files-reg.c:1122): Can't create link remap for " + root + "/a. Use link-remap option.\n" +
			"(00.047659) Error (criu/cr-dump.c:1698): Dump files (pid: 27722) failed with -1\n", criuhost.LinkRemapNeeded},
		{"(00.1) Error (criu/files-reg.c:1): Can't dump ghost file " + root + "/f of 2097152 size, increase limit\n", criuhost.GhostLimit},
		{"(00.1) Error (criu/files-reg.c:1444): Unaccessible path opened 42:2, need 41:4\n", criuhost.NameReused},
		{"(00.1)  4401: Error (criu/files-reg.c:2): File tmp/a has bad size 1 (expect 3)\n", criuhost.BadSize},
		{"(00.1) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self\n" +
			"(00.2) Warn  (criu/files-reg.c:1881): Can't link " + root[1:] + "/link_remap.24 -> " + root[1:] + "/a\n" +
			"(00.3) Error (criu/cr-restore.c:9): Can't fork for 5628: File exists\n" +
			"(00.4) Error (criu/cr-restore.c:9): Restoring FAILED (pid: 77).\n", "error: Can't fork for 5628: File exists"},
		{"(00.1) Error (criu/x.c:1): Can't open " + root + "/link_remap.31 (pid: 7)\n", "error: Can't open /mnt/link_remap.N (pid N)"},
		{"(00.1) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self\n", ""},
	} {
		if got := criuhost.Classify(c.log, root); got != c.want {
			t.Errorf("Classify(%q) = %q, want %q", c.log, got, c.want)
		}
	}
}

func TestSimReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want criuhost.Reason
	}{
		{fmt.Errorf("criu: Can't create link remap for /mnt/a. Use link-remap option.: %w", vfs.EPERM), criuhost.LinkRemapNeeded},
		{fmt.Errorf("criu: Can't create even fake link!: %w", vfs.EEXIST), criuhost.FakeLinkTaken},
		{vfs.EEXIST, criuhost.NameReused},
		{vfs.EINVAL, criuhost.BadSize},
		{vfs.ENOENT, "errno ENOENT"},
	} {
		if got := criuhost.SimReason(c.err); got != c.want {
			t.Errorf("SimReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	for _, r := range criuhost.Reasons() {
		if r.Errno() == 0 {
			t.Errorf("class %q has no errno", r)
		}
	}
}

func TestNormalize(t *testing.T) {
	st := criuhost.NormalizeStep(script.Step{Op: "tree", Ret: []script.Node{{Path: "d/link_remap.17"}, {Path: "f.cr.1a.ghost"}}}, root)
	if got := st.Ret.([]script.Node); got[0].Path != "d/link_remap.N" || got[1].Path != "f.cr.N.ghost" {
		t.Errorf("tree: %v", got)
	}
	st = criuhost.NormalizeStep(script.Step{Op: "readlink-fd A", Ret: root + "/a.cr_link (deleted)"}, root)
	if st.Ret != "/mnt/a.cr_link (deleted)" {
		t.Errorf("readlink-fd: %v", st.Ret)
	}
	st = criuhost.NormalizeStep(script.Step{Op: "cat link_remap.3", Ret: "link_remap.3"}, root)
	if st.Ret != "link_remap.3" {
		t.Errorf("cat's contents were normalized: %v", st.Ret)
	}
	if s := criuhost.SimStep(script.Step{Line: 3, Op: "checkpoint criu -> I", Ret: "tasks=1", Errno: "EFBIG"}); s.Errno != criuhost.FailErrno || s.Detail != string(criuhost.GhostLimit) || s.Ret != nil {
		t.Errorf("SimStep: %+v", s)
	}
	if s := criuhost.SimStep(script.Step{Line: 3, Op: "restart I", Ret: "tasks=1 files=2"}); s.Ret != criuhost.OK {
		t.Errorf("SimStep: %+v", s)
	}
}

func TestParseScenario(t *testing.T) {
	src := "# x\nopen a creat -> A\ncheckpoint criu link-remap=1 ghost-limit=4194304 -> I\nkill\nls .\nrestart I\nfstat A\n"
	items, err := criuhost.ParseScenario("s.txt", src)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, it := range items {
		lines = append(lines, it.Line())
	}
	if !slices.Equal(lines, []int{2, 3, 4, 5, 6, 7}) {
		t.Errorf("lines %v", lines)
	}
	if sp := items[1].Special; sp == nil || !sp.LinkRemap || sp.GhostLimit != 4194304 || sp.Image != "I" || sp.Src != "checkpoint criu link-remap=1 ghost-limit=4194304 -> I" {
		t.Errorf("checkpoint: %+v", items[1].Special)
	}
	if fss, _ := criuhost.Filesystems(src); !slices.Equal(fss, []string{"tmpfs", "btrfs"}) {
		t.Errorf("a scenario with ls: %v", fss)
	}
	if fss, _ := criuhost.Filesystems("# filesystems: btrfs\nfstat A\n"); !slices.Equal(fss, []string{"btrfs"}) {
		t.Errorf("directive: %v", fss)
	}
	for _, bad := range []string{"checkpoint relink -> I", "checkpoint criu link-remap=2 -> I", "restart I fail=1", "kill now"} {
		if _, err := criuhost.ParseScenario("s.txt", bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
