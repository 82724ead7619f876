package vfs

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"time"
)

// FS returns a read-only io/fs view of the directory root as t sees it: a
// mount, usually. Everything goes through t's system calls (open, getdents,
// fstat, lstat, readlink, pread, lseek), so code written for io/fs —
// testing/fstest.TestFS, fs.WalkDir, template loaders — can read a simulated
// filesystem. Errors are *fs.PathError with names relative to root, and keep
// their errno: errors.Is(err, fs.ErrNotExist) holds for ENOENT.
//
// The view implements fs.ReadLinkFS: ReadLink and Lstat do not follow a
// final symlink, Open and Stat do.
func (t *Task) FS(root string) fs.FS { return &taskFS{t: t, root: root} }

type taskFS struct {
	t    *Task
	root string
}

var (
	_ fs.FS          = (*taskFS)(nil)
	_ fs.ReadLinkFS  = (*taskFS)(nil)
	_ fs.ReadDirFile = (*taskFile)(nil)
	_ io.Seeker      = (*taskFile)(nil)
	_ io.ReaderAt    = (*taskFile)(nil)
)

// full maps an io/fs name to the task's namespace after checking it.
func (f *taskFS) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return f.root, nil
	}
	return f.root + "/" + name, nil
}

// rename rewrites a system call's error to name the io/fs path.
func rename(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: op, Path: name, Err: pe.Err}
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// Open implements fs.FS.
func (f *taskFS) Open(name string) (fs.File, error) {
	p, err := f.full("open", name)
	if err != nil {
		return nil, err
	}
	fd, err := f.t.Open(p, O_RDONLY|O_NONBLOCK, 0)
	if err != nil {
		return nil, rename("open", name, err)
	}
	return &taskFile{fs: f, fd: fd, name: name}, nil
}

// ReadLink implements fs.ReadLinkFS.
func (f *taskFS) ReadLink(name string) (string, error) {
	p, err := f.full("readlink", name)
	if err != nil {
		return "", err
	}
	s, err := f.t.Readlink(p)
	return s, rename("readlink", name, err)
}

// Lstat implements fs.ReadLinkFS.
func (f *taskFS) Lstat(name string) (fs.FileInfo, error) {
	p, err := f.full("lstat", name)
	if err != nil {
		return nil, err
	}
	st, err := f.t.Lstat(p)
	if err != nil {
		return nil, rename("lstat", name, err)
	}
	return fileInfo{name: path.Base(name), st: st}, nil
}

// taskFile is an open file of a taskFS.
type taskFile struct {
	fs      *taskFS
	fd      int
	name    string
	closed  bool
	pending []fs.DirEntry
}

func (f *taskFile) Stat() (fs.FileInfo, error) {
	st, err := f.fs.t.Fstat(f.fd)
	if err != nil {
		return nil, rename("stat", f.name, err)
	}
	return fileInfo{name: path.Base(f.name), st: st}, nil
}

func (f *taskFile) Read(p []byte) (int, error) {
	n, err := f.fs.t.Read(f.fd, p)
	if err != nil {
		return 0, rename("read", f.name, err)
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (f *taskFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.fs.t.Pread(f.fd, p, off)
	if err != nil {
		return 0, rename("read", f.name, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *taskFile) Seek(off int64, whence int) (int64, error) {
	pos, err := f.fs.t.Lseek(f.fd, off, whence)
	return pos, rename("seek", f.name, err)
}

func (f *taskFile) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return rename("close", f.name, f.fs.t.Close(f.fd))
}

// ReadDir implements fs.ReadDirFile with getdents, skipping "." and "..".
// Entries read but not yet returned wait in the file, as os.File's do.
func (f *taskFile) ReadDir(n int) ([]fs.DirEntry, error) {
	for n <= 0 || len(f.pending) < n {
		ents, err := f.fs.t.Getdents(f.fd, 32768)
		if err != nil {
			return nil, rename("readdirent", f.name, err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			if e.Name != "." && e.Name != ".." {
				f.pending = append(f.pending, dirEntry{fs: f.fs, dir: f.name, d: e})
			}
		}
	}
	if n > 0 && len(f.pending) == 0 {
		return nil, io.EOF
	}
	if n <= 0 || n > len(f.pending) {
		n = len(f.pending)
	}
	out := f.pending[:n:n]
	f.pending = f.pending[n:]
	return out, nil
}

// dirEntry is an fs.DirEntry from getdents; Info lstats the entry.
type dirEntry struct {
	fs  *taskFS
	dir string
	d   Dirent
}

func (e dirEntry) Name() string      { return e.d.Name }
func (e dirEntry) IsDir() bool       { return e.d.Type == S_IFDIR }
func (e dirEntry) Type() fs.FileMode { return ioMode(e.d.Type).Type() }
func (e dirEntry) Info() (fs.FileInfo, error) {
	return e.fs.Lstat(path.Join(e.dir, e.d.Name))
}

// fileInfo adapts a Stat_t to fs.FileInfo; Sys returns the Stat_t.
type fileInfo struct {
	name string
	st   Stat_t
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.st.Size }
func (i fileInfo) Mode() fs.FileMode  { return ioMode(i.st.Mode) }
func (i fileInfo) ModTime() time.Time { return time.Unix(0, i.st.Mtime).UTC() }
func (i fileInfo) IsDir() bool        { return i.st.Mode.IsDir() }
func (i fileInfo) Sys() any           { return i.st }

// ioMode converts Linux st_mode bits to an fs.FileMode.
func ioMode(m FileMode) fs.FileMode {
	mode := fs.FileMode(m & S_IRWXUGO)
	switch m.Type() {
	case S_IFDIR:
		mode |= fs.ModeDir
	case S_IFLNK:
		mode |= fs.ModeSymlink
	case S_IFIFO:
		mode |= fs.ModeNamedPipe
	case S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case S_IFBLK:
		mode |= fs.ModeDevice
	case S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
