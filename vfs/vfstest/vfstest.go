package vfstest

import (
	"errors"
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// NewKernel boots a kernel for a test. When the test ends, the kernel's
// invariants are checked and it is shut down; any leaked object fails the
// test, named.
func NewKernel(tb testing.TB, opts vfs.Options) *vfs.Kernel {
	tb.Helper()
	k := vfs.NewKernel(opts)
	tb.Cleanup(func() { Finish(tb, k) })
	return k
}

// Finish checks k's invariants, shuts it down and fails tb on leaks. It is
// what NewKernel's cleanup runs; call it directly for kernels made with
// vfs.NewKernel.
func Finish(tb testing.TB, k *vfs.Kernel) {
	tb.Helper()
	if vs := k.CheckInvariants(); len(vs) > 0 {
		tb.Errorf("at the end of the test: %v", vfs.InvariantError(vs))
	}
	if err := k.Shutdown(); err != nil {
		tb.Errorf("leak check: %v", err)
	}
}

// Check fails tb if any invariant is broken.
func Check(tb testing.TB, k *vfs.Kernel) {
	tb.Helper()
	if vs := k.CheckInvariants(); len(vs) > 0 {
		tb.Fatalf("%v", vfs.InvariantError(vs))
	}
}

// MountTmpfs makes dir and mounts a fresh tmpfs on it.
func MountTmpfs(tb testing.TB, t *vfs.Task, dir string) {
	tb.Helper()
	if err := t.Mkdir(dir, 0o755); err != nil {
		tb.Fatalf("mkdir %s: %v", dir, err)
	}
	if err := t.Mount("none", dir, "tmpfs", 0, ""); err != nil {
		tb.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
}

// Must fails tb if err is not nil.
func Must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// Open opens path as t and fails tb on error.
func Open(tb testing.TB, t *vfs.Task, path string, flags int, mode vfs.FileMode) int {
	tb.Helper()
	fd, err := t.Open(path, flags, mode)
	if err != nil {
		tb.Fatal(err)
	}
	return fd
}

// WantErrno fails tb unless err carries want (0 means success).
func WantErrno(tb testing.TB, what string, err error, want vfs.Errno) {
	tb.Helper()
	got := vfs.Errno(0)
	if err != nil {
		got = vfs.ErrnoOf(err)
	}
	if got != want {
		tb.Errorf("%s: got %v, want %v", what, errStr(got), errStr(want))
	}
}

func errStr(e vfs.Errno) string {
	if e == 0 {
		return "success"
	}
	return e.Name()
}

// WantLinkLimit checks a file that has just reached its filesystem's link
// limit (docs/linux-semantics.md §7 fact 12): one more link of path fails with
// EMLINK, wrapped as a *vfs.LinkError, and leaves nlink at limit (seen
// through fd); after spare, one of its names, is unlinked, the link
// succeeds.
func WantLinkLimit(tb testing.TB, t *vfs.Task, fd int, path string, limit uint32, spare string) {
	tb.Helper()
	past := path + "-past-the-limit"
	err := t.Link(path, past)
	WantErrno(tb, "the link past the limit", err, vfs.EMLINK)
	var le *vfs.LinkError
	if err != nil && !errors.As(err, &le) {
		tb.Errorf("the link past the limit: %T, want *vfs.LinkError", err)
	}
	st, err := t.Fstat(fd)
	Must(tb, err)
	if st.Nlink != limit {
		tb.Errorf("nlink after EMLINK %d, want %d", st.Nlink, limit)
	}
	Must(tb, t.Unlink(spare))
	if err := t.Link(path, past); err != nil {
		tb.Errorf("link after an unlink: %v", err)
	}
}
