package vfssvg_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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
