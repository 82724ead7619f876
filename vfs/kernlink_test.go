package vfs_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// do_kern_linkat (the seed's patch 03) links an open file's f_path, which
// no path string can name once the file is unlinked. Under the 2011 relink
// era the VFS has no nlink check, so it gives the unlinked inode a name
// again and its data is reachable through it; upstream refuses the same
// call with ENOENT (vfs_link's check), wrapped once as a *LinkError naming
// do_kern_linkat. The new name obeys the usual rules either way: EEXIST
// for a taken name, EXDEV on another mount. The caller's references are
// its own: the path is still usable afterwards and the leak check (run by
// vfstest at the end) finds nothing.
func TestKernLinkatRelinksAnOpenFile(t *testing.T) {
	for _, c := range []struct {
		era  vfs.Era
		want vfs.Errno
	}{
		{vfs.Relink2011, 0},
		{vfs.Upstream, vfs.ENOENT},
	} {
		t.Run(c.era.String(), func(t *testing.T) {
			_, tk := boot(t, vfs.Options{Era: c.era})
			fd := openUnlinked(t, tk, "a")
			f, err := tk.File(fd)
			must(t, err)
			old := f.Path()

			must(t, tk.Mkdir("/other", 0o755))
			wantErrno(t, "relink onto another mount", tk.KernLinkat(old, vfs.AT_FDCWD, "/other/x"), vfs.EXDEV)
			mustOpen(t, tk, "/mnt/taken", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			wantErrno(t, "relink onto a taken name", tk.KernLinkat(old, vfs.AT_FDCWD, "/mnt/taken"), vfs.EEXIST)

			err = tk.KernLinkat(old, vfs.AT_FDCWD, "/mnt/relinked")
			if c.want != 0 {
				wantErrno(t, "relink of an unlinked file", err, c.want)
				var le *vfs.LinkError
				if !errors.As(err, &le) || le.Op != "do_kern_linkat" {
					t.Errorf("error %#v, want a *LinkError from do_kern_linkat", err)
				}
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
				}
				return
			}
			must(t, err)
			st, err := tk.Stat("/mnt/relinked")
			must(t, err)
			if st.Nlink != 1 || st.Size != 4 {
				t.Errorf("relinked file: nlink %d size %d, want 1 and 4", st.Nlink, st.Size)
			}
			r := mustOpen(t, tk, "/mnt/relinked", vfs.O_RDONLY, 0)
			buf := make([]byte, 8)
			n, err := tk.Read(r, buf)
			must(t, err)
			if string(buf[:n]) != "data" {
				t.Errorf("relinked file holds %q, want the open file's data", buf[:n])
			}
			// The caller's path still works: a second name.
			must(t, tk.KernLinkat(f.Path(), vfs.AT_FDCWD, "/mnt/again"))
			if st, _ := tk.Stat("/mnt/again"); st.Nlink != 2 {
				t.Errorf("after a second relink nlink %d, want 2", st.Nlink)
			}
		})
	}
}
