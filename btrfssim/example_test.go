package btrfssim_test

import (
	"fmt"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/vfs"
)

// A subvolume of a fresh btrfs has inode numbers of its own, and names do
// not cross it: a link to the top subvolume is EXDEV. A file unlinked while
// open gets an orphan item in its subvolume's tree; a snapshot taken then
// cleans the copy, so the file is not in the snapshot at all.
func Example() {
	k := vfs.NewKernel(vfs.Options{})
	t := k.Init()
	src, err := btrfssim.Setup(btrfssim.MkfsOptions{})(k)
	if err != nil {
		panic(err)
	}
	t.Mkdir("/mnt", 0o755)
	t.Mount(src, "/mnt", "btrfs", 0, "")
	top, _ := t.Open("/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	t.SubvolCreate(top, "s")
	keep, _ := t.Creat("/mnt/s/keep", 0o644)
	gone, _ := t.Creat("/mnt/s/gone", 0o644)
	t.Unlink("/mnt/s/gone")
	fmt.Println("link s/keep keep:", vfs.ErrnoName(t.Link("/mnt/s/keep", "/mnt/keep")))

	s, _ := t.Open("/mnt/s", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	orphans, _ := t.SubvolOrphans(s)
	fmt.Println("orphan items in s:", orphans)
	t.SnapshotCreate(top, "snap", s, false)
	snap, _ := t.Open("/mnt/snap", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	ents, _ := t.ReadDir(snap)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	orphans, _ = t.SubvolOrphans(snap)
	fmt.Println("snap holds", names, "orphan items:", orphans)

	for _, fd := range []int{top, keep, gone, s, snap} {
		t.Close(fd)
	}
	t.Umount("/mnt", 0)
	fmt.Println("invariants:", len(k.CheckInvariants()), "leaks:", k.Shutdown())
	// Output:
	// link s/keep keep: EXDEV
	// orphan items in s: [258]
	// snap holds [. .. keep] orphan items: []
	// invariants: 0 leaks: <nil>
}
