package vfs_test

import (
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// chown(path, -1, -1) still goes through notify_change: it clears setuid
// (and setgid where setattr_should_drop_sgid says so) on non-directories,
// even on an immutable file, and a caller who may not change the mode gets
// EPERM. Each line was checked with a C probe on Linux 6.18's tmpfs.
func TestChownWithoutIDsDropsSetuid(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	file := func(name string, mode vfs.FileMode, uid, gid uint32) {
		vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/"+name, vfs.O_CREAT|vfs.O_RDWR, 0o644)))
		vfstest.Must(t, tk.Chown("/mnt/"+name, uid, gid))
		vfstest.Must(t, tk.Chmod("/mnt/"+name, mode))
	}
	file("f", vfs.S_ISUID|0o755, 0, 0)
	file("g", 0o644, 0, 0)
	file("i", vfs.S_ISUID|0o755, 0, 0)
	file("r", vfs.S_ISUID|0o755, 0, 0)
	file("s", vfs.S_ISGID|0o644, 1000, 0)
	fd := vfstest.Open(t, tk, "/mnt/i", vfs.O_RDONLY, 0)
	vfstest.Must(t, tk.SetInodeFlags(fd, vfs.S_IMMUTABLE))
	const none = ^uint32(0)
	mode := func(name string) vfs.FileMode {
		st, err := tk.Stat("/mnt/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode & vfs.S_IALLUGO
	}

	vfstest.Must(t, tk.Chown("/mnt/i", none, none))
	vfstest.WantErrno(t, "chown of an immutable file to a new owner", tk.Chown("/mnt/i", 1, none), vfs.EPERM)
	vfstest.Must(t, tk.Chown("/mnt/r", none, none))
	user := tk.Fork()
	user.SetCred(vfs.UserCred(1000, 1000))
	vfstest.WantErrno(t, "a user's chown(-1, -1) of root's setuid file", user.Chown("/mnt/f", none, none), vfs.EPERM)
	vfstest.Must(t, user.Chown("/mnt/g", none, none))
	vfstest.Must(t, user.Chown("/mnt/s", none, none))
	user.Exit()
	for _, c := range []struct {
		name string
		want vfs.FileMode
	}{{"i", 0o755}, {"r", 0o755}, {"f", vfs.S_ISUID | 0o755}, {"g", 0o644}, {"s", 0o644}} {
		if got := mode(c.name); got != c.want {
			t.Errorf("%s: mode %#o, want %#o", c.name, got, c.want)
		}
	}
	vfstest.Must(t, tk.SetInodeFlags(fd, 0))
	vfstest.Must(t, tk.Close(fd))
}
