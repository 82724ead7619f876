package hostkernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// Task performs system calls on the real kernel. Its methods mirror
// *vfs.Task's. OrphanDev, when set, names the block device whose orphans
// the op language's orphans op reads, the way the oracle reads them for
// filesystem OrphanFS ("ext4", the default, or "btrfs"). Source and FSType
// are the mount source and type of the filesystem under test, which the
// mount-dev op mounts again (script.SourceMounter).
type Task struct {
	OrphanDev string
	OrphanFS  string
	Source    string
	FSType    string
}

// Mount is mount(2) (script.Mounter).
func (Task) Mount(source, target, fstype string, flags vfs.MountFlags, data string) error {
	return errno(unix.Mount(source, target, fstype, uintptr(flags), data))
}

// Umount is umount2(2) (script.Mounter).
func (Task) Umount(target string, flags int) error { return errno(unix.Unmount(target, flags)) }

// MountSource mounts the filesystem under test's source again on target
// (script.SourceMounter).
func (t Task) MountSource(target string, flags vfs.MountFlags, data string) error {
	if t.Source == "" || t.FSType == "" {
		return fmt.Errorf("hostkernel.Task: no Source and FSType to mount")
	}
	return t.Mount(t.Source, target, t.FSType, flags, data)
}

// OnDiskOrphans reads the orphans of OrphanDev: ext4's orphan chain, or the
// orphan items of btrfs's top subvolume; ok is false when there is nothing
// to read (tmpfs). path is not used: a Task drives one filesystem, the one
// on OrphanDev (script.OrphanReader).
func (t Task) OnDiskOrphans(path string) (inos []uint64, ok bool, err error) {
	if t.OrphanDev == "" {
		return nil, false, nil
	}
	if t.OrphanFS == "btrfs" {
		inos, err = BtrfsOrphanItems(t.OrphanDev, 5)
	} else {
		inos, err = OnDiskOrphans(t.OrphanDev)
	}
	return inos, true, err
}

func errno(err error) error {
	if err == nil {
		return nil
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return vfs.Errno(e)
	}
	return err
}

func (Task) Open(path string, flags int, mode vfs.FileMode) (int, error) {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, uint32(mode))
	return fd, errno(err)
}

func (Task) Openat(dirfd int, path string, flags int, mode vfs.FileMode) (int, error) {
	fd, err := unix.Openat(dirfd, path, flags|unix.O_CLOEXEC, uint32(mode))
	return fd, errno(err)
}

func (Task) Close(fd int) error { return errno(unix.Close(fd)) }

func (Task) Dup(fd int) (int, error) {
	n, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	return n, errno(err)
}

func (Task) Read(fd int, p []byte) (int, error) {
	n, err := unix.Read(fd, p)
	return n, errno(err)
}

func (Task) Write(fd int, p []byte) (int, error) {
	n, err := unix.Write(fd, p)
	return n, errno(err)
}

func (Task) Pread(fd int, p []byte, off int64) (int, error) {
	n, err := unix.Pread(fd, p, off)
	return n, errno(err)
}

func (Task) Pwrite(fd int, p []byte, off int64) (int, error) {
	n, err := unix.Pwrite(fd, p, off)
	return n, errno(err)
}

func (Task) Ftruncate(fd int, length int64) error { return errno(unix.Ftruncate(fd, length)) }

func (Task) Lseek(fd int, off int64, whence int) (int64, error) {
	pos, err := unix.Seek(fd, off, whence)
	return pos, errno(err)
}

func (Task) Link(oldpath, newpath string) error { return errno(unix.Link(oldpath, newpath)) }

func (Task) Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	return errno(unix.Linkat(olddirfd, oldpath, newdirfd, newpath, flags))
}

func (Task) Unlink(path string) error { return errno(unix.Unlink(path)) }
func (Task) Rmdir(path string) error  { return errno(unix.Rmdir(path)) }

func (Task) Mkdir(path string, mode vfs.FileMode) error {
	return errno(unix.Mkdir(path, uint32(mode)))
}

func (Task) Mkdirat(dirfd int, path string, mode vfs.FileMode) error {
	return errno(unix.Mkdirat(dirfd, path, uint32(mode)))
}

func (Task) Rename(oldpath, newpath string) error { return errno(unix.Rename(oldpath, newpath)) }

func (Task) Renameat2(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
	return errno(unix.Renameat2(olddirfd, oldpath, newdirfd, newpath, flags))
}

func (Task) Mkfifo(path string, mode vfs.FileMode) error {
	return errno(unix.Mkfifo(path, uint32(mode)))
}

func (Task) Symlink(target, linkpath string) error { return errno(unix.Symlink(target, linkpath)) }

func (Task) Chdir(path string) error { return errno(unix.Chdir(path)) }

// Sync models sync(2).
func (Task) Sync() { unix.Sync() }

func (Task) Chmod(path string, mode vfs.FileMode) error {
	return errno(unix.Chmod(path, uint32(mode)))
}

func stat(s *unix.Stat_t) vfs.Stat_t {
	return vfs.Stat_t{
		Dev: uint32(s.Dev), Ino: s.Ino, Mode: vfs.FileMode(s.Mode), Nlink: uint32(s.Nlink),
		UID: s.Uid, GID: s.Gid, Rdev: uint32(s.Rdev), Size: s.Size, Blksize: int64(s.Blksize),
		Blocks: s.Blocks,
	}
}

func (Task) Fstat(fd int) (vfs.Stat_t, error) {
	var s unix.Stat_t
	err := unix.Fstat(fd, &s)
	return stat(&s), errno(err)
}

func (Task) Stat(path string) (vfs.Stat_t, error) {
	var s unix.Stat_t
	err := unix.Stat(path, &s)
	return stat(&s), errno(err)
}

func (Task) Lstat(path string) (vfs.Stat_t, error) {
	var s unix.Stat_t
	err := unix.Lstat(path, &s)
	return stat(&s), errno(err)
}

func (Task) Readlink(path string) (string, error) {
	buf := make([]byte, vfs.PATH_MAX)
	n, err := unix.Readlink(path, buf)
	if err != nil {
		return "", errno(err)
	}
	return string(buf[:n]), nil
}

// ReadDir reads every remaining entry with getdents64, in the kernel's
// order, "." and ".." included.
func (Task) ReadDir(fd int) ([]vfs.Dirent, error) {
	var out []vfs.Dirent
	buf := make([]byte, 32768)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return out, errno(err)
		}
		if n == 0 {
			return out, nil
		}
		for b := buf[:n]; len(b) > 0; {
			reclen := int(binary.LittleEndian.Uint16(b[16:18]))
			name := b[19:reclen]
			if i := strings.IndexByte(string(name), 0); i >= 0 {
				name = name[:i]
			}
			out = append(out, vfs.Dirent{
				Ino:  binary.LittleEndian.Uint64(b[0:8]),
				Off:  int64(binary.LittleEndian.Uint64(b[8:16])),
				Type: dtype(b[18]),
				Name: string(name),
			})
			b = b[reclen:]
		}
	}
}

func dtype(t byte) vfs.FileMode {
	switch t {
	case unix.DT_DIR:
		return vfs.S_IFDIR
	case unix.DT_REG:
		return vfs.S_IFREG
	case unix.DT_LNK:
		return vfs.S_IFLNK
	case unix.DT_FIFO:
		return vfs.S_IFIFO
	case unix.DT_CHR:
		return vfs.S_IFCHR
	case unix.DT_BLK:
		return vfs.S_IFBLK
	case unix.DT_SOCK:
		return vfs.S_IFSOCK
	}
	return 0
}

// Available reports why the real kernel cannot be used here, or "" when it
// can (Linux, root, tmpfs mountable).
func Available() string {
	if os.Geteuid() != 0 {
		return "needs root to mount a scratch tmpfs (CI runs it as root)"
	}
	return ""
}

// Tmpfs is a freshly mounted real tmpfs in a temporary directory.
type Tmpfs struct {
	Dir string
}

// MountTmpfs mounts a new tmpfs on a fresh directory under base.
func MountTmpfs(base string) (*Tmpfs, error) {
	dir, err := os.MkdirTemp(base, "relinksim-tmpfs-")
	if err != nil {
		return nil, err
	}
	if err := unix.Mount("none", dir, "tmpfs", 0, ""); err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("mount tmpfs on %s: %w", dir, err)
	}
	return &Tmpfs{Dir: dir}, nil
}

// Close closes every descriptor in fds, unmounts the tmpfs and removes its
// directory.
func (m *Tmpfs) Close(fds []int) error {
	for _, fd := range fds {
		unix.Close(fd)
	}
	if err := unix.Unmount(m.Dir, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("umount %s: %w", m.Dir, err)
	}
	return os.Remove(filepath.Clean(m.Dir))
}

// The op language's system-call surface and the optional parts the host
// kernel offers (the rest — credentials, faults — the differential tests do
// not generate; mounts serve the recorded scenarios).
var (
	_ script.Sys           = Task{}
	_ script.Syncer        = Task{}
	_ script.OrphanReader  = Task{}
	_ script.Subvolumes    = Task{}
	_ script.Mounter       = Task{}
	_ script.SourceMounter = Task{}
)
