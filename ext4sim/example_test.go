package ext4sim_test

import (
	"fmt"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/vfs"
)

// A fresh ext4 (mkfs.ext4's defaults for 128 MiB) mounted on /mnt. Two
// files are unlinked while open: each goes on the on-disk orphan list,
// newest first, and leaves it at its last close.
func Example() {
	k := vfs.NewKernel(vfs.Options{})
	t := k.Init()
	src, err := ext4sim.Setup(ext4sim.MkfsOptions{})(k)
	if err != nil {
		panic(err)
	}
	t.Mkdir("/mnt", 0o755)
	if err := t.Mount(src, "/mnt", "ext4", 0, ""); err != nil {
		panic(err)
	}
	var fds []int
	for _, name := range []string{"/mnt/a", "/mnt/b"} {
		fd, _ := t.Open(name, vfs.O_CREAT|vfs.O_RDWR, 0o644)
		st, _ := t.Fstat(fd)
		t.Unlink(name)
		fmt.Printf("%s: inode %d, unlinked while open\n", name, st.Ino)
		fds = append(fds, fd)
	}
	orphans, _, _ := t.OnDiskOrphans("/mnt")
	fmt.Println("orphans:", orphans)
	t.Close(fds[0])
	orphans, _, _ = t.OnDiskOrphans("/mnt")
	fmt.Println("after closing a:", orphans)
	t.Close(fds[1])
	t.Umount("/mnt", 0)
	fmt.Println("invariants:", len(k.CheckInvariants()), "leaks:", k.Shutdown())
	// Output:
	// /mnt/a: inode 12, unlinked while open
	// /mnt/b: inode 13, unlinked while open
	// orphans: [13 12]
	// after closing a: [13]
	// invariants: 0 leaks: <nil>
}
