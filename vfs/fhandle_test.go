package vfs_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// The facts of file handles, measured on Linux 6.18 (tmpfs; ext4sim and
// btrfssim test their halves), lettered as in the measurement: (a) a named
// file, (b) an open unlinked one, (c) after its last close, (d) after a
// new mount, (f) O_TMPFILE, (g) directories, (h) generations, (i)
// permissions, (j) types, sizes and EOVERFLOW. script's
// testdata/scenarios/file-handles replays (a)–(d) and (f) against the real
// kernel's recording.

// handle takes path's handle and fails tb on error.
func handle(tb testing.TB, tk *vfs.Task, path string) vfs.FileHandle {
	tb.Helper()
	h, _, err := tk.NameToHandleAt(vfs.AT_FDCWD, path, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// openHandle opens h through mfd and returns the descriptor and its path
// (as /proc/self/fd shows it).
func openHandle(tb testing.TB, tk *vfs.Task, mfd int, h vfs.FileHandle, flags int) (int, string) {
	tb.Helper()
	fd, err := tk.OpenByHandleAt(mfd, h, flags)
	if err != nil {
		tb.Fatalf("open_by_handle_at: %v", err)
	}
	p, err := tk.Readlink(procFD(fd))
	must(tb, err)
	return fd, p
}

func inoOf(t *testing.T, tk *vfs.Task, fd int) uint64 {
	t.Helper()
	st, err := tk.Fstat(fd)
	must(t, err)
	return st.Ino
}

// Reference: fs/fhandle.c, mm/shmem.c:shmem_encode_fh (fact j).
func TestFileHandleTmpfsTypeAndSize(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	must(t, tk.Close(mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	h, mnt, err := tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt/a", 0)
	must(t, err)
	if h.Type != vfs.FILEID_INO32_GEN || len(h.Bytes) != 12 {
		t.Errorf("tmpfs handle: type %#x, %d bytes; want 0x1, 12", h.Type, len(h.Bytes))
	}
	st, err := tk.Stat("/mnt/a")
	must(t, err)
	if got := binary.LittleEndian.Uint32(h.Bytes[4:]); uint64(got) != st.Ino {
		t.Errorf("word 1 of the handle is %d, want the inode number %d", got, st.Ino)
	}
	_, mntRoot, err := tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt", 0)
	must(t, err)
	if mnt != mntRoot || mnt <= 0 {
		t.Errorf("mount ids %d and %d, want the same positive id", mnt, mntRoot)
	}

	// Too small a buffer: EOVERFLOW, with the size needed and
	// FILEID_INVALID written back (and the mount id).
	for _, size := range []uint32{0, 4, 8} {
		h, hb, m, err := tk.NameToHandleAtSize(vfs.AT_FDCWD, "/mnt/a", size, 0)
		wantErrno(t, fmt.Sprintf("handle_bytes %d", size), err, vfs.EOVERFLOW)
		if hb != 12 || h.Type != vfs.FILEID_INVALID || m != mnt {
			t.Errorf("handle_bytes %d: wrote back %d, type %#x, mount %d; want 12, 0xff, %d", size, hb, h.Type, m, mnt)
		}
	}
	_, _, _, err = tk.NameToHandleAtSize(vfs.AT_FDCWD, "/mnt/a", 129, 0)
	wantErrno(t, "handle_bytes 129", err, vfs.EINVAL)
	_, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt/a", 0x40000000)
	wantErrno(t, "an unknown flag", err, vfs.EINVAL)
	_, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, "", 0)
	wantErrno(t, "an empty path without AT_EMPTY_PATH", err, vfs.ENOENT)

	// proc has no export operations; AT_HANDLE_FID still gives a handle
	// (FILEID_INO64_GEN), one that is not meant to be decoded.
	_, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, "/proc/self", 0)
	wantErrno(t, "a proc file", err, vfs.EOPNOTSUPP)
	h, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, "/proc/self", vfs.AT_HANDLE_FID)
	must(t, err)
	if h.Type != vfs.FILEID_INO64_GEN || len(h.Bytes) != 12 {
		t.Errorf("FID of a proc file: type %#x, %d bytes; want 0x81, 12", h.Type, len(h.Bytes))
	}
	h, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt/a", vfs.AT_HANDLE_FID)
	must(t, err)
	if h.Type != vfs.FILEID_INO32_GEN {
		t.Errorf("FID on tmpfs: type %#x, want tmpfs's own 0x1", h.Type)
	}
	// tmpfs cannot decode through a parent: no connectable handles.
	_, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt/a", vfs.AT_HANDLE_CONNECTABLE)
	wantErrno(t, "AT_HANDLE_CONNECTABLE on tmpfs", err, vfs.EOPNOTSUPP)
	_, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt/a", vfs.AT_HANDLE_CONNECTABLE|vfs.AT_HANDLE_FID)
	wantErrno(t, "AT_HANDLE_CONNECTABLE|AT_HANDLE_FID", err, vfs.EINVAL)

	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "name_to_handle_at" {
		t.Errorf("error %v: want a *PathError of name_to_handle_at", err)
	}
	vfstest.Finish(t, k)
}

// Reference: fs/fhandle.c:do_handle_open (facts a, g).
func TestFileHandleOpensNamedFileAndDirectory(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	_, err := tk.Write(fd, []byte("hello"))
	must(t, err)
	must(t, tk.Mkdir("/mnt/d", 0o755))
	h := handle(t, tk, "/mnt/a")
	hd := handle(t, tk, "/mnt/d")
	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)

	fd2, p := openHandle(t, tk, mfd, h, vfs.O_RDONLY)
	if p != "/mnt/a" || inoOf(t, tk, fd2) != inoOf(t, tk, fd) {
		t.Errorf("opened %s (inode %d), want /mnt/a (inode %d)", p, inoOf(t, tk, fd2), inoOf(t, tk, fd))
	}
	buf := make([]byte, 10)
	n, err := tk.Read(fd2, buf)
	must(t, err)
	if string(buf[:n]) != "hello" {
		t.Errorf("read %q through the handle, want hello", buf[:n])
	}
	must(t, tk.Close(fd2))

	// open(2)'s checks apply to what the handle names.
	_, err = tk.OpenByHandleAt(mfd, h, vfs.O_RDWR|vfs.O_CREAT|vfs.O_EXCL)
	wantErrno(t, "O_CREAT|O_EXCL", err, vfs.EEXIST)
	_, err = tk.OpenByHandleAt(mfd, h, vfs.O_RDONLY|vfs.O_DIRECTORY)
	wantErrno(t, "O_DIRECTORY of a file", err, vfs.ENOTDIR)
	_, err = tk.OpenByHandleAt(mfd, h, vfs.O_TMPFILE|vfs.O_RDWR)
	wantErrno(t, "O_TMPFILE of a file", err, vfs.ENOTDIR)
	_, err = tk.OpenByHandleAt(mfd, hd, vfs.O_RDWR)
	wantErrno(t, "O_RDWR of a directory", err, vfs.EISDIR)
	_, err = tk.OpenByHandleAt(mfd, hd, vfs.O_CREAT|vfs.O_DIRECTORY)
	wantErrno(t, "O_CREAT|O_DIRECTORY", err, vfs.EINVAL)
	fd3, p := openHandle(t, tk, mfd, hd, vfs.O_RDONLY|vfs.O_DIRECTORY)
	if p != "/mnt/d" {
		t.Errorf("directory opened as %s, want /mnt/d", p)
	}
	must(t, tk.Close(fd3))
	// A directory's handle with O_TMPFILE makes an unnamed file in it.
	fd4, p := openHandle(t, tk, mfd, hd, vfs.O_TMPFILE|vfs.O_RDWR)
	if !strings.HasPrefix(p, "/mnt/d/#") || !strings.HasSuffix(p, " (deleted)") {
		t.Errorf("O_TMPFILE through a directory's handle: %s, want /mnt/d/#N (deleted)", p)
	}
	must(t, tk.Close(fd4))
	// O_TRUNC truncates.
	fd5, _ := openHandle(t, tk, mfd, h, vfs.O_RDWR|vfs.O_TRUNC)
	if st, _ := tk.Fstat(fd5); st.Size != 0 {
		t.Errorf("size after O_TRUNC through the handle: %d", st.Size)
	}
	must(t, tk.Close(fd5))
	// The mount descriptor may be any directory of the mount.
	dfd := mustOpen(t, tk, "/mnt/d", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd6, p := openHandle(t, tk, dfd, h, vfs.O_RDONLY)
	if p != "/mnt/a" {
		t.Errorf("through a subdirectory's descriptor: %s, want /mnt/a", p)
	}
	for _, f := range []int{fd6, dfd, mfd, fd} {
		must(t, tk.Close(f))
	}
	vfstest.Finish(t, k)
}

// Reference: fs/exportfs/expfs.c:exportfs_decode_fh_raw, mm/shmem.c:
// shmem_find_alias (facts b, c): an open file whose last name is gone has
// a handle (AT_EMPTY_PATH, or /proc/self/fd/N followed) equal to the one
// it had, which opens its unhashed dentry until the last close; then the
// inode is gone and the handle is ESTALE.
func TestFileHandleOfOpenUnlinkedFile(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/b", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	before := handle(t, tk, "/mnt/b")
	must(t, tk.Unlink("/mnt/b"))
	h, _, err := tk.NameToHandleAt(fd, "", vfs.AT_EMPTY_PATH)
	must(t, err)
	hp, _, err := tk.NameToHandleAt(vfs.AT_FDCWD, procFD(fd), vfs.AT_SYMLINK_FOLLOW)
	must(t, err)
	if string(h.Bytes) != string(before.Bytes) || string(hp.Bytes) != string(before.Bytes) {
		t.Errorf("handles after the unlink differ from the one before")
	}
	_, _, err = tk.NameToHandleAt(fd, "", 0)
	wantErrno(t, "an empty path without AT_EMPTY_PATH", err, vfs.ENOENT)
	_, _, err = tk.NameToHandleAt(vfs.AT_FDCWD, procFD(fd), 0)
	wantErrno(t, "the proc link itself", err, vfs.EOPNOTSUPP)

	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd2, p := openHandle(t, tk, mfd, h, vfs.O_RDWR)
	if p != "/mnt/b (deleted)" || inoOf(t, tk, fd2) != inoOf(t, tk, fd) || nlinkOf(t, tk, fd2) != 0 {
		t.Errorf("opened %s, inode %d nlink %d; want /mnt/b (deleted), inode %d nlink 0", p, inoOf(t, tk, fd2), nlinkOf(t, tk, fd2), inoOf(t, tk, fd))
	}
	f1, _ := tk.File(fd)
	f2, _ := tk.File(fd2)
	if f1.Dentry() != f2.Dentry() {
		t.Errorf("the handle opened another dentry than the open file's unhashed one")
	}
	must(t, tk.Close(fd))
	must(t, tk.Close(fd2))
	_, err = tk.OpenByHandleAt(mfd, h, vfs.O_RDONLY)
	wantErrno(t, "after the last close", err, vfs.ESTALE)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "open_by_handle_at" || !errors.Is(err, vfs.ESTALE) {
		t.Errorf("error %v: want a *PathError of open_by_handle_at carrying ESTALE", err)
	}
	must(t, tk.Close(mfd))
	vfstest.Finish(t, k)
}

// Reference: fs/dcache.c:d_tmpfile, fs/namei.c:vfs_link (fact f): an
// O_TMPFILE file's handle opens it while it is open; through the reopened
// descriptor it can be linked once (I_LINKABLE), and then the handle opens
// the named file after the last close too.
func TestFileHandleOfTmpfile(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd := mustOpen(t, tk, "/mnt", vfs.O_TMPFILE|vfs.O_RDWR, 0o600)
	h, _, err := tk.NameToHandleAt(fd, "", vfs.AT_EMPTY_PATH)
	must(t, err)
	fd2, p := openHandle(t, tk, mfd, h, vfs.O_RDWR)
	if want := fmt.Sprintf("/mnt/#%d (deleted)", inoOf(t, tk, fd)); p != want {
		t.Errorf("tmpfile opened as %s, want %s", p, want)
	}
	must(t, tk.Linkat(vfs.AT_FDCWD, procFD(fd2), vfs.AT_FDCWD, "/mnt/t", vfs.AT_SYMLINK_FOLLOW))
	must(t, tk.Close(fd))
	must(t, tk.Close(fd2))
	fd3, p := openHandle(t, tk, mfd, h, vfs.O_RDONLY)
	if p != "/mnt/t" {
		t.Errorf("linked tmpfile opened as %s, want /mnt/t", p)
	}
	must(t, tk.Close(fd3))

	fd4 := mustOpen(t, tk, "/mnt", vfs.O_TMPFILE|vfs.O_RDWR, 0o600)
	h4, _, err := tk.NameToHandleAt(fd4, "", vfs.AT_EMPTY_PATH)
	must(t, err)
	must(t, tk.Close(fd4))
	_, err = tk.OpenByHandleAt(mfd, h4, vfs.O_RDONLY)
	wantErrno(t, "a closed, never linked tmpfile", err, vfs.ESTALE)
	must(t, tk.Close(mfd))
	vfstest.Finish(t, k)
}

// Reference: mm/shmem.c:shmem_fh_to_dentry (fact d): a new tmpfs on the
// same mountpoint has none of the old inodes.
func TestFileHandleNewTmpfsIsStale(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	must(t, tk.Close(mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	h := handle(t, tk, "/mnt/a")
	must(t, tk.Umount("/mnt", 0))
	must(t, tk.Mount("none", "/mnt", "tmpfs", 0, ""))
	must(t, tk.Close(mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	_, err := tk.OpenByHandleAt(mfd, h, vfs.O_RDONLY)
	wantErrno(t, "a handle of the old tmpfs", err, vfs.ESTALE)
	// A handle of a file that was never given one cannot be forged
	// either: shmem_fh_to_dentry only finds inodes encode_fh hashed.
	must(t, tk.Close(mustOpen(t, tk, "/mnt/b", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	st, err := tk.Stat("/mnt/b")
	must(t, err)
	forged := vfs.FileHandle{Type: 1, Bytes: make([]byte, 12)}
	binary.LittleEndian.PutUint32(forged.Bytes[4:], uint32(st.Ino))
	for gen := uint32(0); gen < 16; gen++ {
		binary.LittleEndian.PutUint32(forged.Bytes, gen)
		if fd, err := tk.OpenByHandleAt(mfd, forged, vfs.O_RDONLY); err == nil {
			must(t, tk.Close(fd))
			t.Errorf("a forged handle (generation %d) of a never-encoded inode opened it", gen)
		}
	}
	must(t, tk.Close(mfd))
	vfstest.Finish(t, k)
}

// generationWord is where tmpfs keeps the generation in its handle.
const tmpfsGenerationWord = 0

// checkGenerationIsChecked opens h with its generation changed and reports
// (through errorf) unless that is ESTALE.
func checkGenerationIsChecked(errorf func(string, ...any), tk *vfs.Task, mfd int, h vfs.FileHandle, word int) {
	forged := vfs.FileHandle{Type: h.Type, Bytes: append([]byte(nil), h.Bytes...)}
	g := binary.LittleEndian.Uint32(forged.Bytes[4*word:])
	binary.LittleEndian.PutUint32(forged.Bytes[4*word:], g+1)
	fd, err := tk.OpenByHandleAt(mfd, forged, vfs.O_RDONLY)
	if err == nil {
		tk.Close(fd)
		errorf("a handle with generation %d opened the inode of generation %d", g+1, g)
		return
	}
	if vfs.ErrnoOf(err) != vfs.ESTALE {
		errorf("a handle with another generation: %v, want ESTALE", err)
	}
}

// Reference: mm/shmem.c:shmem_match (fact h): the generation in the handle
// must be the inode's.
func TestFileHandleGenerationMismatchIsStale(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	must(t, tk.Close(mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	h := handle(t, tk, "/mnt/a")
	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	checkGenerationIsChecked(t.Errorf, tk, mfd, h, tmpfsGenerationWord)
	must(t, tk.Close(mfd))
	vfstest.Finish(t, k)
}

// genBlindFS is tmpfs with a broken export operation that ignores the
// generation, the mutant TestFileHandleGenerationCheckCatchesBlindModel
// runs the check against.
type genBlindFS struct{ vfs.TmpfsType }

func (genBlindFS) Name() string { return "genblind" }

func (g genBlindFS) FillSuper(sb *vfs.Superblock, data string) error {
	if err := g.TmpfsType.FillSuper(sb, data); err != nil {
		return err
	}
	sb.Ops = genBlindOps{sb.Ops.(vfs.Exporter), sb.Ops.(vfs.InodeEvicter)}
	return nil
}

type genBlindOps struct {
	vfs.Exporter
	vfs.InodeEvicter
}

// FHToDentry is tmpfs's with the handle's generation replaced by the
// inode's: a model that does not check generations.
func (o genBlindOps) FHToDentry(sb *vfs.Superblock, fid []uint32, typ int32) (*vfs.Dentry, error) {
	if len(fid) >= 3 {
		for _, i := range sb.Inodes() {
			if uint32(i.Ino) == fid[1] {
				fid = append([]uint32{i.Generation}, fid[1:]...)
			}
		}
	}
	return o.Exporter.FHToDentry(sb, fid, typ)
}

// The generation check of TestFileHandleGenerationMismatchIsStale fails on
// a model that ignores generations.
func TestFileHandleGenerationCheckCatchesBlindModel(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	k.RegisterFilesystem(genBlindFS{})
	tk := k.Init()
	must(t, tk.Mkdir("/g", 0o755))
	must(t, tk.Mount("none", "/g", "genblind", 0, ""))
	must(t, tk.Close(mustOpen(t, tk, "/g/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	h := handle(t, tk, "/g/a")
	mfd := mustOpen(t, tk, "/g", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	var failures []string
	checkGenerationIsChecked(func(f string, args ...any) { failures = append(failures, fmt.Sprintf(f, args...)) }, tk, mfd, h, tmpfsGenerationWord)
	if len(failures) == 0 {
		t.Errorf("the generation check passed on a model that ignores generations")
	}
	must(t, tk.Close(mfd))
	must(t, tk.Umount("/g", 0))
	vfstest.Finish(t, k)
}

// Reference: fs/fhandle.c:handle_to_path and may_decode_fh (fact i), in the
// order Linux 6.18 checks: the handle (EINVAL), the mount descriptor
// (EBADF), CAP_DAC_READ_SEARCH (EPERM), then the decoding (ESTALE).
func TestFileHandlePermissionsAndErrorOrder(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	must(t, tk.Close(mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	must(t, tk.Mkdir("/mnt/d", 0o755))
	h := handle(t, tk, "/mnt/a")
	hd := handle(t, tk, "/mnt/d")
	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	empty := vfs.FileHandle{Type: h.Type}
	big := vfs.FileHandle{Type: h.Type, Bytes: make([]byte, 129)}
	negative := vfs.FileHandle{Type: -1, Bytes: h.Bytes}
	badFlag := vfs.FileHandle{Type: h.Type | 0x40000, Bytes: h.Bytes}
	garbage := vfs.FileHandle{Type: h.Type, Bytes: []byte("0123456789ab")}
	for _, c := range []struct {
		what string
		mfd  int
		h    vfs.FileHandle
		want vfs.Errno
	}{
		{"handle_bytes 0, bad fd", 99, empty, vfs.EINVAL},
		{"handle_bytes 129", mfd, big, vfs.EINVAL},
		{"negative type", mfd, negative, vfs.EINVAL},
		{"an unknown user flag", mfd, badFlag, vfs.EINVAL},
		{"bad fd", 99, h, vfs.EBADF},
		{"garbage", mfd, garbage, vfs.ESTALE},
		{"AT_FDCWD: the working directory's filesystem", vfs.AT_FDCWD, h, vfs.ESTALE},
	} {
		_, err := tk.OpenByHandleAt(c.mfd, c.h, vfs.O_RDONLY)
		wantErrno(t, c.what, err, c.want)
	}
	// A handle_bytes longer than the handle still decodes (the words
	// are what the filesystem looks at); a shorter one does not.
	longer := vfs.FileHandle{Type: h.Type, Bytes: append(append([]byte(nil), h.Bytes...), 0, 0, 0, 0)}
	fd, err := tk.OpenByHandleAt(mfd, longer, vfs.O_RDONLY)
	must(t, err)
	must(t, tk.Close(fd))
	_, err = tk.OpenByHandleAt(mfd, vfs.FileHandle{Type: h.Type, Bytes: h.Bytes[:8]}, vfs.O_RDONLY)
	wantErrno(t, "a handle cut short", err, vfs.ESTALE)

	// Without CAP_DAC_READ_SEARCH: EPERM, even for a directory with
	// O_DIRECTORY (the caller would need the capability in its own user
	// namespace); the handle is still checked first.
	c := tk.Fork()
	c.SetCred(tk.Cred().WithCaps(vfs.AllCaps &^ vfs.Caps(vfs.CAP_DAC_READ_SEARCH)))
	_, err = c.OpenByHandleAt(mfd, h, vfs.O_RDONLY)
	wantErrno(t, "without CAP_DAC_READ_SEARCH", err, vfs.EPERM)
	_, err = c.OpenByHandleAt(mfd, hd, vfs.O_RDONLY|vfs.O_DIRECTORY)
	wantErrno(t, "a directory with O_DIRECTORY, without CAP_DAC_READ_SEARCH", err, vfs.EPERM)
	_, err = c.OpenByHandleAt(mfd, empty, vfs.O_RDONLY)
	wantErrno(t, "handle_bytes 0 without CAP_DAC_READ_SEARCH", err, vfs.EINVAL)
	_, err = c.OpenByHandleAt(99, h, vfs.O_RDONLY)
	wantErrno(t, "bad fd without CAP_DAC_READ_SEARCH", err, vfs.EBADF)
	c.SetCred(vfs.UserCred(1000, 1000))
	_, err = c.OpenByHandleAt(mfd, h, vfs.O_RDONLY)
	wantErrno(t, "uid 1000", err, vfs.EPERM)
	if _, _, err := c.NameToHandleAt(vfs.AT_FDCWD, "/mnt/a", 0); err != nil {
		t.Errorf("name_to_handle_at needs no capability: %v", err)
	}
	c.Exit()
	must(t, tk.Close(mfd))
	vfstest.Finish(t, k)
}

// Reference: fs/dcache.c:__d_instantiate (the newest alias is at the head
// of i_dentry), d_find_alias: a hard-linked file opens by its newest name;
// a symlink opens only with O_PATH (do_file_open_root).
func TestFileHandleAliasAndSymlink(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	must(t, tk.Close(mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	h := handle(t, tk, "/mnt/a")
	must(t, tk.Link("/mnt/a", "/mnt/a2"))
	_, err := tk.Stat("/mnt/a")
	must(t, err)
	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd, p := openHandle(t, tk, mfd, h, vfs.O_RDONLY)
	if p != "/mnt/a2" {
		t.Errorf("a hard-linked file opened as %s, want its newest name /mnt/a2", p)
	}
	must(t, tk.Close(fd))

	must(t, tk.Symlink("a", "/mnt/sl"))
	hs := handle(t, tk, "/mnt/sl")
	hf, _, err := tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt/sl", vfs.AT_SYMLINK_FOLLOW)
	must(t, err)
	if string(hf.Bytes) != string(h.Bytes) {
		t.Errorf("AT_SYMLINK_FOLLOW did not give the target's handle")
	}
	_, err = tk.OpenByHandleAt(mfd, hs, vfs.O_RDONLY)
	wantErrno(t, "a symlink's handle without O_PATH", err, vfs.ELOOP)
	fd, p = openHandle(t, tk, mfd, hs, vfs.O_PATH|vfs.O_NOFOLLOW)
	if p != "/mnt/sl" {
		t.Errorf("symlink opened as %s with O_PATH", p)
	}
	must(t, tk.Close(fd))
	must(t, tk.Close(mfd))
	vfstest.Finish(t, k)
}

// After drop_caches a tmpfs handle still opens its file by its name (Linux
// pins tmpfs dentries; the simulator looks the name up again).
func TestFileHandleTmpfsAfterDropCaches(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	must(t, tk.Mkdir("/mnt/d", 0o755))
	must(t, tk.Mkdir("/mnt/d/e", 0o755))
	must(t, tk.Close(mustOpen(t, tk, "/mnt/d/e/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	h := handle(t, tk, "/mnt/d/e/f")
	he := handle(t, tk, "/mnt/d/e")
	k.DropCaches()
	mfd := mustOpen(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	for _, c := range []struct {
		h    vfs.FileHandle
		want string
	}{{h, "/mnt/d/e/f"}, {he, "/mnt/d/e"}} {
		fd, p := openHandle(t, tk, mfd, c.h, vfs.O_RDONLY)
		if p != c.want {
			t.Errorf("after drop_caches: %s, want %s", p, c.want)
		}
		must(t, tk.Close(fd))
	}
	must(t, tk.Close(mfd))
	vfstest.Finish(t, k)
}

// EncodeFH and DecodeFH are the kernel-side calls: a referenced Path on
// the mount given, which the caller puts; no capability is needed.
func TestEncodeDecodeFH(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	must(t, tk.Unlink("/mnt/a"))
	f, err := tk.File(fd)
	must(t, err)
	h, err := vfs.EncodeFH(f.Path())
	must(t, err)
	want, _, err := tk.NameToHandleAt(fd, "", vfs.AT_EMPTY_PATH)
	must(t, err)
	if h.Type != want.Type || string(h.Bytes) != string(want.Bytes) {
		t.Errorf("EncodeFH %v, name_to_handle_at %v", h, want)
	}
	refs := f.Dentry().Refs()
	p, err := vfs.DecodeFH(f.Path().Mnt, h)
	must(t, err)
	if p.Dentry != f.Dentry() || p.Mnt != f.Path().Mnt {
		t.Errorf("DecodeFH gave %v, want the open file's %v", p, f.Path())
	}
	if got := f.Dentry().Refs(); got != refs+1 {
		t.Errorf("d_count %d after DecodeFH, want %d", got, refs+1)
	}
	vfs.PathPut(p)
	nf, err := tk.FileOpenRoot(f.Path(), vfs.O_RDONLY)
	must(t, err)
	vfs.Fput(nf)
	mnt := f.Path().Mnt
	vfs.Mntget(mnt)
	must(t, tk.Close(fd))
	_, err = vfs.DecodeFH(mnt, h)
	wantErrno(t, "DecodeFH after the last close", err, vfs.ESTALE)
	vfs.Mntput(mnt)
	procSelf, err := tk.KernPath("/proc/self")
	must(t, err)
	_, err = vfs.EncodeFH(procSelf)
	wantErrno(t, "EncodeFH on proc", err, vfs.EOPNOTSUPP)
	vfs.PathPut(procSelf)
	vfstest.Finish(t, k)
}

// name_to_handle_at and open_by_handle_at came with 2.6.39: the older
// eras' kernels do not have them.
func TestFileHandleSyscallsNeed2639(t *testing.T) {
	k, tk := boot(t, vfs.Options{Era: vfs.Relink2011})
	_, _, err := tk.NameToHandleAt(vfs.AT_FDCWD, "/mnt", 0)
	wantErrno(t, "name_to_handle_at in relink2011", err, vfs.ENOSYS)
	_, err = tk.OpenByHandleAt(vfs.AT_FDCWD, vfs.FileHandle{Type: 1, Bytes: make([]byte, 12)}, 0)
	wantErrno(t, "open_by_handle_at in relink2011", err, vfs.ENOSYS)
	vfstest.Finish(t, k)
}
