package vfs_test

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// The io/fs view of a populated simulated mount passes testing/fstest.TestFS.
func TestFSViewPassesFstest(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	for _, d := range []string{"/mnt/dir", "/mnt/dir/sub", "/mnt/empty"} {
		must(t, tk.Mkdir(d, 0o755))
	}
	files := map[string]string{
		"/mnt/a.txt":         "alpha",
		"/mnt/dir/b.txt":     "bravo bravo",
		"/mnt/dir/sub/c.bin": "\x00\x01\x02",
		"/mnt/empty.txt":     "",
	}
	for p, data := range files {
		fd := mustOpen(t, tk, p, vfs.O_CREAT|vfs.O_WRONLY, 0o644)
		_, err := tk.Write(fd, []byte(data))
		must(t, err)
		must(t, tk.Close(fd))
	}
	must(t, tk.Link("/mnt/a.txt", "/mnt/dir/hardlink.txt"))
	must(t, tk.Symlink("sub/c.bin", "/mnt/dir/link"))
	fd := mustOpen(t, tk, "/mnt/sparse", vfs.O_CREAT|vfs.O_WRONLY, 0o644)
	_, err := tk.Pwrite(fd, []byte("end"), 3*vfs.PageSize+5)
	must(t, err)
	must(t, tk.Close(fd))

	fsys := tk.FS("/mnt")
	if err := fstest.TestFS(fsys, "a.txt", "dir/b.txt", "dir/sub/c.bin", "dir/hardlink.txt", "dir/link", "empty.txt", "sparse", "empty"); err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(fsys, "dir/link")
	if err != nil || string(data) != "\x00\x01\x02" {
		t.Errorf("reading through the symlink: %q %v", data, err)
	}
	if _, err := fs.ReadFile(fsys, "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := fsys.Open("../etc"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("invalid name: %v", err)
	}
}

// Our tmpfs passes the conformance suite every filesystem runs.
func TestTmpfsConformance(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "tmpfs"})
}
