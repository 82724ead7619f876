package hostkernel

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// File handles on the real kernel: name_to_handle_at(2) and
// open_by_handle_at(2) with struct file_handle laid out by hand
// (handle_bytes, handle_type, f_handle), so that a caller can size the
// buffer (EOVERFLOW) as the simulator's NameToHandleAtSize does.

// fileHandleHeader is sizeof(struct file_handle) without f_handle.
const fileHandleHeader = 8

// NameToHandleAt is name_to_handle_at(2) with a MAX_HANDLE_SZ buffer
// (script.HandleOpener).
func (t Task) NameToHandleAt(dirfd int, path string, flags int) (vfs.FileHandle, int, error) {
	h, _, mnt, err := t.NameToHandleAtSize(dirfd, path, vfs.MAX_HANDLE_SZ, flags)
	return h, mnt, err
}

// NameToHandleAtSize is name_to_handle_at(2) with handle_bytes set to size;
// handleBytes is what the kernel wrote back into it (the length needed on
// EOVERFLOW) (script.HandleSizer).
func (Task) NameToHandleAtSize(dirfd int, path string, size uint32, flags int) (vfs.FileHandle, uint32, int, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return vfs.FileHandle{}, 0, -1, errno(err)
	}
	buf := make([]byte, fileHandleHeader+vfs.MAX_HANDLE_SZ)
	binary.LittleEndian.PutUint32(buf, size)
	// The mount id is an int, or a u64 with AT_HANDLE_MNT_ID_UNIQUE.
	mnt := uint64(1<<64 - 1)
	_, _, e := unix.Syscall6(unix.SYS_NAME_TO_HANDLE_AT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&mnt)), uintptr(flags), 0)
	runtime.KeepAlive(p)
	hb := binary.LittleEndian.Uint32(buf)
	h := vfs.FileHandle{Type: int32(binary.LittleEndian.Uint32(buf[4:]))}
	mntID := int(int32(uint32(mnt)))
	if flags&vfs.AT_HANDLE_MNT_ID_UNIQUE != 0 {
		mntID = int(mnt)
	}
	if e != 0 {
		return h, hb, mntID, vfs.Errno(e)
	}
	h.Bytes = append([]byte(nil), buf[fileHandleHeader:fileHandleHeader+min(hb, vfs.MAX_HANDLE_SZ)]...)
	return h, hb, mntID, nil
}

// OpenByHandleAt is open_by_handle_at(2) (script.HandleOpener). The new
// descriptor is close-on-exec, as Open's are.
func (Task) OpenByHandleAt(mountfd int, h vfs.FileHandle, flags int) (int, error) {
	buf := make([]byte, fileHandleHeader+max(len(h.Bytes), 1))
	binary.LittleEndian.PutUint32(buf, uint32(len(h.Bytes)))
	binary.LittleEndian.PutUint32(buf[4:], uint32(h.Type))
	copy(buf[fileHandleHeader:], h.Bytes)
	fd, _, e := unix.Syscall(unix.SYS_OPEN_BY_HANDLE_AT, uintptr(mountfd), uintptr(unsafe.Pointer(&buf[0])), uintptr(flags|unix.O_CLOEXEC))
	runtime.KeepAlive(buf)
	if e != 0 {
		return -1, vfs.Errno(e)
	}
	return int(fd), nil
}

// NameToHandleAt runs name_to_handle_at(2) in the worker.
func (p *Proc) NameToHandleAt(dirfd int, path string, flags int) (vfs.FileHandle, int, error) {
	h, _, mnt, err := p.NameToHandleAtSize(dirfd, path, vfs.MAX_HANDLE_SZ, flags)
	return h, mnt, err
}

// NameToHandleAtSize runs name_to_handle_at(2) with handle_bytes size in
// the worker.
func (p *Proc) NameToHandleAtSize(dirfd int, path string, size uint32, flags int) (vfs.FileHandle, uint32, int, error) {
	r, err := p.call(request{Op: "name-to-handle", FD: dirfd, Path: path, U64: uint64(size), Flags: flags})
	return vfs.FileHandle{Type: int32(r.I64), Bytes: r.Data}, uint32(r.U64), r.Int, err
}

// OpenByHandleAt runs open_by_handle_at(2) in the worker.
func (p *Proc) OpenByHandleAt(mountfd int, h vfs.FileHandle, flags int) (int, error) {
	r, err := p.call(request{Op: "open-by-handle", FD: mountfd, Data: h.Bytes, N: int64(h.Type), Flags: flags})
	return r.Int, err
}

// doFileHandle serves the worker's file-handle requests.
func (w *workerState) doFileHandle(q *request, r *response) (bool, error) {
	switch q.Op {
	case "name-to-handle":
		h, hb, mnt, err := w.t.NameToHandleAtSize(q.FD, q.Path, uint32(q.U64), q.Flags)
		r.I64, r.Data, r.U64, r.Int = int64(h.Type), h.Bytes, uint64(hb), mnt
		return true, err
	case "open-by-handle":
		fd, err := w.t.OpenByHandleAt(q.FD, vfs.FileHandle{Type: int32(q.N), Bytes: q.Data}, q.Flags)
		r.Int = fd
		return true, err
	}
	return false, nil
}

var (
	_ script.HandleOpener = Task{}
	_ script.HandleSizer  = Task{}
	_ script.HandleOpener = (*Proc)(nil)
	_ script.HandleSizer  = (*Proc)(nil)
)
