package vfssvg_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ckpt" // checkpoint, kill, restart, backup, migrate
	_ "github.com/relinksim/relinksim/ext4sim"
	_ "github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
	"github.com/relinksim/relinksim/vfs/vfsdraw/vfssvg"
)

// Every step of the repository's scripts — the kernel scenarios, the real
// CRIU scenarios and the zdtm scripts — drawn on ext4 parses and renders
// to SVG with Graphviz (in pure Go). A script over 300 lines is left out
// (ghost_multi_hole00's thousands of writes draw the same picture).
func TestEveryStepRenders(t *testing.T) {
	ctx := context.Background()
	r, err := vfssvg.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var paths []string
	for _, glob := range []string{"../../../script/testdata/scenarios/*.txt", "../../../ckpt/testdata/criu/*.txt", "../../../ckpt/testdata/zdtm/*.txt"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	pictures := 0
	for _, p := range paths {
		if filepath.Base(p) == "verdicts.txt" {
			continue // the zdtm verdicts, not a script
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Count(src, []byte("\n")) > 300 {
			continue
		}
		text := strings.ReplaceAll(string(src), "checkpoint STRATEGY", "checkpoint relink-upstream")
		ops, err := script.Parse(text)
		if err != nil && strings.Contains(err.Error(), `unknown op "zdtm-`) {
			continue // ops only ckpt's zdtm test registers
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		m, err := script.Boot(script.Config{FS: "ext4", Options: vfs.Options{Era: vfs.Upstream}})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			st := m.Step(op)
			if st.Err != nil {
				break // an op this machine cannot run (a real-kernel-only scenario): stop drawing it
			}
			svg, err := r.SVG(ctx, []byte(vfsdraw.DOT(m.K, vfsdraw.Options{Title: st.Op})))
			if err != nil {
				t.Fatalf("%s:%d (%s): %v", p, op.Line, st.Op, err)
			}
			if !bytes.Contains(svg, []byte("<svg")) {
				t.Fatalf("%s:%d: no SVG", p, op.Line)
			}
			pictures++
		}
	}
	if pictures < 1000 {
		t.Fatalf("only %d pictures rendered", pictures)
	}
	t.Logf("%d pictures of %d scripts rendered", pictures, len(paths))
}

// A broken DOT is an error, not a picture.
func TestBrokenDOTFails(t *testing.T) {
	ctx := context.Background()
	r, err := vfssvg.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.SVG(ctx, []byte("digraph { a -> ")); err == nil {
		t.Fatal("a truncated graph rendered")
	}
}

// positions reads the nodes' positions from Layout's output.
func positions(t *testing.T, layout []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	stmt := regexp.MustCompile(`(?s)\n\t(\w+)\s+\[(.*?)\];`)
	pos := regexp.MustCompile(`\bpos="([^"]*)"`)
	for _, m := range stmt.FindAllSubmatch(layout, -1) {
		name := string(m[1])
		if name == "graph" || name == "node" || name == "edge" {
			continue
		}
		if p := pos.FindSubmatch(m[2]); p != nil {
			out[name] = string(p[1])
		}
	}
	if len(out) == 0 {
		t.Fatalf("no node positions in the layout:\n%s", layout)
	}
	return out
}

// The seed's story on ext4 — open, unlink, checkpoint, kill, restart —
// drawn step by step: with Stable every object stays where it is from one
// step to the next; without it, objects move (so the check can fail).
func TestStableLayout(t *testing.T) {
	ctx := context.Background()
	r, err := vfssvg.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := script.Boot(script.Config{FS: "ext4", Options: vfs.Options{Era: vfs.Relink2011}})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := script.Parse(`open a creat,rdwr -> A
write A hello
open b creat,rdwr -> B
link a keep
unlink a
unlink b
checkpoint relink -> I
kill
restart I
close A
`)
	if err != nil {
		t.Fatal(err)
	}
	var pictures []string
	for _, op := range ops {
		st := m.Step(op)
		if st.Err != nil || st.Errno != "" {
			t.Fatalf("%s", st.Describe())
		}
		pictures = append(pictures, vfsdraw.DOT(m.K, vfsdraw.Options{Title: st.Op}))
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatal(err)
	}
	layouts := func(pics []string) []map[string]string {
		var out []map[string]string
		for i, p := range pics {
			l, err := r.Layout(ctx, []byte(p))
			if err != nil {
				t.Fatalf("step %d: %v", i+1, err)
			}
			out = append(out, positions(t, l))
		}
		return out
	}
	moved := func(ls []map[string]string) (string, bool) {
		for i := 1; i < len(ls); i++ {
			for id, p := range ls[i] {
				if q, ok := ls[i-1][id]; ok && q != p {
					return fmt.Sprintf("%s moves from %s to %s at step %d", id, q, p, i+1), true
				}
			}
		}
		return "", false
	}
	if _, ok := moved(layouts(pictures)); !ok {
		t.Fatal("objects stay in place even without Stable: the test shows nothing")
	}
	stable := layouts(vfsdraw.Stable(pictures))
	if why, ok := moved(stable); ok {
		t.Fatalf("with Stable: %s", why)
	}
	for i := range stable {
		if len(stable[i]) != len(stable[0]) {
			t.Fatalf("step %d lays out %d nodes, step 1 %d", i+1, len(stable[i]), len(stable[0]))
		}
	}
	// Every stable picture still renders.
	for i, p := range vfsdraw.Stable(pictures) {
		if _, err := r.SVG(ctx, []byte(p)); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}
}
