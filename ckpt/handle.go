package ckpt

import (
	"fmt"

	"github.com/relinksim/relinksim/vfs"
)

// The handle strategy: what the cover letter calls "file handles", which
// "may not survive a backup, snapshot or migration". The checkpoint asks
// for an unlinked file's handle (name_to_handle_at through the file: the
// dumper's descriptor with AT_EMPTY_PATH); the restart opens the root of
// the file's mount and asks open_by_handle_at for the inode. A handle
// holds no reference: it finds the inode only while something else still
// does, and an unlinked inode dies with its last descriptor — at kill.

// handleRemap records f's file handle and the root of its mount.
func (c *ctx) handleRemap(f *vfs.File) (uint32, error) {
	fd, put, err := c.borrowFD(f)
	if err != nil {
		return 0, err
	}
	defer put()
	var h vfs.FileHandle
	if err := c.call(func() error {
		var err error
		h, _, err = c.cp.NameToHandleAt(fd, "", vfs.AT_EMPTY_PATH)
		return err
	}); err != nil {
		return 0, fmt.Errorf("name_to_handle_at of %s: %w", c.cp.DPath(f.Path()), err)
	}
	m := f.Path().Mnt
	root := c.cp.DPath(vfs.Path{Mnt: m, Dentry: m.Root()})
	c.criu.ghostIDs++
	c.img.Remaps = append(c.img.Remaps, Remap{Kind: RemapHandle, ID: c.criu.ghostIDs, Path: root, HandleType: h.Type, Handle: h.Bytes})
	c.summary.Handles++
	return uint32(len(c.img.Remaps)), nil
}

// openByHandle opens a handle remap's file: the mount's root, then
// open_by_handle_at with the file's flags; then its position.
func (r *restorer) openByHandle(fs FileState, m Remap) (*vfs.File, error) {
	var mfd int
	if err := r.call(func() error {
		var err error
		mfd, err = r.cp.Open(m.Path, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		return err
	}); err != nil {
		return nil, fmt.Errorf("the mount root %s of a handle: %w", m.Path, err)
	}
	defer r.cp.Close(mfd)
	// A fifo is opened O_RDWR first and given its data, as by name.
	return r.openWith(fs, func(flags int) (int, error) {
		fd, err := r.cp.OpenByHandleAt(mfd, vfs.FileHandle{Type: m.HandleType, Bytes: m.Handle}, flags)
		if err != nil {
			return 0, fmt.Errorf("open_by_handle_at for %s: %w", fs.Path, err)
		}
		return fd, nil
	})
}
