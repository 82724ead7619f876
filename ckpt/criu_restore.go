package ckpt

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// The restore side of the criu, handle and copy strategies.

// prepareRemaps models criu/files-reg.c:prepare_remaps for ghosts
// (open_remap_ghost, create_ghost) and makes the copy strategy's copies:
// each is made once, before any task, at the path of the first file that
// uses it. Ghosts and copies are removed whether the restart succeeds or
// fails (try_clean_remaps); link-remaps only when it succeeds, so that a
// failed restart can be retried.
func (r *restorer) prepareRemaps() error {
	for i, m := range r.img.Remaps {
		ref := uint32(i + 1)
		if m.Kind == RemapLinked {
			name := m.Path
			cp := r.cp
			r.errDeferq.add(nil, func() error { return cp.Unlink(name) }) // clean_one_remap, after success only
			continue
		}
		if m.Kind != RemapGhost && m.Kind != RemapCopy {
			continue
		}
		var first *FileState
		for j := range r.img.Files {
			if r.img.Files[j].RemapRef == ref {
				first = &r.img.Files[j]
				break
			}
		}
		if first == nil {
			continue // no file uses it: nothing to make
		}
		var name string
		var err error
		if m.Kind == RemapGhost {
			name, err = r.createGhost(*first, m)
		} else {
			name, err = r.makeCopy(*first, m)
		}
		if name != "" {
			// Made, if not finished (its owner or mode failed): CRIU
			// set the ghost's rpath before create_ghost, so
			// try_clean_remaps removes it either way.
			r.remapPaths[ref] = name
			cp := r.cp
			dir := vfs.FileMode(m.Mode).IsDir()
			clean := func() error {
				if dir {
					return cp.Rmdir(name)
				}
				return cp.Unlink(name)
			}
			r.errDeferq.add(clean, clean)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// createGhost models criu/files-reg.c:create_ghost and
// create_ghost_dentry: a ghost is made at <path>.cr.<id hex>.ghost — a
// directory at the path itself, with its missing parents (mkdirpat) — or,
// while the directory is missing (ENOENT), in the nearest existing
// ancestor; then its owner and mode (ghost_apply_metadata).
func (r *restorer) createGhost(fs FileState, m Remap) (string, error) {
	orig := strings.TrimSuffix(fs.Path, deletedSuffix)
	name := fmt.Sprintf("%s.cr.%x.ghost", orig, m.ID)
	mode := vfs.FileMode(m.Mode)
	if mode.IsDir() {
		name = orig
	}
	for {
		err := r.createGhostDentry(name, m)
		if err == nil {
			break
		}
		if !errors.Is(err, vfs.ENOENT) {
			return "", err
		}
		next, ok := trimLastParent(name)
		if !ok {
			return "", fmt.Errorf("criu: trim failed: @%s@: %w", name, err)
		}
		name = next
	}
	// The ghost exists from here on: its name is returned with any
	// error, for the cleanup.
	if err := r.applyMetadata(name, m); err != nil {
		return name, err
	}
	return name, nil
}

func (r *restorer) createGhostDentry(name string, m Remap) error {
	cp := r.cp
	mode := vfs.FileMode(m.Mode)
	switch {
	case mode.IsFifo():
		if err := r.call(func() error { return cp.Mknod(name, mode, 0) }); err != nil {
			return wrapGhost("Can't create node for ghost file", err)
		}
	case mode.IsDir():
		if err := r.mkdirP(name, mode&0o7777); err != nil {
			return wrapGhost("Can't make ghost dir", err)
		}
	default: // mkreg_ghost
		var fd int
		if err := r.call(func() error {
			var err error
			fd, err = cp.Open(name, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_EXCL, mode&0o7777)
			return err
		}); err != nil {
			return wrapGhost("Can't create ghost regfile", err)
		}
		err := r.writeContents(fd, m)
		cp.Close(fd)
		if err != nil {
			cp.Unlink(name)
			return wrapGhost("Can't create ghost regfile", err)
		}
	}
	return nil
}

func wrapGhost(msg string, err error) error {
	return &CRIUError{Msg: fmt.Sprintf("%s: %v", msg, err), Errno: vfs.ErrnoOf(err)}
}

// mkdirP makes dir and its missing parents (criu/util.c:mkdirpat), each
// EEXIST ignored, the last's too: a directory made at the path since the
// dump becomes the ghost, and the cleanup's rmdir removes it (CRIU's
// behaviour).
func (r *restorer) mkdirP(dir string, mode vfs.FileMode) error {
	p := ""
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		p += "/" + part
		if err := r.call(func() error { return r.cp.Mkdir(p, mode) }); err != nil && !errors.Is(err, vfs.EEXIST) {
			return err
		}
	}
	return nil
}

// makeParentDirs models criu/files-reg.c:make_parent_dirs_if_need: the
// missing directories above p are made (mode 0777), and their number
// returned for rmParentDirs.
func (r *restorer) makeParentDirs(p string) (int, error) {
	parent := path.Dir(p)
	if _, err := r.cp.Stat(parent); err == nil {
		return 0, nil
	} else if !errors.Is(err, vfs.ENOENT) {
		return 0, err
	}
	count := 0
	prefix := ""
	for _, part := range strings.Split(strings.Trim(parent, "/"), "/") {
		prefix += "/" + part
		err := r.call(func() error { return r.cp.Mkdir(prefix, 0o777) })
		switch {
		case err == nil:
			count++
		case !errors.Is(err, vfs.EEXIST):
			r.rmParentDirs(p, count)
			return -1, fmt.Errorf("criu: can't create dir %s: %w", prefix, err)
		}
	}
	return count, nil
}

// rmParentDirs models rm_parent_dirs: the count deepest directories above
// p, which makeParentDirs made, are removed.
func (r *restorer) rmParentDirs(p string, count int) error {
	dir := path.Dir(p)
	for ; count > 0; count-- {
		if err := r.cp.Rmdir(dir); err != nil {
			return err
		}
		dir = path.Dir(dir)
	}
	return nil
}

// openRemapped opens a file of the criu, handle or copy strategies: by
// its path when it has no remap, else through its remap; the criu
// strategy then checks its size and mode (validate_file).
func (r *restorer) openRemapped(fs FileState) (*vfs.File, error) {
	var f *vfs.File
	var err error
	if fs.RemapRef == 0 {
		f, err = r.openFile(fs.Path, fs)
	} else {
		if int(fs.RemapRef) > len(r.img.Remaps) {
			return nil, fmt.Errorf("ckpt: remap objref %d out of range: %w", fs.RemapRef, vfs.EINVAL)
		}
		m := r.img.Remaps[fs.RemapRef-1]
		switch m.Kind {
		case RemapHandle:
			f, err = r.openByHandle(fs, m)
		case RemapCopy:
			name, ok := r.remapPaths[fs.RemapRef]
			if !ok {
				return nil, fmt.Errorf("ckpt: copy %d was not made: %w", m.ID, vfs.EINVAL)
			}
			f, err = r.openFile(name, fs)
		default:
			// open_path validates before it unlinks the name.
			return r.openPath(fs, m)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := r.validate(f, fs); err != nil {
		vfs.Fput(f)
		return nil, err
	}
	return f, nil
}

// openChecked opens name as fs was open and checks it (validate).
func (r *restorer) openChecked(name string, fs FileState) (*vfs.File, error) {
	f, err := r.openFile(name, fs)
	if err != nil {
		return nil, err
	}
	if err := r.validate(f, fs); err != nil {
		vfs.Fput(f)
		return nil, err
	}
	return f, nil
}

// validate models criu/files-reg.c:validate_file and open_path's mode
// check: the opened file must have the size and mode the dump saw.
func (r *restorer) validate(f *vfs.File, fs FileState) error {
	ino := f.Inode()
	if fs.Checks&CheckSize != 0 && ino.Size != fs.Size {
		return criuErr(vfs.EINVAL, "File %s has bad size %d (expect %d)", strings.TrimSuffix(fs.Path, deletedSuffix), ino.Size, fs.Size)
	}
	if fs.Checks&CheckMode != 0 && uint32(ino.Mode) != fs.Mode {
		return criuErr(vfs.EINVAL, "File %s has bad mode 0%o (expect 0%o)", strings.TrimSuffix(fs.Path, deletedSuffix), uint32(ino.Mode), fs.Mode)
	}
	return nil
}

// openPath models criu/files-reg.c:open_path for a file with a
// link-remap or a ghost: the remap is linked back to the file's original
// name (rfi_remap, its missing parents made), or to <name>.cr_link when
// the name is taken; the name is opened, and unlinked again with the
// parents made. A ghost directory is opened where it was made, the
// original path.
func (r *restorer) openPath(fs FileState, m Remap) (*vfs.File, error) {
	rpath := m.Path
	if m.Kind == RemapGhost {
		var ok bool
		if rpath, ok = r.remapPaths[fs.RemapRef]; !ok {
			return nil, fmt.Errorf("ckpt: ghost %d was not made: %w", m.ID, vfs.EINVAL)
		}
		if vfs.FileMode(m.Mode).IsDir() {
			return r.openChecked(rpath, fs)
		}
	}
	orig := strings.TrimSuffix(fs.Path, deletedSuffix)
	name := orig
	level, err := r.rfiRemap(rpath, name)
	if errors.Is(err, vfs.EEXIST) {
		// The name is taken: a fake one, removed again anyway.
		name = orig + ".cr_link"
		if level, err = r.rfiRemap(rpath, name); err != nil {
			return nil, &CRIUError{Msg: fmt.Sprintf("Can't create even fake link! (%s -> %s: %v)", rpath, name, err), Errno: vfs.ErrnoOf(err)}
		}
	} else if err != nil {
		return nil, fmt.Errorf("criu: can't link %s -> %s: %w", rpath, name, err)
	}
	f, err := r.openChecked(name, fs)
	if err != nil {
		// open_path's error path leaves the link it made, after a
		// failed open or a failed check alike.
		return nil, err
	}
	if err := r.call(func() error { return r.cp.Unlink(name) }); err != nil {
		vfs.Fput(f)
		return nil, fmt.Errorf("criu: failed to unlink the remap file %s: %w", name, err)
	}
	if err := r.rmParentDirs(name, level); err != nil {
		vfs.Fput(f)
		return nil, err
	}
	return f, nil
}

// rfiRemap models criu/files-reg.c:rfi_remap: the parents of name are
// made if missing, and rpath linked to name; on EEXIST the parents it
// made are removed again.
func (r *restorer) rfiRemap(rpath, name string) (int, error) {
	level, err := r.makeParentDirs(name)
	if err != nil {
		return 0, err
	}
	err = r.call(func() error { return r.cp.Link(rpath, name) })
	if err != nil {
		r.rmParentDirs(name, level)
		return 0, err
	}
	return level, nil
}
