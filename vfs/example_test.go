package vfs_test

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/relinksim/relinksim/vfs"
)

// The cover letter's program on tmpfs: the descriptor opened on "a" keeps
// its inode after "a" is unlinked and made again, so a write through it
// reaches "b", not the new "a". Errors are Linux errnos, and errors.Is
// matches them against io/fs's sentinels.
func Example() {
	k := vfs.NewKernel(vfs.Options{})
	t := k.Init()
	fd, _ := t.Open("/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	t.Write(fd, []byte("foo"))
	t.Link("/a", "/b")
	t.Unlink("/a")
	nfd, _ := t.Creat("/a", 0o644)
	t.Write(fd, []byte("bar"))

	bfd, _ := t.Open("/b", vfs.O_RDONLY, 0)
	buf := make([]byte, 16)
	n, _ := t.Read(bfd, buf)
	fmt.Printf("b: %q\n", buf[:n])

	err := t.Unlink("/c")
	fmt.Println("unlink c:", vfs.ErrnoName(err))
	fmt.Println(err)
	fmt.Println("not exist:", errors.Is(err, fs.ErrNotExist))
	fmt.Println("link b a:", vfs.ErrnoName(t.Link("/b", "/a")))

	for _, fd := range []int{fd, nfd, bfd} {
		t.Close(fd)
	}
	fmt.Println("invariants:", len(k.CheckInvariants()), "leaks:", k.Shutdown())
	// Output:
	// b: "foobar"
	// unlink c: ENOENT
	// unlink /c: ENOENT (no such file or directory)
	// not exist: true
	// link b a: EEXIST
	// invariants: 0 leaks: <nil>
}
