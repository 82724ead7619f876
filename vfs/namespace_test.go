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

// fs.mount-max (count_mounts): a namespace holds at most MountMax mounts;
// the next mount or bind mount fails with ENOSPC and leaves nothing
// behind, and an unmount makes room again.
func TestMountMax(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{MountMax: 50})
	tk := k.Init()
	vfstest.Must(t, tk.Mkdir("/d", 0o755))
	base := len(tk.MountNamespace().Mounts())
	for range 50 - base {
		vfstest.Must(t, tk.Mount("/d", "/d", "", vfs.MS_BIND, ""))
	}
	vfstest.WantErrno(t, "a bind mount past fs.mount-max", tk.Mount("/d", "/d", "", vfs.MS_BIND, ""), vfs.ENOSPC)
	vfstest.WantErrno(t, "a new mount past fs.mount-max", tk.Mount("none", "/d", "tmpfs", 0, ""), vfs.ENOSPC)
	if n := len(tk.MountNamespace().Mounts()); n != 50 {
		t.Fatalf("%d mounts after the refused ones, want 50", n)
	}
	vfstest.Must(t, tk.Umount("/d", 0))
	vfstest.Must(t, tk.Mount("none", "/d", "tmpfs", 0, ""))
	vfstest.Must(t, tk.Umount("/d", 0))
	for range 50 - base - 1 {
		vfstest.Must(t, tk.Umount("/d", 0))
	}
	if n := len(tk.MountNamespace().Mounts()); n != base {
		t.Fatalf("%d mounts after unmounting the stack, want %d", n, base)
	}
	// A recursive bind counts every mount it copies: /t with two mounts
	// under it is three.
	for _, d := range []string{"/t", "/u"} {
		vfstest.Must(t, tk.Mkdir(d, 0o755))
	}
	vfstest.Must(t, tk.Mount("none", "/t", "tmpfs", 0, ""))
	for _, d := range []string{"/t/a", "/t/b"} {
		vfstest.Must(t, tk.Mkdir(d, 0o755))
		vfstest.Must(t, tk.Mount("none", d, "tmpfs", 0, ""))
	}
	for range 48 - base - 3 {
		vfstest.Must(t, tk.Mount("/d", "/d", "", vfs.MS_BIND, ""))
	}
	vfstest.WantErrno(t, "a recursive bind of 3 mounts into 48 of 50", tk.Mount("/t", "/u", "", vfs.MS_BIND|vfs.MS_REC, ""), vfs.ENOSPC)
	vfstest.Must(t, tk.Mount("/t", "/u", "", vfs.MS_BIND, ""))
	if n := len(tk.MountNamespace().Mounts()); n != 49 {
		t.Fatalf("%d mounts, want 49", n)
	}
}

// The default is Linux's: 100,000.
func TestMountMaxDefault(t *testing.T) {
	if vfs.DefaultMountMax != 100_000 {
		t.Fatal(vfs.DefaultMountMax)
	}
}

// A walk through a stack of mounts costs the same at any height (issue 15:
// 20,000 stacked binds took 16.6 s): the steps from mount to mount
// (IOStats.MountSteps) of a stat through the stack and of ".." out of it
// are counted at height 1 and at height 20,000, and must be equal.
func TestStackedMountsCostNoMoreThanOne(t *testing.T) {
	lookups := func(height int) (stat, dotdot uint64) {
		k := vfstest.NewKernel(t, vfs.Options{})
		tk := k.Init()
		vfstest.Must(t, tk.Mkdir("/d", 0o755))
		vfstest.Must(t, tk.Mkdir("/d/x", 0o755))
		for range height {
			vfstest.Must(t, tk.Mount("/d", "/d", "", vfs.MS_BIND, ""))
		}
		before := k.Stats().MountSteps
		if _, err := tk.Stat("/d/x"); err != nil {
			t.Fatal(err)
		}
		mid := k.Stats().MountSteps
		vfstest.Must(t, tk.Chdir("/d"))
		if _, err := tk.Stat(".."); err != nil {
			t.Fatal(err)
		}
		after := k.Stats().MountSteps
		vfstest.Must(t, tk.Chdir("/"))
		for range height {
			vfstest.Must(t, tk.Umount("/d", 0))
		}
		return mid - before, after - mid
	}
	s1, d1 := lookups(1)
	s2, d2 := lookups(20_000)
	if s1 != s2 || d1 != d2 {
		t.Errorf("mount steps of a stat through a stack of 1: %d, of 20,000: %d; of its \"..\": %d and %d", s1, s2, d1, d2)
	}
}
