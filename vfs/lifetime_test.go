package vfs_test

import (
	"errors"
	"io/fs"
	"runtime"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// An open file keeps an unlinked inode alive; the last close evicts it.
func TestUnlinkedInodeLivesUntilLastClose(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	var events []string
	k.SetTracer(func(e vfs.Event) {
		if e.Func == "fs/inode.c:evict" {
			events = append(events, e.Msg)
		}
	})
	fd := openUnlinked(t, tk, "f")
	dup, err := tk.Dup(fd)
	must(t, err)
	must(t, tk.Close(fd))
	if len(events) != 0 {
		t.Fatalf("evicted while a descriptor is open: %v", events)
	}
	buf := make([]byte, 4)
	n, err := tk.Pread(dup, buf, 0)
	must(t, err)
	if string(buf[:n]) != "data" {
		t.Errorf("read %q from the unlinked file", buf[:n])
	}
	vfstest.Check(t, k)
	must(t, tk.Close(dup))
	if len(events) != 1 || !strings.Contains(events[0], "nlink 0") {
		t.Errorf("evictions after the last close: %v, want one of an nlink-0 inode", events)
	}
	k.SetTracer(nil)
}

// A removed directory whose child is held open stays alive: the child's
// dentry holds its parent.
func TestRemovedDirectoryWithOpenChildStaysAlive(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	must(t, tk.Mkdir("/mnt/d", 0o755))
	fd := mustOpen(t, tk, "/mnt/d/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	must(t, tk.Unlink("/mnt/d/f"))
	must(t, tk.Rmdir("/mnt/d"))
	f, err := tk.File(fd)
	must(t, err)
	parent := f.Dentry().Parent()
	if !parent.Unlinked() || parent.Refs() != 1 || parent.Inode() == nil || parent.Inode().Nlink() != 0 {
		t.Errorf("the removed parent: unlinked %v, refs %d, inode %v", parent.Unlinked(), parent.Refs(), parent.Inode())
	}
	if got := tk.DPath(f.Path()); got != "/mnt/d/f (deleted)" {
		t.Errorf("d_path %q", got)
	}
	vfstest.Check(t, k)
}

// A reference taken and never dropped is reported by name at shutdown and
// by the invariant checker before.
func TestDeliberateLeakIsReported(t *testing.T) {
	k := vfs.NewKernel(vfs.Options{})
	tk := k.Init()
	fd := mustOpen(t, tk, "/leaky", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	f, err := tk.File(fd)
	must(t, err)
	vfs.Fget(f) // the leak: nobody will drop this reference
	must(t, tk.Close(fd))
	vs := k.CheckInvariants()
	if len(vs) != 1 || vs[0].Name != "V8" || !strings.Contains(vs[0].Detail, "/leaky") {
		t.Errorf("invariants after the leak: %v", vs)
	}
	err = k.Shutdown()
	var le *vfs.LeakError
	if !errors.As(err, &le) {
		t.Fatalf("Shutdown: %v, want a *LeakError", err)
	}
	kinds := map[string]bool{}
	for _, o := range le.Objects {
		kinds[o.Kind] = true
	}
	for _, want := range []string{"file", "dentry", "inode", "mount", "superblock"} {
		if !kinds[want] {
			t.Errorf("leak report lacks a %s:\n%v", want, err)
		}
	}
	if !strings.Contains(err.Error(), "file#") || !strings.Contains(err.Error(), "/leaky") {
		t.Errorf("leak report does not name the leaked file:\n%v", err)
	}
}

// A leaked dentry reference is reported too, and the superblock it pins.
func TestLeakedDentryIsReported(t *testing.T) {
	k := vfs.NewKernel(vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	fd := mustOpen(t, tk, "/mnt/x", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	f, _ := tk.File(fd)
	vfs.Dget(f.Dentry())
	must(t, tk.Close(fd))
	err := k.Shutdown()
	if err == nil || !strings.Contains(err.Error(), "dentry#") || !strings.Contains(err.Error(), "tmpfs:none:/x") {
		t.Errorf("Shutdown: %v", err)
	}
	if len(k.Dmesg()) == 0 || !strings.Contains(strings.Join(k.Dmesg(), "\n"), "Busy inodes after unmount") {
		t.Errorf("kernel log lacks the busy-inode report: %q", k.Dmesg())
	}
}

// Simulator bugs panic with an *AssertionFailure, never an errno.
func TestAssertionFailureOnDoubleDrop(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/x", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	f, _ := tk.File(fd)
	d := f.Dentry()
	defer func() {
		r := recover()
		if _, ok := r.(*vfs.AssertionFailure); !ok {
			t.Errorf("recovered %v, want *AssertionFailure", r)
		}
		vfs.Dget(d) // restore the dropped reference so the leak check passes
	}()
	vfs.Dput(d) // the file's reference, dropped by mistake
	vfs.Dput(d) // and again: d_count would go negative
}

func TestErrorsAreWrappedErrnos(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	_, err := tk.Open("/mnt/missing", vfs.O_RDONLY, 0)
	var pe *vfs.PathError
	if !errors.As(err, &pe) || pe.Op != "open" || pe.Path != "/mnt/missing" {
		t.Errorf("open error %#v, want *PathError{open /mnt/missing}", err)
	}
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, vfs.ENOENT) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist / ENOENT) is false", err)
	}
	err = tk.Link("/mnt/missing", "/mnt/x")
	var le *vfs.LinkError
	if !errors.As(err, &le) || le.Old != "/mnt/missing" || le.New != "/mnt/x" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("link error %#v", err)
	}
	mustOpen(t, tk, "/mnt/x", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	if err := tk.Link("/mnt/x", "/mnt/x"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("%v is not fs.ErrExist", err)
	}
	if got := vfs.ErrnoName(tk.Rmdir("/mnt")); got != "EBUSY" {
		t.Errorf("rmdir of a mountpoint: %s", got)
	}
	if vfs.ENOENT != 2 || vfs.EXDEV != 18 || vfs.ENOTEMPTY != 39 || vfs.EOPNOTSUPP != 95 {
		t.Error("errno numbering is not Linux's")
	}
}

// A 1 GiB sparse file must not cost 1 GiB of memory (our own bar, not a
// kernel fact: contents are kept as sparse pages).
func TestSparseGiBWriteAddsLittleHeap(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/sparse", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := tk.Pwrite(fd, []byte(strings.Repeat("x", vfs.PageSize)), 1<<30)
	must(t, err)
	must(t, tk.Ftruncate(fd, 2<<30))
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("a 1 GiB sparse write grew the heap by %d bytes", grew)
	}
	st, err := tk.Fstat(fd)
	must(t, err)
	if st.Size != 2<<30 || st.Blocks != 8 {
		t.Errorf("size %d blocks %d, want %d and 8 (one page, as tmpfs reports)", st.Size, st.Blocks, 2<<30)
	}
	buf := make([]byte, 3)
	if n, err := tk.Pread(fd, buf, 1<<20); err != nil || n != 3 || string(buf) != "\x00\x00\x00" {
		t.Errorf("reading a hole: %q %v", buf[:n], err)
	}
	if off, err := tk.Lseek(fd, 0, vfs.SEEK_DATA); err != nil || off != 1<<30 {
		t.Errorf("SEEK_DATA from 0: %d %v", off, err)
	}
	if off, err := tk.Lseek(fd, 1<<30, vfs.SEEK_HOLE); err != nil || off != 1<<30+vfs.PageSize {
		t.Errorf("SEEK_HOLE from the data: %d %v", off, err)
	}
}

func TestIOAccounting(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	before := k.Stats()
	tk.Write(fd, make([]byte, 100))
	tk.Pread(fd, make([]byte, 60), 0)
	must(t, tk.Link("/mnt/f", "/mnt/g"))
	after := k.Stats()
	if w, r := after.DataBytesWritten-before.DataBytesWritten, after.DataBytesRead-before.DataBytesRead; w != 100 || r != 60 {
		t.Errorf("data written %d read %d, want 100 and 60", w, r)
	}
	if after.MetadataOps <= before.MetadataOps || after.Syscalls-before.Syscalls != 3 {
		t.Errorf("metadata ops %d→%d, syscalls %d→%d", before.MetadataOps, after.MetadataOps, before.Syscalls, after.Syscalls)
	}
}
