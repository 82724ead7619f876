package vfs_test

import (
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// After ForceReadOnly a filesystem refuses every change through the VFS
// (EROFS from mnt_want_write), its own write_iter refuses writes through
// descriptors opened before (WriteChecker), reads go on, and the
// name-counting invariants stop applying to it while the reference counts
// still do (the leak check at the end). btrfssim's transaction abort uses
// it; its scenarios check the rest against the real kernel.
func TestForceReadOnlyAfterAnError(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	_, err := tk.Write(fd, []byte("data"))
	must(t, err)
	sb, err := tk.SuperblockOf("/mnt")
	must(t, err)
	if sb.Failed() || sb.ReadOnly() {
		t.Fatal("a fresh superblock has failed")
	}
	sb.ForceReadOnly()
	if !sb.Failed() || !sb.ReadOnly() {
		t.Fatal("ForceReadOnly did not stick")
	}
	wantErrno(t, "mkdir", tk.Mkdir("/mnt/d", 0o755), vfs.EROFS)
	wantErrno(t, "unlink", tk.Unlink("/mnt/f"), vfs.EROFS)
	_, err = tk.Open("/mnt/f", vfs.O_RDWR, 0)
	wantErrno(t, "open for writing", err, vfs.EROFS)
	r := mustOpen(t, tk, "/mnt/f", vfs.O_RDONLY, 0)
	buf := make([]byte, 8)
	n, err := tk.Read(r, buf)
	must(t, err)
	if string(buf[:n]) != "data" {
		t.Errorf("read %q after the failure", buf[:n])
	}
	// tmpfs has no WriteChecker: a descriptor opened for writing before
	// still writes, as it does on Linux for a filesystem forced
	// read-only without one.
	_, err = tk.Write(fd, []byte("more"))
	must(t, err)
}
