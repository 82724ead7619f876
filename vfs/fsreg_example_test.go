package vfs_test

import (
	"fmt"

	_ "github.com/relinksim/relinksim/btrfssim" // registers "btrfs"
	_ "github.com/relinksim/relinksim/ext4sim"  // registers "ext4"
	"github.com/relinksim/relinksim/vfs"
)

// Three filesystems on one kernel, each made by its registry entry on a
// device of its own, and a link between two of them refused as on Linux.
func ExampleLookupFS() {
	k := vfs.NewKernel(vfs.Options{})
	t := k.Init()
	for _, name := range []string{"tmpfs", "ext4", "btrfs"} {
		fi, err := vfs.LookupFS(name)
		if err != nil {
			panic(err)
		}
		src, err := fi.Setup(k, "")
		if err != nil {
			panic(err)
		}
		if err := t.Mkdir("/"+name, 0o755); err != nil {
			panic(err)
		}
		if err := t.Mount(src, "/"+name, name, 0, ""); err != nil {
			panic(err)
		}
		fmt.Printf("%s from %s\n", name, src)
	}
	fd, _ := t.Open("/ext4/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	fmt.Println("link across filesystems:", vfs.ErrnoName(t.Link("/ext4/f", "/btrfs/f")))
	t.Close(fd)
	for _, name := range []string{"tmpfs", "ext4", "btrfs"} {
		t.Umount("/"+name, 0)
	}
	fmt.Println("invariants:", len(k.CheckInvariants()), "leaks:", k.Shutdown())
	// Output:
	// tmpfs from none
	// ext4 from /dev/loop0
	// btrfs from /dev/loop1
	// link across filesystems: EXDEV
	// invariants: 0 leaks: <nil>
}
