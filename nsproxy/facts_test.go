package nsproxy_test

import (
	"strconv"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// kernelWith boots a kernel with namespace operations and a fresh
// filesystem fs mounted at /mnt; the test ends with its invariant and
// leak checks.
func kernelWith(t *testing.T, fs string) (*vfs.Kernel, *vfs.Task) {
	t.Helper()
	k := vfstest.NewKernel(t, vfs.Options{})
	nsproxy.Enable(k)
	fi, err := vfs.LookupFS(fs)
	vfstest.Must(t, err)
	src, err := fi.Setup(k, "")
	vfstest.Must(t, err)
	tk := k.Init()
	vfstest.Must(t, tk.Mkdir("/mnt", 0o755))
	vfstest.Must(t, tk.Mount(src, "/mnt", fs, 0, ""))
	return k, tk
}

// Reference: docs/linux-semantics.md §7 fact 15, §5 (copy_mnt_ns copies
// the whole tree; do_linkat compares vfsmounts): a descriptor opened before
// unshare(CLONE_NEWNS) keeps the old namespace's mount, so linking it into
// the new namespace is EXDEV in both linkat forms, while a path-only link
// in the new namespace works; after setns back into the old namespace the
// same link succeeds.
func TestFact15UnshareThenLinkIsEXDEVUntilSetnsBack(t *testing.T) {
	for _, fs := range []string{"tmpfs", "ext4", "btrfs"} {
		t.Run(fs, func(t *testing.T) {
			k, tk := kernelWith(t, fs)
			fd := vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			old := vfstest.Open(t, tk, "/proc/self/ns/mnt", vfs.O_RDONLY, 0)
			before := tk.MountNamespace()
			vfstest.Must(t, tk.Unshare(vfs.CLONE_NEWNS))
			if tk.MountNamespace() == before {
				t.Fatal("unshare(CLONE_NEWNS) left the task in its namespace")
			}
			vfstest.WantErrno(t, "AT_EMPTY_PATH link into the new namespace", tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/x", vfs.AT_EMPTY_PATH), vfs.EXDEV)
			vfstest.WantErrno(t, "/proc/self/fd link into the new namespace", tk.Linkat(vfs.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), vfs.AT_FDCWD, "/mnt/x", vfs.AT_SYMLINK_FOLLOW), vfs.EXDEV)
			vfstest.WantErrno(t, "path-only link in the new namespace", tk.Link("/mnt/f", "/mnt/y"), 0)
			vfstest.Must(t, tk.Setns(old, vfs.CLONE_NEWNS))
			if tk.MountNamespace() != before {
				t.Fatal("setns did not bring the task back")
			}
			vfstest.WantErrno(t, "AT_EMPTY_PATH link after setns back", tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/x", vfs.AT_EMPTY_PATH), 0)
			vfstest.Check(t, k)
			vfstest.Must(t, tk.Close(old))
			vfstest.Must(t, tk.Close(fd))
		})
	}
}

// Reference: docs/linux-semantics.md §7 fact 16, §5 (mntns_install):
// setns(mntns_fd, CLONE_NEWNS) without CAP_SYS_ADMIN is EPERM; from a task
// whose fs_struct another task shares (CLONE_FS) it is EINVAL; with a
// mismatched nstype (CLONE_NEWUTS) it is EINVAL.
func TestFact16SetnsErrors(t *testing.T) {
	k, tk := kernelWith(t, "tmpfs")
	ns := vfstest.Open(t, tk, "/proc/self/ns/mnt", vfs.O_RDONLY, 0)
	vfstest.WantErrno(t, "mismatched nstype", tk.Setns(ns, vfs.CLONE_NEWUTS), vfs.EINVAL)
	vfstest.WantErrno(t, "nstype 0", tk.Setns(ns, 0), 0)
	// A task sharing its fs_struct (a thread, in Linux) cannot enter.
	thread, err := tk.Clone(vfs.CLONE_FS | vfs.CLONE_FILES)
	vfstest.Must(t, err)
	vfstest.WantErrno(t, "shared fs_struct", tk.Setns(ns, vfs.CLONE_NEWNS), vfs.EINVAL)
	vfstest.WantErrno(t, "shared fs_struct, the other task", thread.Setns(ns, vfs.CLONE_NEWNS), vfs.EINVAL)
	thread.Exit()
	// Without CAP_SYS_ADMIN.
	user, err := tk.Clone(0)
	vfstest.Must(t, err)
	user.SetCred(vfs.UserCred(65534, 65534))
	vfstest.WantErrno(t, "no CAP_SYS_ADMIN", user.Setns(ns, vfs.CLONE_NEWNS), vfs.EPERM)
	vfstest.WantErrno(t, "unshare without CAP_SYS_ADMIN", user.Unshare(vfs.CLONE_NEWNS), vfs.EPERM)
	_, err = user.Clone(vfs.CLONE_NEWNS)
	vfstest.WantErrno(t, "clone(CLONE_NEWNS) without CAP_SYS_ADMIN", err, vfs.EPERM)
	user.Exit()
	// Not a namespace file, and a closed descriptor.
	vfstest.WantErrno(t, "a directory", tk.Setns(vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0), 0), vfs.EINVAL)
	vfstest.WantErrno(t, "a closed descriptor", tk.Setns(99, 0), vfs.EBADF)
	vfstest.Check(t, k)
}
