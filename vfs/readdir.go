package vfs

import "fmt"

// direntSize is the size of a struct linux_dirent64 record for name:
// d_ino, d_off, d_reclen, d_type and the NUL-terminated name, 8-aligned.
func direntSize(name string) int { return (19 + len(name) + 1 + 7) &^ 7 }

// Getdents models getdents64(2) (fs/readdir.c:iterate_dir): it returns the
// entries that fit in a buffer of count bytes, continuing from the file's
// position, and advances the position past them. An empty result means the
// end of the directory.
//
// Errors:
//   - EBADF: fd is not open (or is an O_PATH descriptor).
//   - ENOTDIR: fd is not a directory.
//   - ENOENT: the directory was removed.
//   - EINVAL: count is too small for the next entry.
func (t *Task) Getdents(fd int, count int) ([]Dirent, error) {
	t.enter()
	ents, err := t.doGetdents(fd, count)
	return ents, pathErr("getdents64", fmt.Sprint(fd), err)
}

func (t *Task) doGetdents(fd int, count int) ([]Dirent, error) {
	f, err := t.fgetIO(fd)
	if err != nil {
		return nil, err
	}
	dir := f.inode
	it, ok := dir.Ops.(DirIterator)
	if !ok || !dir.Mode.IsDir() {
		return nil, ENOTDIR
	}
	t.k.InodeLockShared(dir, "iterate_dir")
	defer t.k.InodeUnlockShared(dir, "iterate_dir")
	if dir.IsDeadDir() {
		return nil, ENOENT
	}
	var out []Dirent
	used := 0
	var tooSmall bool
	err = it.IterateDir(dir, f.pos, func(d Dirent) bool {
		sz := direntSize(d.Name)
		if used+sz > count {
			tooSmall = len(out) == 0
			return false
		}
		used += sz
		out = append(out, d)
		f.pos = d.Off
		return true
	})
	if err != nil {
		return nil, err
	}
	if tooSmall {
		return nil, EINVAL
	}
	dir.Atime = t.k.clock
	return out, nil
}

// ReadDir reads every remaining entry of the directory open on fd, "." and
// ".." included, in getdents order.
func (t *Task) ReadDir(fd int) ([]Dirent, error) {
	var all []Dirent
	for {
		ents, err := t.Getdents(fd, 32768)
		if err != nil {
			return all, err
		}
		if len(ents) == 0 {
			return all, nil
		}
		all = append(all, ents...)
	}
}
