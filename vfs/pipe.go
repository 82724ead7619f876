package vfs

// Pipe capacities (include/linux/pipe_fs_i.h, include/uapi/linux/limits.h).
const (
	// PipeCapacity is the default pipe size: 16 pages.
	PipeCapacity = 16 * PageSize
	// PIPE_BUF is the largest write that is atomic.
	PIPE_BUF = 4096
)

// pipe is analogous to Linux's struct pipe_inode_info: the buffer of a fifo,
// created by its first open and freed by its last close, with counts of the
// readers and writers holding it open.
//
// Differences from Linux: the buffer is counted in bytes, not in page-sized
// slots, so a stream of small writes that Linux would spread over slots
// fits exactly PipeCapacity bytes here.
type pipe struct {
	buf     []byte
	readers int
	writers int
}

// fifoOpen models fs/pipe.c:fifo_open. A reader opened O_NONBLOCK never
// waits; a writer opened O_NONBLOCK with no reader fails with ENXIO; O_RDWR
// never waits. A blocking open that would wait for a partner is
// interrupted (EINTR) when no scheduler can run the partner.
func (t *Task) fifoOpen(f *File) error {
	inode := f.inode
	if f.mode&(fmodeRead|fmodeWrite) == fmodeWrite && f.flags&O_NONBLOCK != 0 && (inode.pipe == nil || inode.pipe.readers == 0) {
		return ENXIO // a non-blocking writer needs a reader
	}
	if inode.pipe == nil {
		inode.pipe = &pipe{}
	}
	p := inode.pipe
	switch f.mode & (fmodeRead | fmodeWrite) {
	case fmodeRead:
		p.readers++
		if p.writers == 0 && f.flags&O_NONBLOCK == 0 {
			if err := t.waitForPartner(func() bool { return p.writers > 0 }); err != nil {
				p.readers--
				return err
			}
		}
	case fmodeWrite:
		p.writers++
		if p.readers == 0 {
			if err := t.waitForPartner(func() bool { return p.readers > 0 }); err != nil {
				p.writers--
				return err
			}
		}
	case fmodeRead | fmodeWrite:
		p.readers++
		p.writers++
	default:
		if p.readers == 0 && p.writers == 0 {
			inode.pipe = nil
		}
		return EINVAL
	}
	f.pipeOpen = true
	return nil
}

// waitForPartner models the interruptible sleeps of fs/pipe.c. Without a
// scheduler no other task can ever satisfy cond, so the wait ends as if a
// signal had interrupted it.
func (t *Task) waitForPartner(cond func() bool) error {
	if t.k.scheduler == nil {
		return EINTR
	}
	for !cond() {
		t.k.scheduler.Yield(t, "pipe_wait")
	}
	return nil
}

// fifoRelease models fs/pipe.c:pipe_release: the file stops counting as a
// reader or writer; the last one frees the buffer.
func fifoRelease(f *File) {
	p := f.inode.pipe
	if f.mode&fmodeRead != 0 {
		p.readers--
	}
	if f.mode&fmodeWrite != 0 {
		p.writers--
	}
	if p.readers == 0 && p.writers == 0 {
		f.inode.pipe = nil
	}
}

// pipeRead models fs/pipe.c:pipe_read.
func (t *Task) pipeRead(f *File, dst []byte) (int, error) {
	p := f.inode.pipe
	if len(dst) == 0 {
		return 0, nil
	}
	for len(p.buf) == 0 {
		if p.writers == 0 {
			return 0, nil
		}
		if f.flags&O_NONBLOCK != 0 {
			return -1, EAGAIN
		}
		if err := t.waitForPartner(func() bool { return len(p.buf) > 0 || p.writers == 0 }); err != nil {
			return -1, err
		}
	}
	n := copy(dst, p.buf)
	p.buf = p.buf[n:]
	t.k.stats.DataBytesRead += uint64(n)
	return n, nil
}

// pipeWrite models fs/pipe.c:pipe_write: EPIPE without readers; writes of
// at most PIPE_BUF bytes go in whole or not at all.
func (t *Task) pipeWrite(f *File, src []byte) (int, error) {
	p := f.inode.pipe
	if p.readers == 0 {
		return -1, EPIPE
	}
	if len(src) == 0 {
		return 0, nil
	}
	written := 0
	for written < len(src) {
		space := PipeCapacity - len(p.buf)
		rem := len(src) - written
		atomic := len(src) <= PIPE_BUF
		if space == 0 || (atomic && space < rem) {
			if written > 0 {
				break
			}
			if f.flags&O_NONBLOCK != 0 {
				return -1, EAGAIN
			}
			if err := t.waitForPartner(func() bool { return PipeCapacity-len(p.buf) >= min(rem, PIPE_BUF) || p.readers == 0 }); err != nil {
				return -1, err
			}
			if p.readers == 0 {
				return -1, EPIPE
			}
			continue
		}
		n := min(space, rem)
		p.buf = append(p.buf, src[written:written+n]...)
		written += n
	}
	t.k.stats.DataBytesWritten += uint64(written)
	// file_update_time: skipped when the mount cannot be written (its
	// __mnt_want_write_file fails: a read-only mount, or a filesystem
	// forced read-only); otherwise the filesystem may refuse to record
	// the new times (btrfs in a read-only snapshot: EROFS), and the write
	// then reports that error although its data is in the pipe.
	if f.path.Mnt.ReadOnly() {
		return written, nil
	}
	if err := updateTime(f.inode); err != nil {
		return -1, err
	}
	return written, nil
}

// updateTime models fs/inode.c:inode_update_time for a change: the
// filesystem's update_time, or new mtime and ctime.
func updateTime(i *Inode) error {
	if u, ok := i.Ops.(TimeUpdater); ok {
		return u.UpdateTime(i)
	}
	i.Touch(true, true)
	return nil
}

// SpliceToPipe models filling the pipe of fifo descriptor fd with data the
// way splice(2) does from a file (fs/splice.c:splice_to_pipe), as the
// seed's restart gives a fifo back its buffered bytes: all of data goes
// into the pipe buffer or none, and no file time is updated, so a fifo on
// a read-only filesystem takes it too (pipe_write would record new times
// and fail with EROFS there, its bytes in the pipe all the same).
//
// Errors: EBADF (fd not open for writing); EINVAL (not a fifo); EPIPE
// without readers; EAGAIN when data does not fit.
func (t *Task) SpliceToPipe(fd int, data []byte) (int, error) {
	t.enter()
	f, err := t.fgetIO(fd)
	if err == nil && f.mode&fmodeWrite == 0 {
		err = EBADF
	}
	if err != nil {
		return -1, pathErr("splice", fdName(fd), err)
	}
	p := f.inode.pipe
	switch {
	case p == nil:
		return -1, pathErr("splice", fdName(fd), EINVAL)
	case p.readers == 0:
		return -1, pathErr("splice", fdName(fd), EPIPE)
	case len(data) > PipeCapacity-len(p.buf):
		return -1, pathErr("splice", fdName(fd), EAGAIN)
	}
	p.buf = append(p.buf, data...)
	t.k.stats.DataBytesWritten += uint64(len(data))
	return len(data), nil
}
