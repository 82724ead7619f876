package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relinksim run -dot DIR draws every step: the cover letter's unlinked
// dentry appears after the unlink and not before.
func TestRunDot(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "s.txt")
	if err := os.WriteFile(src, []byte("open a creat,rdwr -> A\nlink a b\nunlink a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dot")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := invoke([]string{"run", "-fs", "ext4", "-dot", out, src}, ""); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s := read("step-0002.dot"); strings.Contains(s, "(unlinked)") || !strings.Contains(s, "dentry /b") {
		t.Errorf("after link:\n%s", s)
	}
	if s := read("step-0003.dot"); !strings.Contains(s, "dentry /a\\n(unlinked)") || !strings.Contains(s, `label="line 3: unlink a"`) {
		t.Errorf("after unlink:\n%s", s)
	}
	if s := read("step-0003.svg"); !strings.Contains(s, "<svg") || !strings.Contains(s, "unlinked") {
		t.Errorf("the SVG of step 3:\n%.300s", s)
	}
	if r := invoke([]string{"run", "-dot", filepath.Join(dir, "missing"), src}, ""); r.code != 2 || !strings.Contains(r.errOut, "-dot") {
		t.Errorf("a missing -dot directory: exit %d, %q", r.code, r.errOut)
	}
}
