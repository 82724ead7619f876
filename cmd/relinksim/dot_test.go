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

// A script with draw ops is drawn at them only; the pictures share one
// layout (an object that is not there yet is declared invisible).
func TestRunDotAtDrawOps(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "s.txt")
	if err := os.WriteFile(src, []byte("open a creat,rdwr -> A\ndraw before\nlink a b\nunlink a\ndraw after the unlink\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r := invoke([]string{"run", "-fs", "ext4", "-dot", out, src}, "")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if !strings.Contains(r.out, `"op":"draw after the unlink","ret":["digraph relinksim {"`) {
		t.Errorf("the draw op's result is not the DOT:\n%.400s", r.out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "step-0002.dot step-0002.svg step-0005.dot step-0005.svg" {
		t.Fatalf("pictures written: %v", names)
	}
	before, err := os.ReadFile(filepath.Join(out, "step-0002.dot"))
	if err != nil {
		t.Fatal(err)
	}
	// "b" does not exist yet, but has its place.
	if !strings.Contains(string(before), `label="dentry /b\nrefs=0", shape=note, style=invis, width=`) {
		t.Errorf("before the link, b's dentry is not held invisible:\n%s", before)
	}
}
