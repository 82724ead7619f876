package vfs

import "fmt"

// Stat_t is struct stat as the simulator reports it. Times are nanoseconds
// of the kernel's logical clock.
type Stat_t struct {
	Dev     uint32
	Ino     uint64
	Mode    FileMode
	Nlink   uint32
	UID     uint32
	GID     uint32
	Rdev    uint32
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte units
	Atime   int64
	Mtime   int64
	Ctime   int64
}

func (s Stat_t) String() string {
	return fmt.Sprintf("%s ino %d nlink %d size %d mode %#o uid %d gid %d",
		s.Mode.TypeName(), s.Ino, s.Nlink, s.Size, s.Mode&S_IALLUGO, s.UID, s.GID)
}

// getattr models fs/stat.c:vfs_getattr with generic_fillattr: the inode's
// fields, st_blocks counted from allocated pages, then the filesystem's
// adjustments.
func getattr(i *Inode) Stat_t {
	st := Stat_t{
		Dev: i.Sb.dev, Ino: i.Ino, Mode: i.Mode, Nlink: i.nlink, UID: i.UID, GID: i.GID,
		Rdev: i.Rdev, Size: i.Size, Blksize: PageSize,
		Blocks: int64(i.Mapping.NrPages()) * (PageSize / 512),
		Atime:  i.Atime, Mtime: i.Mtime, Ctime: i.Ctime,
	}
	if g, ok := i.Ops.(Getattrer); ok {
		st = g.Getattr(i, st)
	}
	return st
}

// Stat models stat(2): the last symlink is followed.
func (t *Task) Stat(path string) (Stat_t, error) {
	t.enter()
	st, err := t.doFstatat(AT_FDCWD, path, 0)
	return st, pathErr("stat", path, err)
}

// Lstat models lstat(2): a final symlink is reported itself (a trailing
// slash still follows it).
func (t *Task) Lstat(path string) (Stat_t, error) {
	t.enter()
	st, err := t.doFstatat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)
	return st, pathErr("lstat", path, err)
}

// Fstatat models fstatat(2) with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
func (t *Task) Fstatat(dirfd int, path string, flags int) (Stat_t, error) {
	t.enter()
	st, err := t.doFstatat(dirfd, path, flags)
	return st, pathErr("fstatat", path, err)
}

func (t *Task) doFstatat(dfd int, name string, flags int) (Stat_t, error) {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
		return Stat_t{}, EINVAL
	}
	lf := lookupFollow
	if flags&AT_SYMLINK_NOFOLLOW != 0 {
		lf = 0
	}
	if flags&AT_EMPTY_PATH != 0 {
		lf |= lookupEmpty
	}
	p, err := t.lookupPath(dfd, name, lf)
	if err != nil {
		return Stat_t{}, err
	}
	defer PathPut(p)
	return getattr(p.Dentry.inode), nil
}

// Fstat models fstat(2).
//
// Errors:
//   - EBADF: fd is not open.
func (t *Task) Fstat(fd int) (Stat_t, error) {
	t.enter()
	f, err := t.fget(fd)
	if err != nil {
		return Stat_t{}, pathErr("fstat", fmt.Sprint(fd), err)
	}
	return getattr(f.inode), nil
}

// Readlink models readlink(2) with a PATH_MAX buffer and returns the link's
// text.
func (t *Task) Readlink(path string) (string, error) {
	t.enter()
	buf := make([]byte, PATH_MAX)
	n, err := t.doReadlinkat(AT_FDCWD, path, buf)
	return string(buf[:max(n, 0)]), pathErr("readlink", path, err)
}

// Readlinkat models readlinkat(2) (fs/stat.c:do_readlinkat): it copies at
// most len(buf) bytes of the link text, without a terminating NUL, and
// returns how many. An empty path reads the link dirfd refers to.
//
// Errors, in order: EINVAL for an empty buffer (before the lookup); the
// lookup's errors (the final symlink is not followed, though a trailing
// slash follows it); EINVAL when the result is not a symlink, or ENOENT when
// the path was empty.
func (t *Task) Readlinkat(dirfd int, path string, buf []byte) (int, error) {
	t.enter()
	n, err := t.doReadlinkat(dirfd, path, buf)
	return n, pathErr("readlinkat", path, err)
}

func (t *Task) doReadlinkat(dfd int, name string, buf []byte) (int, error) {
	if len(buf) == 0 {
		return -1, EINVAL
	}
	p, err := t.lookupPath(dfd, name, lookupEmpty)
	if err != nil {
		return -1, err
	}
	defer PathPut(p)
	inode := p.Dentry.inode
	if !inode.Mode.IsSymlink() {
		if name == "" {
			return -1, ENOENT
		}
		return -1, EINVAL
	}
	text := inode.Link
	if inode.getLink != nil {
		jump, body, err := inode.getLink(t)
		if err != nil {
			return -1, err
		}
		text = body
		if jump != nil {
			PathPut(*jump)
			// do_proc_readlink: d_path into a PATH_MAX buffer, NUL
			// included.
			if len(text) >= PATH_MAX {
				return -1, ENAMETOOLONG
			}
		}
	}
	return copy(buf, text), nil
}

// SuperblockOf returns the superblock of the filesystem path is on (a final
// symlink followed), for kernel-side users such as the op runner. Unlike
// st_dev, which a filesystem may choose per inode (btrfs gives every
// subvolume its own), this names the superblock itself.
func (t *Task) SuperblockOf(path string) (*Superblock, error) {
	t.enter()
	p, err := t.lookupPath(AT_FDCWD, path, lookupFollow)
	if err != nil {
		return nil, pathErr("stat", path, err)
	}
	defer PathPut(p)
	return p.Dentry.sb, nil
}
