package btrfssim

import (
	"slices"
	"testing"
)

// treesEqual compares directories by their items, not by the listing
// order a directory keeps for getdents: a listed directory equals its
// unlisted clone, and a changed item makes trees differ.
func TestTreesEqualIgnoresKeptOrder(t *testing.T) {
	a := newFSTree()
	a.dirs[256] = newDirItems()
	a.dirs[256].putIndex(2, dirEntry{Name: "x", Target: 257})
	a.dirs[256].byName["x"] = 2
	b := a.clone()
	if got := a.dirs[256].entries(); len(got) != 1 {
		t.Fatalf("entries %v", got)
	}
	if !treesEqual(a, b) {
		t.Error("a listed directory differs from its unlisted clone")
	}
	b.dirs[256].putIndex(3, dirEntry{Name: "y", Target: 258})
	if treesEqual(a, b) {
		t.Error("an added DIR_INDEX item goes unseen")
	}
	b.dirs[256].delIndex(3)
	b.dirs[256].byName["x"] = 4
	if treesEqual(a, b) {
		t.Error("a changed DIR_ITEM goes unseen")
	}
}

// TestListingKeptFresh: after every change of a directory's DIR_INDEX
// items the kept order is the order a fresh sort gives.
func TestListingKeptFresh(t *testing.T) {
	d := newDirItems()
	want := func() []uint64 {
		var out []uint64
		for idx := range uint64(64) {
			if _, ok := d.byIndex[idx]; ok {
				out = append(out, idx)
			}
		}
		return out
	}
	for i := range uint64(200) {
		idx := (i * 37) % 64
		if _, ok := d.byIndex[idx]; ok {
			d.delIndex(idx)
		} else {
			d.putIndex(idx, dirEntry{Name: "n", Target: 300 + i})
		}
		if got := d.entries(); !slices.Equal(got, want()) {
			t.Fatalf("after change %d: kept %v, fresh %v", i, got, want())
		}
	}
}
