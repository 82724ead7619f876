package vfs

import "fmt"

// Open flags (include/uapi/asm-generic/fcntl.h, x86-64 values).
const (
	O_RDONLY    = 0o0
	O_WRONLY    = 0o1
	O_RDWR      = 0o2
	O_ACCMODE   = 0o3
	O_CREAT     = 0o100
	O_EXCL      = 0o200
	O_NOCTTY    = 0o400
	O_TRUNC     = 0o1000
	O_APPEND    = 0o2000
	O_NONBLOCK  = 0o4000
	O_DIRECTORY = 0o200000
	O_NOFOLLOW  = 0o400000
	O_NOATIME   = 0o1000000
	O_CLOEXEC   = 0o2000000
	O_PATH      = 0o10000000
	// O_TMPFILE includes O_DIRECTORY on purpose: a kernel that does not
	// know __O_TMPFILE sees a write open of a directory and fails with
	// EISDIR instead of creating a file in the wrong place.
	O_TMPFILE  = 0o20000000 | O_DIRECTORY
	o_TMPFILE_ = 0o20000000 // __O_TMPFILE
)

// fmode is the file's f_mode (FMODE_READ, FMODE_WRITE).
type fmode uint8

const (
	fmodeRead fmode = 1 << iota
	fmodeWrite
)

// File is analogous to Linux's struct file: an open file description. File
// descriptors (Task.Dup shares one) point at it; it holds a reference on its
// dentry and on its mount, and remembers the credentials it was opened with
// (f_cred), the flags, and the position.
//
// The last reference (Fput) releases the file: a writer's hold on its mount
// goes, a fifo loses a reader or writer, and the dentry and mount references
// are dropped — which, for a file whose last name was unlinked, is what
// finally evicts the inode.
type File struct {
	kobj

	k     *Kernel
	path  Path
	inode *Inode
	flags int
	mode  fmode
	pos   int64
	cred  *Cred
	// mntWrite records the write access the open took on the mount
	// (mnt_want_write), for Fput.
	mntWrite bool
	// pipeOpen records that fifo_open counted the file as a reader or
	// writer, for Fput.
	pipeOpen bool
}

func (f *File) kind() string { return "file" }

func (f *File) describe() string {
	return fmt.Sprintf("%s flags %#o", f.k.dPath(f.path, Path{}), f.flags)
}

func (f *File) String() string { return "file " + f.k.dPath(f.path, Path{}) }

// Path returns the file's path (f_path). The caller does not own a
// reference; use PathGet to keep it.
func (f *File) Path() Path { return f.path }

// Dentry returns the file's dentry (f_path.dentry).
func (f *File) Dentry() *Dentry { return f.path.Dentry }

// Inode returns the file's inode (file_inode).
func (f *File) Inode() *Inode { return f.inode }

// Flags returns f_flags.
func (f *File) Flags() int { return f.flags }

// Pos returns f_pos.
func (f *File) Pos() int64 { return f.pos }

// Cred returns the credentials the file was opened with (f_cred).
func (f *File) Cred() *Cred { return f.cred }

// Refs returns f_count.
func (f *File) Refs() int64 { return f.refs }

// Readable and Writable report FMODE_READ and FMODE_WRITE.
func (f *File) Readable() bool { return f.mode&fmodeRead != 0 }
func (f *File) Writable() bool { return f.mode&fmodeWrite != 0 }

// Fget takes a reference on an open file (get_file).
func Fget(f *File) *File {
	if f.refs <= 0 {
		Bug("get_file on released file %s", f.describe())
	}
	f.refs++
	return f
}

// Fput drops a reference (models fs/file_table.c:fput and __fput).
func Fput(f *File) {
	if f.refs <= 0 {
		Bug("fput: file %s has f_count 0", f.describe())
	}
	f.refs--
	if f.refs > 0 {
		return
	}
	if f.pipeOpen {
		fifoRelease(f)
	}
	if r, ok := f.inode.Ops.(FileReleaser); ok && f.flags&O_PATH == 0 {
		r.Release(f)
	}
	if f.mntWrite {
		mntDropWrite(f.path.Mnt)
	}
	p := f.path
	f.path = Path{}
	f.k.unregister(&f.kobj)
	PathPut(p)
}

// allocFile models fs/file_table.c:alloc_file: a new file on path (taking
// new references on it) with one reference owned by the caller.
func (k *Kernel) allocFile(p Path, flags int, cred *Cred) *File {
	f := &File{k: k, path: PathGet(p), inode: p.Dentry.inode, flags: flags, cred: cred}
	switch flags & O_ACCMODE {
	case O_RDONLY:
		f.mode = fmodeRead
	case O_WRONLY:
		f.mode = fmodeWrite
	case O_RDWR:
		f.mode = fmodeRead | fmodeWrite
	}
	if flags&O_PATH != 0 {
		f.mode = 0
	}
	f.refs = 1
	k.register(f, &f.kobj)
	return f
}
