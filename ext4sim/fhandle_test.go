package ext4sim_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// ext4's half of the file-handle facts, measured on Linux 6.18 with a
// 128 MiB mkfs.ext4 image (vfs's fhandle_test.go has the generic ones, on
// tmpfs; script's scenario file-handles replays them against the real
// kernel's recording).

func fhandle(t *testing.T, tk *vfs.Task, path string, flags int) vfs.FileHandle {
	t.Helper()
	h, _, err := tk.NameToHandleAt(vfs.AT_FDCWD, path, flags)
	vfstest.Must(t, err)
	return h
}

// openFH opens h through mfd and returns the descriptor and its path.
func openFH(t *testing.T, tk *vfs.Task, mfd int, h vfs.FileHandle, flags int) (int, string) {
	t.Helper()
	fd, err := tk.OpenByHandleAt(mfd, h, flags)
	if err != nil {
		t.Fatalf("open_by_handle_at: %v", err)
	}
	p, err := tk.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	vfstest.Must(t, err)
	return fd, p
}

func remountExt4(t *testing.T, tk *vfs.Task, dev string) {
	t.Helper()
	vfstest.Must(t, tk.Umount("/mnt", 0))
	vfstest.Must(t, tk.Mount(dev, "/mnt", "ext4", 0, ""))
}

// Reference: fs/libfs.c:generic_encode_ino32_fh (fact j): inode number and
// generation in two words; mke2fs leaves the root's generation 0; a
// connectable handle records the directory (type 2, four words) and is
// flagged FILEID_IS_CONNECTABLE (and FILEID_IS_DIR for a directory).
func TestFileHandleExt4Encoding(t *testing.T) {
	tk, _ := mountExt4(t, ext4sim.MkfsOptions{})
	vfstest.Must(t, tk.Mkdir("/mnt/d", 0o755))
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/d/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	root := fhandle(t, tk, "/mnt", 0)
	if root.Type != vfs.FILEID_INO32_GEN || len(root.Bytes) != 8 ||
		binary.LittleEndian.Uint32(root.Bytes) != 2 || binary.LittleEndian.Uint32(root.Bytes[4:]) != 0 {
		t.Errorf("root handle %#x % x, want type 1, inode 2 generation 0", root.Type, root.Bytes)
	}
	h := fhandle(t, tk, "/mnt/d/f", 0)
	st, err := tk.Stat("/mnt/d/f")
	vfstest.Must(t, err)
	if h.Type != vfs.FILEID_INO32_GEN || len(h.Bytes) != 8 || uint64(binary.LittleEndian.Uint32(h.Bytes)) != st.Ino ||
		binary.LittleEndian.Uint32(h.Bytes[4:]) == 0 {
		t.Errorf("file handle %#x % x: want type 1, inode %d, a generation", h.Type, h.Bytes, st.Ino)
	}
	_, hb, _, err := tk.NameToHandleAtSize(vfs.AT_FDCWD, "/mnt/d/f", 4, 0)
	vfstest.WantErrno(t, "handle_bytes 4", err, vfs.EOVERFLOW)
	if hb != 8 {
		t.Errorf("EOVERFLOW wrote back handle_bytes %d, want 8", hb)
	}
	hc := fhandle(t, tk, "/mnt/d/f", vfs.AT_HANDLE_CONNECTABLE)
	if hc.Type != vfs.FILEID_IS_CONNECTABLE|vfs.FILEID_INO32_GEN_PARENT || len(hc.Bytes) != 16 {
		t.Errorf("connectable file handle: type %#x, %d bytes; want 0x10002, 16", hc.Type, len(hc.Bytes))
	}
	hd := fhandle(t, tk, "/mnt/d", vfs.AT_HANDLE_CONNECTABLE)
	if hd.Type != vfs.FILEID_IS_CONNECTABLE|vfs.FILEID_IS_DIR|vfs.FILEID_INO32_GEN || len(hd.Bytes) != 8 {
		t.Errorf("connectable directory handle: type %#x, %d bytes; want 0x30001, 8", hd.Type, len(hd.Bytes))
	}
	fd := vfstest.Open(t, tk, "/mnt/d/f", vfs.O_RDONLY, 0)
	_, _, err = tk.NameToHandleAt(fd, "", vfs.AT_EMPTY_PATH|vfs.AT_HANDLE_CONNECTABLE)
	vfstest.WantErrno(t, "AT_HANDLE_CONNECTABLE|AT_EMPTY_PATH", err, vfs.EINVAL)
	vfstest.Must(t, tk.Close(fd))

	// Types: FILEID_INO32_GEN_PARENT decodes by its first two words too;
	// others (FILEID_ROOT, btrfs's) are ESTALE, as are reserved inode
	// numbers and numbers past the inode count.
	mfd := vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd, _ = openFH(t, tk, mfd, vfs.FileHandle{Type: vfs.FILEID_INO32_GEN_PARENT, Bytes: h.Bytes}, vfs.O_RDONLY)
	vfstest.Must(t, tk.Close(fd))
	for _, c := range []struct {
		what string
		h    vfs.FileHandle
	}{
		{"type FILEID_ROOT", vfs.FileHandle{Type: vfs.FILEID_ROOT, Bytes: h.Bytes}},
		{"btrfs's type", vfs.FileHandle{Type: vfs.FILEID_BTRFS_WITHOUT_PARENT, Bytes: h.Bytes}},
		{"the journal inode", vfs.FileHandle{Type: 1, Bytes: []byte{8, 0, 0, 0, 0, 0, 0, 0}}},
		{"inode 0", vfs.FileHandle{Type: 1, Bytes: make([]byte, 8)}},
		{"past the inode count", vfs.FileHandle{Type: 1, Bytes: []byte{0, 0, 0, 1, 0, 0, 0, 0}}},
		{"a free inode", vfs.FileHandle{Type: 1, Bytes: []byte{200, 0, 0, 0, 0, 0, 0, 0}}},
		{"one word", vfs.FileHandle{Type: 1, Bytes: h.Bytes[:4]}},
	} {
		_, err := tk.OpenByHandleAt(mfd, c.h, vfs.O_RDONLY)
		vfstest.WantErrno(t, c.what, err, vfs.ESTALE)
	}
	vfstest.Must(t, tk.Close(mfd))
}

// Reference: fs/ext4/super.c:ext4_nfs_get_inode (fact h): a number freed
// and reused by a newer file is ESTALE for the old handle (the generations
// differ), but a handle whose generation is 0 takes any, and opens the new
// file.
func TestFileHandleExt4ReusedInode(t *testing.T) {
	tk, _ := mountExt4(t, ext4sim.MkfsOptions{})
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/r", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	old := fhandle(t, tk, "/mnt/r", 0)
	vfstest.Must(t, tk.Unlink("/mnt/r"))
	fd := vfstest.Open(t, tk, "/mnt/r2", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	_, err := tk.Write(fd, []byte("r2"))
	vfstest.Must(t, err)
	vfstest.Must(t, tk.Close(fd))
	h2 := fhandle(t, tk, "/mnt/r2", 0)
	if string(old.Bytes[:4]) != string(h2.Bytes[:4]) {
		t.Fatalf("the inode number was not reused: % x, % x", old.Bytes, h2.Bytes)
	}
	if string(old.Bytes[4:]) == string(h2.Bytes[4:]) {
		t.Fatalf("the reused inode got the old generation % x", h2.Bytes[4:])
	}
	mfd := vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	_, err = tk.OpenByHandleAt(mfd, old, vfs.O_RDONLY)
	vfstest.WantErrno(t, "the freed inode's handle", err, vfs.ESTALE)
	zero := vfs.FileHandle{Type: old.Type, Bytes: append(append([]byte(nil), old.Bytes[:4]...), 0, 0, 0, 0)}
	fd, p := openFH(t, tk, mfd, zero, vfs.O_RDONLY)
	if p != "/mnt/r2" {
		t.Errorf("generation 0 opened %s, want /mnt/r2", p)
	}
	vfstest.Must(t, tk.Close(fd))
	vfstest.Must(t, tk.Close(mfd))
}

// Reference: fs/exportfs/expfs.c:exportfs_decode_fh_raw, reconnect_path,
// fs/ext4/namei.c:ext4_get_parent (fact d, and drop_caches): after an
// unmount and mount no dentry names the files, so a file opens through an
// anonymous, disconnected dentry — its path reads "/" — while a directory
// is reconnected through its parents; a later lookup by name makes a
// connected alias, which later handles then open. An unlinked file's
// handle stays ESTALE. Generations survive on disk and new inodes' do not
// repeat them.
func TestFileHandleExt4AfterRemount(t *testing.T) {
	tk, dev := mountExt4(t, ext4sim.MkfsOptions{})
	vfstest.Must(t, tk.Mkdir("/mnt/d", 0o755))
	vfstest.Must(t, tk.Mkdir("/mnt/d/e", 0o755))
	fd := vfstest.Open(t, tk, "/mnt/d/e/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	_, err := tk.Write(fd, []byte("deep"))
	vfstest.Must(t, err)
	vfstest.Must(t, tk.Close(fd))
	hf := fhandle(t, tk, "/mnt/d/e/f", 0)
	hc := fhandle(t, tk, "/mnt/d/e/f", vfs.AT_HANDLE_CONNECTABLE)
	he := fhandle(t, tk, "/mnt/d/e", 0)
	fd = vfstest.Open(t, tk, "/mnt/b", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	hb := fhandle(t, tk, "/mnt/b", 0)
	vfstest.Must(t, tk.Unlink("/mnt/b"))
	vfstest.Must(t, tk.Close(fd))

	remountExt4(t, tk, dev)
	mfd := vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd1, p := openFH(t, tk, mfd, hf, vfs.O_RDONLY)
	if p != "/" {
		t.Errorf("a file no dentry names opened as %s, want / (disconnected)", p)
	}
	buf := make([]byte, 8)
	n, err := tk.Read(fd1, buf)
	vfstest.Must(t, err)
	if string(buf[:n]) != "deep" {
		t.Errorf("read %q", buf[:n])
	}
	fd2, p := openFH(t, tk, mfd, hf, vfs.O_RDONLY)
	f1, _ := tk.File(fd1)
	f2, _ := tk.File(fd2)
	if p != "/" || f1.Dentry() != f2.Dentry() || !f1.Dentry().Disconnected() {
		t.Errorf("a second open while the first is held: %s, another dentry %v; want the same disconnected one", p, f1.Dentry() != f2.Dentry())
	}
	// A connectable handle reconnects through the directory it recorded.
	fd3, p := openFH(t, tk, mfd, hc, vfs.O_RDONLY)
	if p != "/mnt/d/e/f" {
		t.Errorf("connectable handle after the remount: %s, want /mnt/d/e/f", p)
	}
	fd4, p := openFH(t, tk, mfd, he, vfs.O_RDONLY)
	if p != "/mnt/d/e" {
		t.Errorf("a directory after the remount: %s, want /mnt/d/e (reconnected)", p)
	}
	// The lookup by name made a connected alias, the newest: the plain
	// handle opens it now.
	fd5, p := openFH(t, tk, mfd, hf, vfs.O_RDONLY)
	if p != "/mnt/d/e/f" {
		t.Errorf("after a lookup by name: %s, want /mnt/d/e/f", p)
	}
	_, err = tk.OpenByHandleAt(mfd, hb, vfs.O_RDONLY)
	vfstest.WantErrno(t, "the unlinked file's handle", err, vfs.ESTALE)
	// A connectable handle decoded against a directory the file is not
	// under is ESTALE (vfs_dentry_acceptable); a plain one is not.
	vfstest.Must(t, tk.Mkdir("/mnt/x", 0o755))
	xfd := vfstest.Open(t, tk, "/mnt/x", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	_, err = tk.OpenByHandleAt(xfd, hc, vfs.O_RDONLY)
	vfstest.WantErrno(t, "a connectable handle outside the mount descriptor's directory", err, vfs.ESTALE)
	fd6, _ := openFH(t, tk, xfd, hf, vfs.O_RDONLY)
	for _, f := range []int{fd1, fd2, fd3, fd4, fd5, fd6, xfd} {
		vfstest.Must(t, tk.Close(f))
	}

	// The generations came back from the inode table; a new file's is
	// newer than all of them.
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/new", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	hn := fhandle(t, tk, "/mnt/new", 0)
	if g, old := binary.LittleEndian.Uint32(hn.Bytes[4:]), binary.LittleEndian.Uint32(hb.Bytes[4:]); g <= old {
		t.Errorf("a new inode after the remount has generation %d, not above the old ones' (%d)", g, old)
	}

	// drop_caches does what the unmount did.
	tk.Kernel().DropCaches()
	fd7, p := openFH(t, tk, mfd, hf, vfs.O_RDONLY)
	if p != "/" {
		t.Errorf("after drop_caches: %s, want /", p)
	}
	vfstest.Must(t, tk.Close(fd7))

	// An open removed directory opens by handle, unhashed; after its last
	// close it is ESTALE.
	vfstest.Must(t, tk.Mkdir("/mnt/rd", 0o755))
	rfd := vfstest.Open(t, tk, "/mnt/rd", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	hr := fhandle(t, tk, "/mnt/rd", 0)
	vfstest.Must(t, tk.Rmdir("/mnt/rd"))
	fd8, p := openFH(t, tk, mfd, hr, vfs.O_RDONLY)
	if p != "/mnt/rd (deleted)" {
		t.Errorf("a removed open directory: %s, want /mnt/rd (deleted)", p)
	}
	vfstest.Must(t, tk.Close(fd8))
	vfstest.Must(t, tk.Close(rfd))
	_, err = tk.OpenByHandleAt(mfd, hr, vfs.O_RDONLY)
	vfstest.WantErrno(t, "a removed directory after its last close", err, vfs.ESTALE)
	vfstest.Must(t, tk.Close(mfd))
	if vs := tk.Kernel().CheckInvariants(); len(vs) > 0 {
		t.Error(vfs.InvariantError(vs))
	}
}
