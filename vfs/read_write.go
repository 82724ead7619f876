package vfs

import (
	"fmt"
	"math"
)

// lseek whence values.
const (
	SEEK_SET  = 0
	SEEK_CUR  = 1
	SEEK_END  = 2
	SEEK_DATA = 3
	SEEK_HOLE = 4
)

// MaxFileSize is s_maxbytes of the simulated filesystems (MAX_LFS_FILESIZE).
const MaxFileSize = math.MaxInt64

func fdName(fd int) string { return fmt.Sprint(fd) }

// Read models read(2) (fs/read_write.c:ksys_read, vfs_read).
//
// Errors:
//   - EBADF: fd is not open, or not open for reading.
//   - EISDIR: fd is a directory.
//   - EAGAIN: an empty fifo with writers, opened O_NONBLOCK.
//   - EINTR: a blocking read of an empty fifo that has writers (see the
//     package documentation: nobody else can run, so the wait is
//     interrupted).
func (t *Task) Read(fd int, p []byte) (int, error) {
	t.enter()
	f, err := t.fgetIO(fd)
	if err != nil {
		return -1, pathErr("read", fdName(fd), err)
	}
	n, err := t.vfsRead(f, p, f.pos)
	if err == nil {
		f.pos += int64(n)
	}
	return n, pathErr("read", fdName(fd), err)
}

// Pread models pread64(2): a read at off that leaves the position alone.
//
// Errors: EINVAL for a negative offset (before fd is looked at); EBADF;
// ESPIPE on a fifo; then as Read.
func (t *Task) Pread(fd int, p []byte, off int64) (int, error) {
	t.enter()
	if off < 0 {
		return -1, pathErr("pread64", fdName(fd), EINVAL)
	}
	f, err := t.fgetIO(fd)
	if err == nil && f.inode.Mode.IsFifo() {
		err = ESPIPE
	}
	if err != nil {
		return -1, pathErr("pread64", fdName(fd), err)
	}
	n, err := t.vfsRead(f, p, off)
	return n, pathErr("pread64", fdName(fd), err)
}

// vfsRead models fs/read_write.c:vfs_read.
func (t *Task) vfsRead(f *File, p []byte, pos int64) (int, error) {
	if f.mode&fmodeRead == 0 {
		return -1, EBADF
	}
	inode := f.inode
	if inode.pipe == nil && pos+int64(len(p)) < pos {
		return -1, EINVAL // rw_verify_area, before the filesystem's read
	}
	switch {
	case inode.Mode.IsDir():
		return -1, EISDIR
	case inode.pipe != nil:
		return t.pipeRead(f, p)
	case !inode.Mode.IsRegular():
		return -1, EINVAL
	}
	t.k.InodeLockShared(inode, "generic_file_read_iter")
	n := inode.Mapping.ReadAt(p, pos, inode.Size)
	t.k.InodeUnlockShared(inode, "generic_file_read_iter")
	t.k.stats.DataBytesRead += uint64(n)
	return n, nil
}

// Write models write(2) (fs/read_write.c:ksys_write, vfs_write).
//
// Errors:
//   - EBADF: fd is not open, or not open for writing.
//   - EPIPE: a fifo with no readers.
//   - EAGAIN: a full fifo opened O_NONBLOCK.
//   - EFBIG: the write would pass the maximum file size.
func (t *Task) Write(fd int, p []byte) (int, error) {
	t.enter()
	f, err := t.fgetIO(fd)
	if err != nil {
		return -1, pathErr("write", fdName(fd), err)
	}
	n, pos, err := t.vfsWrite(f, p, f.pos)
	if err == nil && f.inode.pipe == nil {
		f.pos = pos
	}
	return n, pathErr("write", fdName(fd), err)
}

// Pwrite models pwrite64(2). As on Linux, a file opened O_APPEND appends at
// the end whatever off says (generic_write_checks).
//
// Errors: EINVAL for a negative offset (first); EBADF; ESPIPE on a fifo;
// then as Write.
func (t *Task) Pwrite(fd int, p []byte, off int64) (int, error) {
	t.enter()
	if off < 0 {
		return -1, pathErr("pwrite64", fdName(fd), EINVAL)
	}
	f, err := t.fgetIO(fd)
	if err == nil && f.inode.Mode.IsFifo() {
		err = ESPIPE
	}
	if err != nil {
		return -1, pathErr("pwrite64", fdName(fd), err)
	}
	n, _, err := t.vfsWrite(f, p, off)
	return n, pathErr("pwrite64", fdName(fd), err)
}

// vfsWrite models fs/read_write.c:vfs_write with generic_perform_write on
// the page cache. It returns the bytes written and the position after them.
func (t *Task) vfsWrite(f *File, p []byte, pos int64) (int, int64, error) {
	if f.mode&fmodeWrite == 0 {
		return -1, pos, EBADF
	}
	inode := f.inode
	if inode.pipe != nil {
		n, err := t.pipeWrite(f, p)
		return n, pos, err
	}
	if !inode.Mode.IsRegular() {
		return -1, pos, EINVAL
	}
	if pos+int64(len(p)) < pos {
		return -1, pos, EINVAL // rw_verify_area: pos + count overflows loff_t
	}
	if wc, ok := inode.Ops.(WriteChecker); ok {
		if err := wc.CheckWrite(f); err != nil {
			return -1, pos, err
		}
	}
	k := t.k
	k.InodeLock(inode, "generic_file_write_iter")
	defer k.InodeUnlock(inode, "generic_file_write_iter")
	if f.flags&O_APPEND != 0 {
		pos = inode.Size
	}
	if len(p) == 0 {
		return 0, pos, nil
	}
	// generic_write_check_limits: a write starting at or beyond s_maxbytes
	// fails, one that crosses it is cut short at the limit.
	if pos >= inode.Sb.MaxBytes {
		return -1, pos, EFBIG
	}
	if int64(len(p)) > inode.Sb.MaxBytes-pos {
		p = p[:inode.Sb.MaxBytes-pos]
	}
	if err := t.fileRemovePrivs(inode); err != nil {
		return -1, pos, err
	}
	oldSize := inode.Size
	inode.Mapping.WriteAt(p, pos)
	end := pos + int64(len(p))
	if end > inode.Size {
		inode.Size = end
	}
	inode.Touch(true, true)
	if we, ok := inode.Ops.(WriteEnder); ok {
		if err := we.WriteEnd(inode, pos, len(p), oldSize); err != nil {
			// The filesystem could not record the write: the file keeps
			// its old size (bytes overwritten inside it stay written).
			if inode.Size > oldSize {
				inode.Mapping.Truncate(oldSize)
				inode.Size = oldSize
			}
			return -1, pos, err
		}
	}
	k.stats.DataBytesWritten += uint64(len(p))
	return len(p), end, nil
}

// fileRemovePrivs models fs/inode.c:file_remove_privs: a write by a caller
// without CAP_FSETID clears setuid, and setgid on a group-executable file,
// through notify_change — so the filesystem records it, or refuses and the
// write fails before any data is copied.
//
// Preconditions: the inode's i_rwsem is held.
func (t *Task) fileRemovePrivs(i *Inode) error {
	if t.cred.Capable(CAP_FSETID) {
		return nil
	}
	m := i.Mode &^ S_ISUID
	if m&(S_ISGID|0o010) == S_ISGID|0o010 {
		m &^= S_ISGID
	}
	if m == i.Mode {
		return nil
	}
	attr := &Iattr{Valid: ATTR_MODE, Mode: m}
	if s, ok := i.Ops.(Setattrer); ok {
		return s.Setattr(i, attr)
	}
	return SimpleSetattr(i, attr)
}

// Lseek models lseek(2).
//
// Errors, in order: EBADF; EINVAL for an unknown whence; ESPIPE on a fifo;
// ENXIO for SEEK_DATA/SEEK_HOLE at or beyond the end; EINVAL for a result
// that is negative or beyond the maximum size. A directory seeks the way
// its filesystem says (DirLlseeker); without one, as tmpfs's
// offset_dir_llseek: SEEK_END, SEEK_DATA and SEEK_HOLE are EINVAL.
func (t *Task) Lseek(fd int, off int64, whence int) (int64, error) {
	t.enter()
	pos, err := t.doLseek(fd, off, whence)
	return pos, pathErr("lseek", fdName(fd), err)
}

func (t *Task) doLseek(fd int, off int64, whence int) (int64, error) {
	f, err := t.fgetIO(fd)
	if err != nil {
		return -1, err
	}
	if whence < SEEK_SET || whence > SEEK_HOLE {
		return -1, EINVAL
	}
	inode := f.inode
	if inode.Mode.IsFifo() {
		return -1, ESPIPE
	}
	var pos int64
	switch {
	case inode.Mode.IsDir():
		s, ok := inode.Ops.(DirLlseeker)
		if !ok {
			// fs/libfs.c:offset_dir_llseek: only SEEK_SET and SEEK_CUR.
			switch whence {
			case SEEK_SET:
				pos = off
			case SEEK_CUR:
				pos = f.pos + off
			default:
				return -1, EINVAL
			}
			if pos < 0 {
				return -1, EINVAL
			}
			break
		}
		maxsize, eof := s.DirLlseekLimits(inode)
		if pos, err = genericFileLlseekSize(f, off, whence, maxsize, eof); err != nil {
			return -1, err
		}
	case whence == SEEK_DATA || whence == SEEK_HOLE:
		// The filesystem's llseek (shmem_file_llseek, ext4_llseek) finds
		// data and holes among the written blocks.
		if s, ok := inode.Ops.(SeekHoleDataer); ok {
			pos, err = s.SeekHoleData(inode, off, whence)
		} else if off < 0 {
			err = ENXIO
		} else {
			pos, err = inode.Mapping.SeekHoleData(off, inode.Size, whence)
		}
		if err != nil {
			return -1, err
		}
		if pos < 0 {
			// The search wrapped past 2^63 (SEEK_HOLE in the page
			// holding the largest offset): Linux hands the negative
			// value back as the result and leaves f_pos alone.
			return pos, nil
		}
		if pos > inode.Sb.MaxBytes {
			return -1, EINVAL
		}
	default:
		if pos, err = genericFileLlseekSize(f, off, whence, inode.Sb.MaxBytes, inode.Size); err != nil {
			return -1, err
		}
	}
	f.pos = pos
	return pos, nil
}

// genericFileLlseekSize models fs/read_write.c:generic_file_llseek_size: the
// new position for an llseek on f, limited to [0, maxsize], with eof as the
// end for SEEK_END and for the generic SEEK_DATA (everything before eof is
// data) and SEEK_HOLE (the only hole is at eof). It does not move f.
func genericFileLlseekSize(f *File, off int64, whence int, maxsize, eof int64) (int64, error) {
	switch whence {
	case SEEK_END:
		off += eof // wraps on overflow, as the kernel's loff_t does
	case SEEK_CUR:
		if off == 0 {
			return f.pos, nil // the position query
		}
		off += f.pos
	case SEEK_DATA:
		if uint64(off) >= uint64(eof) {
			return -1, ENXIO
		}
	case SEEK_HOLE:
		if uint64(off) >= uint64(eof) {
			return -1, ENXIO
		}
		off = eof
	}
	// vfs_setpos
	if off < 0 || off > maxsize {
		return -1, EINVAL
	}
	return off, nil
}

// Ftruncate models ftruncate(2) (fs/open.c:do_sys_ftruncate).
//
// Errors, in order: EINVAL for a negative length (before fd is looked at);
// EBADF; EINVAL when fd is not a regular file open for writing; EPERM for an
// append-only file; EFBIG past the maximum size.
func (t *Task) Ftruncate(fd int, length int64) error {
	t.enter()
	return pathErr("ftruncate", fdName(fd), t.doFtruncate(fd, length))
}

func (t *Task) doFtruncate(fd int, length int64) error {
	if length < 0 {
		return EINVAL
	}
	f, err := t.fgetIO(fd)
	if err != nil {
		return err
	}
	if !f.inode.Mode.IsRegular() || f.mode&fmodeWrite == 0 {
		return EINVAL
	}
	if f.inode.Flags&S_APPEND != 0 {
		return EPERM
	}
	return t.doTruncate(f.inode, length)
}

// Truncate models truncate(2) (fs/open.c:do_sys_truncate, vfs_truncate).
//
// Errors, in order: EINVAL for a negative length; the lookup's (the last
// symlink is followed); EISDIR for a directory; EINVAL for another
// non-regular file; EROFS; EACCES without write permission; EPERM for an
// append-only file.
func (t *Task) Truncate(path string, length int64) error {
	t.enter()
	return pathErr("truncate", path, t.doTruncatePath(path, length))
}

func (t *Task) doTruncatePath(path string, length int64) error {
	if length < 0 {
		return EINVAL
	}
	p, err := t.lookupPath(AT_FDCWD, path, lookupFollow)
	if err != nil {
		return err
	}
	defer PathPut(p)
	inode := p.Dentry.inode
	if inode.Mode.IsDir() {
		return EISDIR
	}
	if !inode.Mode.IsRegular() {
		return EINVAL
	}
	if err := mntWantWrite(p.Mnt); err != nil {
		return err
	}
	defer mntDropWrite(p.Mnt)
	if err := t.permission(inode, MAY_WRITE); err != nil {
		return err
	}
	if inode.Flags&S_APPEND != 0 {
		return EPERM
	}
	return t.doTruncate(inode, length)
}

// doTruncate models fs/open.c:do_truncate: notify_change with ATTR_SIZE
// under the inode's lock.
func (t *Task) doTruncate(inode *Inode, length int64) error {
	if length > inode.Sb.MaxBytes {
		return EFBIG // inode_newsize_ok
	}
	return t.notifyChange(inode, &Iattr{Valid: ATTR_SIZE, Size: length})
}

// notifyChange models fs/attr.c:notify_change: the filesystem's Setattr,
// or SimpleSetattr, under the inode's i_rwsem.
func (t *Task) notifyChange(inode *Inode, attr *Iattr) error {
	t.k.InodeLock(inode, "notify_change")
	defer t.k.InodeUnlock(inode, "notify_change")
	t.k.tick()
	if s, ok := inode.Ops.(Setattrer); ok {
		return s.Setattr(inode, attr)
	}
	return SimpleSetattr(inode, attr)
}

// Sync models sync(2): every mounted filesystem's sync_fs runs, oldest
// superblock first. It never fails; a filesystem's error is logged.
func (t *Task) Sync() {
	t.enter()
	for _, sb := range t.k.supers {
		if s, ok := sb.Ops.(Syncer); ok && !sb.readonly {
			if err := s.SyncFS(sb); err != nil {
				t.k.Printk("sync: %s: %v", sb.describe(), err)
			}
		}
	}
}

// Syncfs models syncfs(2): sync_fs of the filesystem fd is on.
//
// Errors:
//   - EBADF: fd is not open.
//   - whatever the filesystem's sync_fs returns (EIO).
func (t *Task) Syncfs(fd int) error {
	t.enter()
	f, err := t.fgetIO(fd)
	if err != nil {
		return pathErr("syncfs", fdName(fd), err)
	}
	sb := f.inode.Sb
	if s, ok := sb.Ops.(Syncer); ok && !sb.readonly {
		return pathErr("syncfs", fdName(fd), s.SyncFS(sb))
	}
	return nil
}
