package ckpt

import (
	"fmt"
	"path"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// The copy strategy: the cover letter's first attempt. "We first tried
// copying the contents into the checkpoint image": every byte of an
// unlinked file — holes read as zeros — goes into the image at
// checkpoint and is written into a new file at restart, which is opened
// and unlinked. The data is "read-and-written twice", and the restored
// descriptor is a new inode: a write through it no longer reaches the
// file's other names.

// MaxCopyBytes bounds the data one checkpoint's copies may hold: the
// image lives in memory, and a naive copy of sparse files holds every
// byte of them. A checkpoint beyond it fails with EFBIG.
const MaxCopyBytes = 256 << 20

// copyRemap records an unlinked file's contents: one copy per inode,
// however many files are open on it.
func (c *ctx) copyRemap(f *vfs.File) (uint32, error) {
	ino := f.Inode()
	if ref, ok := c.criu.copies[ino]; ok {
		return ref, nil
	}
	if total := c.copyBytes + uint64(max(ino.Size, 0)); total > MaxCopyBytes {
		return 0, fmt.Errorf("copy: %s would make the image hold %d bytes of copies, more than the simulator's %d: %w",
			c.cp.DPath(f.Path()), total, MaxCopyBytes, vfs.EFBIG)
	}
	c.copyBytes += uint64(max(ino.Size, 0))
	fd, put, err := c.borrowFD(f)
	if err != nil {
		return 0, err
	}
	defer put()
	var st vfs.Stat_t
	if err := c.call(func() error {
		var err error
		st, err = c.cp.Fstat(fd)
		return err
	}); err != nil {
		return 0, err
	}
	ref, err := c.addDataRemap(RemapCopy, fd, st, false)
	if err != nil {
		return 0, err
	}
	c.criu.copies[ino] = ref
	c.summary.Copies++
	return ref, nil
}

// copyName is where the restart writes a copy: beside the file's old
// name, which may be taken again.
func copyName(orig string, id uint32) string {
	return fmt.Sprintf("%s.copy-%d", strings.TrimSuffix(orig, deletedSuffix), id)
}

// writeContents writes a remap's chunks into the file at fd and sets its
// size (copy_file_from_chunks: the holes between chunks stay holes).
func (r *restorer) writeContents(fd int, m Remap) error {
	for _, ch := range m.Chunks {
		if err := r.call(func() error { _, err := r.cp.Pwrite(fd, ch.Data, ch.Off); return err }); err != nil {
			return err
		}
	}
	return r.call(func() error { return r.cp.Ftruncate(fd, m.Size) })
}

// makeCopy makes the file a copy remap comes back as: created with
// O_EXCL beside the old name, written, given its owner and mode. It
// returns the name.
func (r *restorer) makeCopy(fs FileState, m Remap) (string, error) {
	name := copyName(fs.Path, m.ID)
	mode := vfs.FileMode(m.Mode)
	switch {
	case mode.IsDir():
		if err := r.call(func() error { return r.cp.Mkdir(name, mode&0o7777) }); err != nil {
			return "", err
		}
	case mode.IsFifo():
		if err := r.call(func() error { return r.cp.Mkfifo(name, mode&0o7777) }); err != nil {
			return "", err
		}
	default:
		var fd int
		if err := r.call(func() error {
			var err error
			fd, err = r.cp.Open(name, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_EXCL, mode&0o7777)
			return err
		}); err != nil {
			return "", err
		}
		err := r.writeContents(fd, m)
		r.cp.Close(fd)
		if err != nil {
			r.cp.Unlink(name)
			return "", err
		}
	}
	if err := r.applyMetadata(name, m); err != nil {
		return name, err // made: the cleanup removes it
	}
	return name, nil
}

// applyMetadata gives a made file its owner and mode
// (ghost_apply_metadata; times are not modelled).
func (r *restorer) applyMetadata(name string, m Remap) error {
	if err := r.call(func() error { return r.cp.Chown(name, m.UID, m.GID) }); err != nil {
		return err
	}
	return r.call(func() error { return r.cp.Chmod(name, vfs.FileMode(m.Mode)&0o7777) })
}

// dirOf is the directory of a recorded path, its " (deleted)" gone.
func dirOf(p string) string { return path.Dir(strings.TrimSuffix(p, deletedSuffix)) }
