package ckpt

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// The criu strategy: CRIU's userspace algorithm for files their paths no
// longer reach (criu/files-reg.c at 2cf8f13, CRIU 4.2), on today's kernel,
// which refuses to link an inode with no link left. See
// ../shared/reference/criu.md and the package documentation.

// CRIU's constants.
const (
	// DefaultGhostLimit is CRIU's DEFAULT_GHOST_LIMIT (1 MiB): a ghost
	// file whose allocated bytes (st_blocks*512) exceed the limit fails
	// the dump.
	DefaultGhostLimit = 1 << 20
	// GhostChunksThresh is GHOST_CHUNKS_THRESH (3*4096): a regular ghost
	// of at least this size is saved as data extents, a smaller one raw.
	GhostChunksThresh = 3 * 4096
	// deletedSuffix is what d_path appends to an unlinked dentry's path
	// (and /proc/PID/fd shows).
	deletedSuffix = " (deleted)"
)

// CRIUError is a failure of the criu strategy that CRIU reports with a
// message of its own rather than an errno (pr_err, then the dump or
// restore fails). Msg is CRIU's message, with the simulator's paths; the
// errno is the simulator's choice, documented in doc.go, so that the
// error is still a Linux errno (errors.Is works).
type CRIUError struct {
	Msg   string
	Errno vfs.Errno
}

func (e *CRIUError) Error() string { return "criu: " + e.Msg }
func (e *CRIUError) Unwrap() error { return e.Errno }

func criuErr(errno vfs.Errno, format string, args ...any) error {
	return &CRIUError{Msg: fmt.Sprintf(format, args...), Errno: errno}
}

// criuDump is the criu strategy's per-checkpoint state.
type criuDump struct {
	// ghosts are the ghost remaps by inode (lookup_ghost_remap's (dev,
	// ino) key): one ghost however many files are open on it.
	ghosts map[*vfs.Inode]uint32
	// copies are the copy strategy's remaps by inode.
	copies map[*vfs.Inode]uint32
	// ghostIDs counts ghost ids (ghost_file_ids); fileIDs the file ids
	// link-remaps take (fd_id_generate_special).
	ghostIDs, fileIDs uint32
}

// remapping reports whether the strategy remaps files instead of
// relinking them.
func remapping(strategy string) bool {
	return strategy == StrategyCRIU || strategy == StrategyHandle || strategy == StrategyCopy
}

// borrowFD installs f in the checkpointer's descriptor table at a free
// descriptor, as CRIU's parasite sends the task's descriptors to the
// dumper; put closes it.
func (c *ctx) borrowFD(f *vfs.File) (fd int, put func(), err error) {
	fd = 3
	for _, used := range c.cp.FDs() {
		if used >= fd {
			fd = used + 1
		}
	}
	if err := c.cp.InstallFile(fd, f); err != nil {
		return 0, nil, err
	}
	return fd, func() { c.cp.Close(fd) }, nil
}

// checkpointRemapped records f under the criu, handle or copy strategy:
// the path it is opened by, what the restart checks of it, and, when its
// path no longer reaches it, its remap.
func (c *ctx) checkpointRemapped(f *vfs.File, fs *FileState) error {
	fs.RestartFlags |= FileStat
	ino := f.Inode()
	if c.strategy == StrategyCRIU {
		// dump_one_reg_file: the mode always, the size unless the file
		// is O_WRONLY|O_APPEND (should_check_size), of regular files.
		fs.Mode = uint32(ino.Mode)
		fs.Checks = CheckMode
		if ino.Mode.IsRegular() && !(f.Flags()&vfs.O_ACCMODE == vfs.O_WRONLY && f.Flags()&vfs.O_APPEND != 0) {
			fs.Checks |= CheckSize
			fs.Size = ino.Size
		}
	}
	var ref uint32
	var err error
	switch c.strategy {
	case StrategyCRIU:
		ref, err = c.criuCheckPathRemap(f, fs.Path)
	case StrategyHandle:
		if f.Dentry().Unlinked() {
			ref, err = c.handleRemap(f)
		}
	case StrategyCopy:
		if f.Dentry().Unlinked() {
			ref, err = c.copyRemap(f)
		}
	}
	if err != nil {
		return err
	}
	fs.RemapRef = ref
	return nil
}

// criuCheckPathRemap models criu/files-reg.c:check_path_remap for a file
// opened by link (its /proc/PID/fd link text, d_path with " (deleted)"
// for an unlinked dentry): a file with no link left becomes a ghost; one
// whose link text no longer resolves gets a link-remap; one whose link
// text resolves to another inode fails the dump ("Unaccessible path
// opened"); the rest are opened by path. Files on overmounted mounts fail
// first (dump_one_reg_file's mnt_is_overmounted).
func (c *ctx) criuCheckPathRemap(f *vfs.File, link string) (uint32, error) {
	if ns := f.Path().Mnt.Namespace(); ns != nil && ns != c.ownNS {
		// CRIU dumps and restores mount namespaces and resolves each
		// file in its own; the model restarts in the checkpointer's
		// namespace only (see the package documentation), so such a
		// file is refused here rather than looked up in the wrong one.
		return 0, fmt.Errorf("criu: %s is on a mount of another mount namespace, which the model does not dump: %w", link, vfs.EOPNOTSUPP)
	}
	if err := c.criuCheckOvermounted(f, link); err != nil {
		return 0, err
	}
	ino := f.Inode()
	if ino.Nlink() == 0 {
		return c.dumpGhostRemap(f, strings.TrimSuffix(link, deletedSuffix))
	}
	// parms->stat: fstat of the descriptor the dumper received.
	fd, put, err := c.borrowFD(f)
	if err != nil {
		return 0, err
	}
	ost, err := c.cp.Fstat(fd)
	put()
	if err != nil {
		return 0, err
	}
	flags := 0
	if ino.Mode.IsSymlink() {
		flags = vfs.AT_SYMLINK_NOFOLLOW
	}
	var st vfs.Stat_t
	err = c.call(func() error {
		var err error
		st, err = c.cp.Fstatat(vfs.AT_FDCWD, link, flags) // fstatat(mntns_root, rpath)
		return err
	})
	switch {
	case errors.Is(err, vfs.ENOENT):
		return c.dumpLinkedRemap(f, strings.TrimSuffix(link, deletedSuffix))
	case err != nil:
		return 0, fmt.Errorf("criu: can't stat path %s: %w", link, err)
	}
	if st.Ino != ost.Ino || st.Dev != ost.Dev {
		return 0, criuErr(vfs.EEXIST, "Unaccessible path opened %d:%d, need %d:%d (%s)", st.Dev, st.Ino, ost.Dev, ost.Ino, link)
	}
	return 0, nil
}

// criuCheckOvermounted models the dump's refusal of a file on an
// overmounted mount (criu/mount.c:mnt_is_overmounted): the root of the
// file's mount, looked up by its path, must be that mount.
func (c *ctx) criuCheckOvermounted(f *vfs.File, link string) error {
	m := f.Path().Mnt
	if m.Namespace() == nil {
		return criuErr(vfs.EINVAL, "Can't lookup mount for %s: its mount is detached", link)
	}
	root := c.cp.DPath(vfs.Path{Mnt: m, Dentry: m.Root()})
	var p vfs.Path
	err := c.call(func() error {
		var err error
		p, err = c.cp.KernPath(root)
		return err
	})
	if err != nil {
		return fmt.Errorf("criu: the root %s of the mount of %s: %w", root, link, err)
	}
	over := p.Mnt != m || p.Dentry != m.Root()
	vfs.PathPut(p)
	if over {
		return criuErr(vfs.EBUSY, "Open files on overmounted mounts are not supported yet (%s)", link)
	}
	return nil
}

// trimLastParent models criu/files-reg.c:trim_last_parent: "a/b/c/d"
// becomes "a/b/d" (the name moves to its grandparent); false when there
// is no parent left to trim.
func trimLastParent(p string) (string, bool) {
	dir, name := path.Split(p)
	dir = strings.TrimRight(dir, "/")
	if name == "" || dir == "" {
		return "", false
	}
	i := strings.LastIndex(dir, "/")
	if i < 0 {
		return "", false
	}
	return dir[:i+1] + name, true
}

// dumpLinkedRemap models criu/files-reg.c:dump_linked_remap and
// create_link_remap: without the link-remap option the dump fails; with
// it a hard link link_remap.<id> is made next to the old name —
// linkat(lfd, "", root, name, AT_EMPTY_PATH) — or, while its directory is
// gone (ENOENT), in the nearest existing ancestor. The link is removed
// again if the dump fails (delete_link_remaps), and stays otherwise until
// a restore succeeds.
func (c *ctx) dumpLinkedRemap(f *vfs.File, p string) (uint32, error) {
	if !c.linkRemap {
		return 0, criuErr(vfs.EPERM, "Can't create link remap for %s. Use link-remap option.", p)
	}
	c.criu.fileIDs++
	id := c.criu.fileIDs
	name := path.Join(path.Dir(p), fmt.Sprintf("link_remap.%d", id))
	fd, put, err := c.borrowFD(f)
	if err != nil {
		return 0, err
	}
	defer put()
	for {
		err = c.call(func() error { return c.cp.Linkat(fd, "", vfs.AT_FDCWD, name, vfs.AT_EMPTY_PATH) })
		if !errors.Is(err, vfs.ENOENT) {
			break
		}
		next, ok := trimLastParent(name)
		if !ok {
			return 0, fmt.Errorf("criu: can't link remap to %s: trim failed: %w", p, err)
		}
		name = next
	}
	if err != nil {
		return 0, fmt.Errorf("criu: can't link remap to %s: %w", p, err)
	}
	cp := c.cp
	c.errDeferq.add(func() error { // delete_link_remaps
		if err := cp.Unlink(name); err != nil && !errors.Is(err, vfs.ENOENT) {
			return err
		}
		return nil
	}, nil)
	c.img.Remaps = append(c.img.Remaps, Remap{Kind: RemapLinked, ID: id, Path: name})
	c.summary.LinkRemaps++
	return uint32(len(c.img.Remaps)), nil
}

// dumpGhostRemap models criu/files-reg.c:dump_ghost_remap: the ghost
// limit, counted in allocated bytes (st_blocks*512), then one ghost per
// inode however many files are open on it (dump_ghost_file).
func (c *ctx) dumpGhostRemap(f *vfs.File, p string) (uint32, error) {
	ino := f.Inode()
	if ref, ok := c.criu.ghosts[ino]; ok {
		return ref, nil
	}
	var st vfs.Stat_t
	fd, put, err := c.borrowFD(f)
	if err != nil {
		return 0, err
	}
	defer put()
	if err := c.call(func() error {
		var err error
		st, err = c.cp.Fstat(fd)
		return err
	}); err != nil {
		return 0, err
	}
	if st.Blocks*512 > c.ghostLimit {
		return 0, criuErr(vfs.EFBIG, "Can't dump ghost file %s of %d size, increase limit", p, st.Blocks*512)
	}
	// dump_ghost_file: chunks from GHOST_CHUNKS_THRESH on, raw below.
	ref, err := c.addDataRemap(RemapGhost, fd, st, st.Size >= GhostChunksThresh)
	if err != nil {
		return 0, err
	}
	c.criu.ghosts[ino] = ref
	c.summary.Ghosts++
	return ref, nil
}

// addDataRemap records a ghost or copy of the file open at fd, stat st:
// its metadata and, for a regular file, its contents (readContents).
func (c *ctx) addDataRemap(kind uint16, fd int, st vfs.Stat_t, sparse bool) (uint32, error) {
	c.criu.ghostIDs++
	r := Remap{Kind: kind, ID: c.criu.ghostIDs, Mode: uint32(st.Mode), UID: st.UID, GID: st.GID, Ino: st.Ino}
	if st.Mode.IsRegular() {
		r.Size = st.Size
		if sparse && kind == RemapGhost {
			r.Flags |= RemapChunked
		}
		var err error
		if r.Chunks, err = c.readContents(fd, st.Size, sparse); err != nil {
			return 0, err
		}
	}
	c.img.Remaps = append(c.img.Remaps, r)
	return uint32(len(c.img.Remaps)), nil
}

// readContents reads a regular file's data through a descriptor of its
// own, opened again through /proc/self/fd (so that a write-only file can
// be read, as dump_ghost_file does): its data extents (SEEK_DATA,
// SEEK_HOLE: copy_file_to_chunks) when sparse is set, else every byte up
// to size (copy_file), holes read as zeros.
func (c *ctx) readContents(fd int, size int64, sparse bool) ([]Chunk, error) {
	var rfd int
	if err := c.call(func() error {
		var err error
		rfd, err = c.cp.Open(fmt.Sprintf("/proc/self/fd/%d", fd), vfs.O_RDONLY, 0)
		return err
	}); err != nil {
		return nil, fmt.Errorf("criu: can't open ghost original file: %w", err)
	}
	defer c.cp.Close(rfd)
	return readData(c.cp, rfd, size, sparse, c.call)
}

// readData reads the file open at fd up to size, in chunks of at most
// MaxChunk bytes: its data extents when sparse is set, else every byte.
// call wraps each system call (the fault injection's count).
func readData(t *vfs.Task, fd int, size int64, sparse bool, call func(func() error) error) ([]Chunk, error) {
	var chunks []Chunk
	read := func(off, end int64) error {
		for off < end {
			n := min(end-off, MaxChunk)
			buf := make([]byte, n)
			var got int
			if err := call(func() error {
				var err error
				got, err = t.Pread(fd, buf, off)
				return err
			}); err != nil {
				return err
			}
			if got == 0 {
				return fmt.Errorf("the file ends at %d, before its size %d: %w", off, end, vfs.EIO)
			}
			chunks = append(chunks, Chunk{Off: off, Data: buf[:got]})
			off += int64(got)
		}
		return nil
	}
	if !sparse {
		return chunks, read(0, size)
	}
	for hole := int64(0); hole < size; {
		var data int64
		err := call(func() error {
			var err error
			data, err = t.Lseek(fd, hole, vfs.SEEK_DATA)
			return err
		})
		if errors.Is(err, vfs.ENXIO) {
			break // no data after hole
		}
		if err != nil {
			return nil, fmt.Errorf("can't seek file data: %w", err)
		}
		if err := call(func() error {
			var err error
			hole, err = t.Lseek(fd, data, vfs.SEEK_HOLE)
			return err
		}); err != nil {
			return nil, fmt.Errorf("can't seek file hole: %w", err)
		}
		if err := read(data, min(hole, size)); err != nil {
			return nil, err
		}
	}
	return chunks, nil
}
