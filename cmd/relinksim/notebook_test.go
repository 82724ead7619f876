package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relinksim notebook on a script, on a race (library name and file), and
// explore -notebook; the usage errors name the flag.
func TestNotebookCommand(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "s.txt")
	if err := os.WriteFile(src, []byte("open a creat,rdwr -> A\nunlink a\ndraw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	out := filepath.Join(dir, "s.html")
	if r := invoke([]string{"notebook", "-fs", "ext4", "-o", out, src}, ""); r.code != 0 {
		t.Fatalf("script: exit %d: %s", r.code, r.errOut)
	}
	if p := read(out); strings.Count(p, "<svg") != 1 || !strings.Contains(p, "(the picture below)") {
		t.Errorf("a script with one draw op has %d pictures", strings.Count(p, "<svg"))
	}
	race := filepath.Join(dir, "r.html")
	if r := invoke([]string{"notebook", "-fs", "ext4", "-era", "pre2007", "-o", race, "link-unlink-2007"}, ""); r.code != 0 {
		t.Fatalf("race: exit %d: %s", r.code, r.errOut)
	}
	if p := read(race); !strings.Contains(p, `<table class="timeline">`) || !strings.Contains(p, "a check failed") {
		t.Errorf("the race's page has no timeline or no failure:\n%.500s", p)
	}
	file := filepath.Join(dir, "f.html")
	if r := invoke([]string{"notebook", "-era", "upstream", "-o", file, "../../race/testdata/link-unlink-2007.scenario"}, ""); r.code != 0 {
		t.Fatalf("scenario file: exit %d: %s", r.code, r.errOut)
	}
	if p := read(file); !strings.Contains(p, "no check failed") || !strings.Contains(p, "-schedule A") {
		t.Errorf("the fixed era's page:\n%.500s", p)
	}
	ex := filepath.Join(dir, "e.html")
	if r := invoke([]string{"explore", "-era", "pre2007", "-notebook", ex, "link-unlink-2007"}, ""); r.code != 1 {
		t.Fatalf("explore: exit %d: %s", r.code, r.errOut)
	}
	if p := read(ex); !strings.Contains(p, `<tr class="failed">`) {
		t.Error("explore -notebook: the failing step is not marked")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"notebook", "-o", out, "-schedule", "AB", src}, "-schedule is for a race"},
		{[]string{"notebook", "-o", out, "-bound", "-1", "link-unlink-2007"}, "-bound -1"},
		{[]string{"notebook", "-era", "pre2007", "-o", out, "-schedule", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "link-unlink-2007"}, "does not replay"},
	} {
		if r := invoke(c.args, ""); r.code != 2 || !strings.Contains(r.errOut, c.want) {
			t.Errorf("%v: exit %d, %q (want 2 and %q)", c.args, r.code, r.errOut, c.want)
		}
	}
}
