package vfs_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relinksim/relinksim/vfs"
)

// Written data is tracked per block: with 512-byte blocks a page holds
// eight, and truncating in the middle of a page keeps only the blocks that
// still hold bytes.
func TestAddressSpaceBlocks(t *testing.T) {
	var a vfs.AddressSpace
	a.SetBlockSize(512)
	a.WriteAt([]byte("x"), 0)          // block 0
	a.WriteAt(make([]byte, 600), 1000) // blocks 1..3 (bytes 1000..1599)
	a.WriteAt([]byte("y"), 4095)       // block 7
	a.WriteAt(make([]byte, 2), 8191)   // block 15 and, in the next page, block 16
	a.WriteAt([]byte("z"), 1<<40)      // one block far away
	if got := a.NrBlocks(); got != 8 {
		t.Errorf("%d blocks, want 8", got)
	}
	want := []vfs.Extent{{Off: 0, Len: 2048}, {Off: 3584, Len: 512}, {Off: 7680, Len: 1024}, {Off: 1 << 40, Len: 1}}
	if diff := cmp.Diff(want, a.Extents(1<<40+1)); diff != "" {
		t.Errorf("extents (-want +got):\n%s", diff)
	}
	a.Truncate(1100) // keeps blocks 0..2 of page 0
	if got := a.NrBlocks(); got != 3 {
		t.Errorf("after truncate: %d blocks, want 3", got)
	}
	if diff := cmp.Diff([]vfs.Extent{{Off: 0, Len: 1100}}, a.Extents(1100)); diff != "" {
		t.Errorf("extents after truncate (-want +got):\n%s", diff)
	}
	buf := make([]byte, 4)
	a.WriteAt([]byte("abcd"), 1098)
	if n := a.ReadAt(buf, 1098, 1102); n != 4 || string(buf) != "abcd" {
		t.Errorf("read %q", buf[:n])
	}
	a.Truncate(1099) // the tail of the page reads as zeros after extension
	if n := a.ReadAt(buf, 1098, 1102); n != 4 || string(buf) != "a\x00\x00\x00" {
		t.Errorf("after cutting: %q", buf[:n])
	}
	c := a.Clone()
	c.WriteAt(make([]byte, 1), 4000)
	if a.NrBlocks() != 3 || c.NrBlocks() != 4 || c.BlockSize() != 512 {
		t.Errorf("clone is not independent: %d %d %d", a.NrBlocks(), c.NrBlocks(), c.BlockSize())
	}
}
