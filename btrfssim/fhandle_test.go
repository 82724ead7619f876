package btrfssim_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// btrfs's half of the file-handle facts, measured on Linux 6.18 with a
// 128 MiB mkfs.btrfs image (vfs's fhandle_test.go has the generic ones).

func fhandle(t *testing.T, tk *vfs.Task, path string, flags int) vfs.FileHandle {
	t.Helper()
	h, _, err := tk.NameToHandleAt(vfs.AT_FDCWD, path, flags)
	vfstest.Must(t, err)
	return h
}

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

func readAll(t *testing.T, tk *vfs.Task, fd int) string {
	t.Helper()
	buf := make([]byte, 64)
	n, err := tk.Pread(fd, buf, 0)
	vfstest.Must(t, err)
	return string(buf[:n])
}

// fid returns the handle's objectid, root id and generation.
func fid(h vfs.FileHandle) (objectid, root uint64, gen uint32) {
	return binary.LittleEndian.Uint64(h.Bytes), binary.LittleEndian.Uint64(h.Bytes[8:]), binary.LittleEndian.Uint32(h.Bytes[16:])
}

// Reference: fs/btrfs/export.c:btrfs_encode_fh (fact j): objectid, root id
// and generation (FILEID_BTRFS_WITHOUT_PARENT, 20 bytes); the generation is
// the transaction the inode was made in (mkfs's top directory: 3; the
// first transaction after mkfs: 7); a connectable handle adds the
// directory (FILEID_BTRFS_WITH_PARENT, 32 bytes).
func TestFileHandleBtrfsEncoding(t *testing.T) {
	m := newMachine(t)
	tk := m.Init()
	defer vfstest.Finish(t, m.K)
	vfstest.Must(t, tk.Mkdir("/mnt/d", 0o755))
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/d/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	root := fhandle(t, tk, "/mnt", 0)
	if o, r, g := fid(root); root.Type != vfs.FILEID_BTRFS_WITHOUT_PARENT || len(root.Bytes) != 20 || o != 256 || r != 5 || g != 3 {
		t.Errorf("top directory: type %#x, %d bytes, objectid %d root %d gen %d; want 0x4d, 20, 256, 5, 3", root.Type, len(root.Bytes), o, r, g)
	}
	h := fhandle(t, tk, "/mnt/d/f", 0)
	if o, r, g := fid(h); o != 258 || r != 5 || g != 7 {
		t.Errorf("d/f: objectid %d root %d gen %d; want 258, 5, 7", o, r, g)
	}
	_, hb, _, err := tk.NameToHandleAtSize(vfs.AT_FDCWD, "/mnt/d/f", 16, 0)
	vfstest.WantErrno(t, "handle_bytes 16", err, vfs.EOVERFLOW)
	if hb != 20 {
		t.Errorf("EOVERFLOW wrote back %d, want 20", hb)
	}
	hc := fhandle(t, tk, "/mnt/d/f", vfs.AT_HANDLE_CONNECTABLE)
	if hc.Type != vfs.FILEID_IS_CONNECTABLE|vfs.FILEID_BTRFS_WITH_PARENT || len(hc.Bytes) != 32 {
		t.Errorf("connectable: type %#x, %d bytes; want 0x1004e, 32", hc.Type, len(hc.Bytes))
	}
	hd := fhandle(t, tk, "/mnt/d", vfs.AT_HANDLE_CONNECTABLE)
	if hd.Type != vfs.FILEID_IS_CONNECTABLE|vfs.FILEID_IS_DIR|vfs.FILEID_BTRFS_WITHOUT_PARENT || len(hd.Bytes) != 20 {
		t.Errorf("connectable directory: type %#x, %d bytes; want 0x3004d, 20", hd.Type, len(hd.Bytes))
	}
	mfd := vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	for _, c := range []struct {
		what string
		h    vfs.FileHandle
	}{
		{"ext4's type", vfs.FileHandle{Type: vfs.FILEID_INO32_GEN, Bytes: h.Bytes}},
		{"four words", vfs.FileHandle{Type: h.Type, Bytes: h.Bytes[:16]}},
		{"WITH_PARENT with five words", vfs.FileHandle{Type: vfs.FILEID_BTRFS_WITH_PARENT, Bytes: h.Bytes}},
		{"a missing subvolume", vfs.FileHandle{Type: h.Type, Bytes: append(append(append([]byte(nil), h.Bytes[:8]...), 9, 1, 0, 0, 0, 0, 0, 0), h.Bytes[16:]...)}},
	} {
		_, err := tk.OpenByHandleAt(mfd, c.h, vfs.O_RDONLY)
		vfstest.WantErrno(t, c.what, err, vfs.ESTALE)
	}
	fd, p := openFH(t, tk, mfd, vfs.FileHandle{Type: vfs.FILEID_BTRFS_WITH_PARENT, Bytes: hc.Bytes}, vfs.O_RDONLY)
	if p != "/mnt/d/f" {
		t.Errorf("the connectable handle without its flag: %s", p)
	}
	vfstest.Must(t, tk.Close(fd))
	vfstest.Must(t, tk.Close(mfd))
}

// Reference: fs/btrfs/export.c:btrfs_get_dentry (fact e): a handle names
// its subvolume by root id, whatever mount it is decoded against. A
// subvolume's file opened through a mount of its snapshot is the
// subvolume's file (a path outside that mount: "/"); the snapshot's copy
// has its own handle (same objectid and generation, the snapshot's root
// id); a deleted snapshot's handles are ESTALE.
func TestFileHandleBtrfsSnapshots(t *testing.T) {
	m := newMachine(t)
	tk := m.Init()
	defer vfstest.Finish(t, m.K)
	root := vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	vfstest.Must(t, tk.SubvolCreate(root, "sv"))
	fd := vfstest.Open(t, tk, "/mnt/sv/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	_, err := tk.Write(fd, []byte("SV"))
	vfstest.Must(t, err)
	vfstest.Must(t, tk.Close(fd))
	hsv := fhandle(t, tk, "/mnt/sv/f", 0)
	src := vfstest.Open(t, tk, "/mnt/sv", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	vfstest.Must(t, tk.SnapshotCreate(root, "snap", src, false))
	vfstest.Must(t, tk.Close(src))
	fd = vfstest.Open(t, tk, "/mnt/snap/f", vfs.O_RDWR|vfs.O_TRUNC, 0)
	_, err = tk.Write(fd, []byte("SNAP"))
	vfstest.Must(t, err)
	vfstest.Must(t, tk.Close(fd))
	hsnap := fhandle(t, tk, "/mnt/snap/f", 0)
	o1, r1, g1 := fid(hsv)
	o2, r2, g2 := fid(hsnap)
	if o1 != o2 || g1 != g2 || r1 == r2 {
		t.Errorf("subvolume's file %d/%d/%d, snapshot's %d/%d/%d: want the same objectid and generation, other roots", o1, r1, g1, o2, r2, g2)
	}
	// The snapshot mounted elsewhere (a bind mount of its directory,
	// as mount -o subvol=snap gives the same root).
	vfstest.Must(t, tk.Mkdir("/m2", 0o755))
	vfstest.Must(t, tk.Mount("/mnt/snap", "/m2", "", vfs.MS_BIND, ""))
	m2 := vfstest.Open(t, tk, "/m2", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd, p := openFH(t, tk, m2, hsv, vfs.O_RDONLY)
	if got := readAll(t, tk, fd); got != "SV" || p != "/" {
		t.Errorf("the subvolume's handle through the snapshot's mount: %q at %s, want the subvolume's SV at /", got, p)
	}
	vfstest.Must(t, tk.Close(fd))
	fd, p = openFH(t, tk, m2, hsnap, vfs.O_RDONLY)
	if got := readAll(t, tk, fd); got != "SNAP" || p != "/m2/f" {
		t.Errorf("the snapshot's handle through its mount: %q at %s, want SNAP at /m2/f", got, p)
	}
	vfstest.Must(t, tk.Close(fd))
	fd, p = openFH(t, tk, root, hsnap, vfs.O_RDONLY)
	if got := readAll(t, tk, fd); got != "SNAP" || p != "/mnt/snap/f" {
		t.Errorf("the snapshot's handle through the top mount: %q at %s", got, p)
	}
	vfstest.Must(t, tk.Close(fd))
	vfstest.Must(t, tk.Close(m2))
	vfstest.Must(t, tk.Umount("/m2", 0))

	// A subvolume's root directory is reconnected through the root's
	// back reference after the cache is dropped.
	hroot := fhandle(t, tk, "/mnt/snap", 0)
	m.K.DropCaches()
	fd, p = openFH(t, tk, root, hroot, vfs.O_RDONLY)
	if p != "/mnt/snap" {
		t.Errorf("the snapshot's root directory after drop_caches: %s, want /mnt/snap", p)
	}
	vfstest.Must(t, tk.Close(fd))

	vfstest.Must(t, tk.Unlink("/mnt/snap/f"))
	vfstest.Must(t, tk.Rmdir("/mnt/snap"))
	_, err = tk.OpenByHandleAt(root, hsnap, vfs.O_RDONLY)
	vfstest.WantErrno(t, "a deleted snapshot's file", err, vfs.ESTALE)
	_, err = tk.OpenByHandleAt(root, hroot, vfs.O_RDONLY)
	vfstest.WantErrno(t, "a deleted snapshot's root", err, vfs.ESTALE)
	vfstest.Must(t, tk.Close(root))
}

// Reference: fs/btrfs/export.c:btrfs_get_dentry, btrfs_get_parent (fact
// d): after an unmount and mount a file opens disconnected ("/"), a
// directory reconnected, an unlinked file's handle is ESTALE (its item was
// deleted at the last close), and a generation that differs is ESTALE
// (btrfs checks even a zero one).
func TestFileHandleBtrfsAfterRemount(t *testing.T) {
	dev := btrfssim.Mkfs("/dev/loop9", btrfssim.MkfsOptions{})
	tk := mountImage(t, dev, 0)
	vfstest.Must(t, tk.Mkdir("/mnt/d", 0o755))
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/d/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	hf := fhandle(t, tk, "/mnt/d/f", 0)
	hd := fhandle(t, tk, "/mnt/d", 0)
	fd := vfstest.Open(t, tk, "/mnt/b", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	hb := fhandle(t, tk, "/mnt/b", 0)
	vfstest.Must(t, tk.Unlink("/mnt/b"))
	mfd := vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd2, p := openFH(t, tk, mfd, hb, vfs.O_RDONLY)
	if p != "/mnt/b (deleted)" {
		t.Errorf("the open unlinked file: %s", p)
	}
	vfstest.Must(t, tk.Close(fd2))
	vfstest.Must(t, tk.Close(fd))
	vfstest.Must(t, tk.Close(mfd))
	vfstest.Must(t, tk.Umount("/mnt", 0))
	vfstest.Must(t, tk.Mount(dev.Name(), "/mnt", "btrfs", 0, ""))
	mfd = vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	fd, p = openFH(t, tk, mfd, hf, vfs.O_RDONLY)
	if p != "/" {
		t.Errorf("a file after the remount: %s, want / (disconnected)", p)
	}
	vfstest.Must(t, tk.Close(fd))
	fd, p = openFH(t, tk, mfd, hd, vfs.O_RDONLY)
	if p != "/mnt/d" {
		t.Errorf("a directory after the remount: %s, want /mnt/d", p)
	}
	vfstest.Must(t, tk.Close(fd))
	_, err := tk.OpenByHandleAt(mfd, hb, vfs.O_RDONLY)
	vfstest.WantErrno(t, "the unlinked file after the remount", err, vfs.ESTALE)
	for _, g := range []uint32{0, 8} {
		forged := vfs.FileHandle{Type: hf.Type, Bytes: append([]byte(nil), hf.Bytes...)}
		binary.LittleEndian.PutUint32(forged.Bytes[16:], g)
		_, err = tk.OpenByHandleAt(mfd, forged, vfs.O_RDONLY)
		vfstest.WantErrno(t, fmt.Sprintf("generation %d", g), err, vfs.ESTALE)
	}
	vfstest.Must(t, tk.Close(mfd))
	vfstest.Must(t, tk.Umount("/mnt", 0))
}
