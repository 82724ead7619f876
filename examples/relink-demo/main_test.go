package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

var update = flag.Bool("update", false, "rewrite testdata/output.golden")

// The demo is deterministic: its whole output is checked against a golden
// file (regenerate with go test ./examples/relink-demo -update), and its
// key lines one by one, so that a change of the story that loses one says
// which.
func TestDemoOutput(t *testing.T) {
	var b strings.Builder
	if err := demo(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	const golden = "testdata/output.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), out); diff != "" {
		t.Errorf("demo output differs from %s (-want +got):\n%s", golden, diff)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 60 {
		t.Errorf("the demo prints %d lines, want at most 60", len(lines))
	}
	// Each key line must appear, as these fields, in this order.
	for _, must := range [][]string{
		{"open dev/stdin creat,rdonly -> STDIN", "fd 0"},
		{"open dev/stderr creat,wronly -> STDERR", "fd 2"},
		{"open a creat,rdwr -> A_FD", "fd 3", `a_fd = open("a")`},
		{"link a b", `link("a", "b")`},
		{"unlink a", `unlink("a")`},
		{"open a creat,wronly,trunc -> NEW_A", "fd 4", `creat("a")`},
		{"orphans", "[TMP]", "TMP = fd 5"}, // before the checkpoint
		{"checkpoint relink-upstream -> I", "relinked=2 data-bytes=0"},
		{"ls lost+found/checkpoint-1", "relinked-1 .. relinked-2]"},
		{"orphans", "[]"}, // after the relink
		{"kill"},
		{"restart I", "data-bytes=0"},
		{"the same fds again:", "A_FD=3", "TMP=5"},
		{"readlink-fd A_FD", `"/mnt/lost+found/checkpoint-1/relinked-1 (deleted)"`},
		{"orphans", "TMP]"}, // after the restart
		{"write A_FD bar", `write(a_fd, "bar")`},
		{"read B 6", `"foobar"`},
		{"relink-upstream", "0", "0", "yes"},
		{"criu (link-remap)", "65536", "65536", "yes"},
		{"handle", "0", "ESTALE", "-"},
		{"copy", "1114112", "1114112", "no"},
		{"relink (2011 code)", "ENOENT"},
	} {
		found := false
		for len(lines) > 0 && !found {
			found = hasFields(lines[0], must)
			lines = lines[1:]
		}
		if !found {
			t.Errorf("demo output lacks a line %q after the previous key line", must)
		}
	}
	last := "  go run ./cmd/relinksim notebook -fs ext4 -o story.html examples/relink-demo/story.txt"
	if !strings.HasSuffix(out, "\n"+last+"\n") {
		t.Errorf("demo output does not end with %q", last)
	}
}

// hasFields reports whether line holds want's strings in order, the
// first at its start (after the indentation).
func hasFields(line string, want []string) bool {
	line = strings.TrimLeft(line, " ")
	if !strings.HasPrefix(line, want[0]) {
		return false
	}
	for _, w := range want {
		i := strings.Index(line, w)
		if i < 0 {
			return false
		}
		line = line[i+len(w):]
	}
	return true
}

// story.txt runs as relinksim run -fs ext4 runs it: parsed by
// script.Parse, on a fresh ext4 Machine of today's kernel. No op may fail,
// the checks find nothing, and the write through a_fd after the restart
// reaches b.
func TestStoryRuns(t *testing.T) {
	src, err := os.ReadFile("story.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(src) != story {
		t.Fatal("the embedded story differs from story.txt")
	}
	ops, err := script.Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := script.Boot(script.Config{Options: vfs.Options{Era: vfs.Upstream}, FS: "ext4"})
	if err != nil {
		t.Fatal(err)
	}
	var read any
	for _, op := range ops {
		st := m.Step(op)
		if st.Err != nil || st.Errno != "" {
			t.Errorf("line %d: %s: %v%s", st.Line, st.Op, st.Err, st.Errno)
		}
		switch op.Name {
		case "check":
			if v, ok := st.Ret.([]string); !ok || len(v) != 0 {
				t.Errorf("line %d: check: %v", st.Line, st.Ret)
			}
		case "read":
			read = st.Ret
		}
	}
	if read != "foobar" {
		t.Errorf("read B 6 after the restart = %v, want \"foobar\"", read)
	}
	if v := m.Check(); len(v) > 0 {
		t.Errorf("invariants violated: %v", v)
	}
	if err := m.K.Shutdown(); err != nil {
		t.Error(err)
	}
}
