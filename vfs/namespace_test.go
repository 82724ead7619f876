package vfs_test

import (
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// mount(2)'s errors come in path_mount's order: the filesystem type and
// the bind source are resolved before the target is locked (checked with a
// C probe on Linux 6.18).
func TestMountErrorOrder(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	vfstest.Must(t, tk.Mkdir("/mnt/gone", 0o755))
	vfstest.Must(t, tk.Chdir("/mnt/gone"))
	vfstest.Must(t, tk.Rmdir("/mnt/gone"))
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	for _, c := range []struct {
		name                  string
		source, target, fstyp string
		flags                 vfs.MountFlags
		want                  vfs.Errno
	}{
		{"unknown type on a removed directory", "none", ".", "nosuchfs", 0, vfs.ENODEV},
		{"tmpfs on a removed directory", "none", ".", "tmpfs", 0, vfs.ENOENT},
		{"bind with an empty source", "", ".", "", vfs.MS_BIND, vfs.EINVAL},
		{"bind from a missing source", "/nonexistent", ".", "", vfs.MS_BIND, vfs.ENOENT},
		{"bind onto a removed directory", "/mnt", ".", "", vfs.MS_BIND, vfs.ENOENT},
		{"tmpfs on a file", "none", "/mnt/f", "tmpfs", 0, vfs.ENOTDIR},
		{"bind a file onto a directory", "/mnt/f", "/mnt", "", vfs.MS_BIND, vfs.ENOTDIR},
	} {
		vfstest.WantErrno(t, c.name, tk.Mount(c.source, c.target, c.fstyp, c.flags, ""), c.want)
	}
	vfstest.Must(t, tk.Chdir("/"))
	if n := len(k.Supers()); n != 3 {
		t.Errorf("%d superblocks, want 3 (rootfs, proc, /mnt): a failed mount kept one", n)
	}
}
