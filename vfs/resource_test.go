package vfs_test

import (
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// RLIMIT_NOFILE as checked on Linux 6.18 (a C probe: setrlimit with
// cur > max is EINVAL, max above fs.nr_open EPERM, a lowered limit leaves
// descriptors above it open but allocates none there, and raising the hard
// limit without CAP_SYS_RESOURCE is EPERM).
func TestRlimitNofile(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	lim, err := tk.Getrlimit(vfs.RLIMIT_NOFILE)
	if err != nil || lim != (vfs.Rlimit{Cur: 1024, Max: vfs.NrOpen}) {
		t.Fatalf("default limit %+v %v", lim, err)
	}
	vfstest.WantErrno(t, "cur > max", tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 20, Max: 10}), vfs.EINVAL)
	vfstest.WantErrno(t, "max > nr_open", tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 10, Max: vfs.NrOpen + 1}), vfs.EPERM)
	vfstest.WantErrno(t, "another resource", tk.Setrlimit(0, vfs.Rlimit{}), vfs.EINVAL)
	_, err = tk.Getrlimit(0)
	vfstest.WantErrno(t, "getrlimit of another resource", err, vfs.EINVAL)

	vfstest.Must(t, tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 3, Max: 3}))
	var fds []int
	for i := 0; i < 3; i++ {
		fds = append(fds, vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644))
	}
	_, err = tk.Open("/mnt/f", vfs.O_RDONLY, 0)
	vfstest.WantErrno(t, "open beyond the limit", err, vfs.EMFILE)
	_, err = tk.Open("", vfs.O_RDONLY, 0)
	vfstest.WantErrno(t, "an empty name beyond the limit (getname comes first)", err, vfs.ENOENT)
	_, err = tk.Dup(fds[0])
	vfstest.WantErrno(t, "dup beyond the limit", err, vfs.EMFILE)

	// Lower the limit under open descriptors: they stay, and a free slot
	// at or above the limit is not used.
	vfstest.Must(t, tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 1, Max: 3}))
	vfstest.Must(t, tk.Close(fds[1]))
	_, err = tk.Open("/mnt/f", vfs.O_RDONLY, 0)
	vfstest.WantErrno(t, "open into slot 1 with limit 1", err, vfs.EMFILE)
	if _, err := tk.Fstat(fds[2]); err != nil {
		t.Errorf("descriptor above a lowered limit: %v", err)
	}
	vfstest.Must(t, tk.Close(fds[0]))
	if fd := vfstest.Open(t, tk, "/mnt/f", vfs.O_RDONLY, 0); fd != 0 {
		t.Errorf("open got %d, want 0", fd)
	}

	// Children inherit the limit; only CAP_SYS_RESOURCE raises the hard one.
	child := tk.Fork()
	if lim, _ := child.Getrlimit(vfs.RLIMIT_NOFILE); lim != (vfs.Rlimit{Cur: 1, Max: 3}) {
		t.Errorf("child's limit %+v", lim)
	}
	child.SetCred(vfs.UserCred(1000, 1000))
	vfstest.WantErrno(t, "user raises the hard limit", child.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 3, Max: 4}), vfs.EPERM)
	vfstest.Must(t, child.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 3, Max: 3}))
	child.Exit()
	vfstest.Must(t, tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: 5000, Max: 5000}))
	for _, fd := range []int{0, fds[2]} {
		vfstest.Must(t, tk.Close(fd))
	}
}
