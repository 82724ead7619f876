package vfstest

import (
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
