package ckpt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/vfs"
)

// Restart models sys_restart of img, run by rs: the tasks come back with
// their credentials, fs_structs and descriptor tables (shared as they
// were), every file opened again once — an unlinked one at the name the
// checkpoint gave it (restore_open_fname) — at its old descriptor numbers,
// position and credentials, a fifo with its buffered bytes. The relinked
// names are unlinked only once the whole restart succeeded (the
// destructors of err_deferq); after a failure they all stay, so the
// restart can be retried, and no restored task is left. Under relink2011
// the empty checkpoint-<crid> directory stays after a successful restart
// (the seed never removes it); the fixed code and the port remove it.
func Restart(rs *vfs.Task, img *Image, opt Options) ([]Target, Summary, error) {
	if img.Version != FormatVersion {
		return nil, Summary{}, fmt.Errorf("ckpt: image version %d, want %d: %w", img.Version, FormatVersion, vfs.EINVAL)
	}
	opt.Strategy = img.Strategy
	c, err := newCtx(rs, opt)
	if err != nil {
		return nil, Summary{}, err
	}
	if img.Era != c.era.String() {
		return nil, Summary{}, fmt.Errorf("ckpt: the image was written under era %s, the kernel runs %s: %w", img.Era, c.era, vfs.EINVAL)
	}
	nsproxy.Enable(c.k)
	before := c.k.Stats()
	r := &restorer{ctx: c, img: img, files: map[uint32]*vfs.File{}, creds: map[uint32]*vfs.Cred{}, madeDirs: map[string]bool{},
		remapPaths: map[uint32]string{}}
	targets, err := r.restore()
	if err != nil {
		c.errDeferq.run()
		for _, t := range r.made {
			t.Exit()
		}
	}
	if derr := c.errDeferq.destroy(); derr != nil && err == nil {
		err = derr
	}
	// The restart's own references go, as the restarter: after a failure
	// the last one of a file may be one of these, and its final iput
	// (an orphan's eviction) runs in sys_restart, current being the
	// restarter.
	prev := c.k.Current()
	c.k.SetCurrent(rs)
	for _, f := range r.files {
		vfs.Fput(f)
	}
	c.k.SetCurrent(prev)
	c.summary.DataBytes = dataBytes(c.k.Stats()) - dataBytes(before)
	c.summary.MetadataOps = c.k.Stats().MetadataOps - before.MetadataOps
	if err != nil {
		return nil, c.summary, err
	}
	return targets, c.summary, nil
}

// openFile opens name as fs was open, and returns the file with a
// reference of its own: a fifo is opened O_RDWR first, so that no open
// waits, its data spliced back into the pipe (no file time updated: a
// fifo on a read-only filesystem takes it), then opened with its own
// flags (fifo_file_restore); a file's position is set again.
func (r *restorer) openFile(name string, fs FileState) (*vfs.File, error) {
	return r.openWith(fs, func(flags int) (int, error) {
		fd, err := r.cp.Open(name, flags, 0)
		if err != nil {
			return 0, fmt.Errorf("could not open file %q: %w", name, err)
		}
		return fd, nil
	})
}

// openWith is openFile with open as the way to open the file with given
// flags (by name, or by handle).
func (r *restorer) openWith(fs FileState, open func(flags int) (int, error)) (*vfs.File, error) {
	cp := r.cp
	flags := int(fs.Flags)
	if fs.Type == FileFifo {
		var holder int
		if err := r.call(func() error {
			var err error
			holder, err = open(flags&^vfs.O_ACCMODE | vfs.O_RDWR | vfs.O_NONBLOCK)
			return err
		}); err != nil {
			return nil, err
		}
		defer cp.Close(holder)
		if len(fs.FifoData) > 0 {
			if err := r.call(func() error { _, err := cp.SpliceToPipe(holder, fs.FifoData); return err }); err != nil {
				return nil, err
			}
		}
	}
	var fd int
	if err := r.call(func() error {
		var err error
		fd, err = open(flags)
		return err
	}); err != nil {
		return nil, err
	}
	return r.fileAt(fd, fs)
}

// fileAt sets the position of the file open at fd, closes fd and
// returns the file with a reference of its own.
func (r *restorer) fileAt(fd int, fs FileState) (*vfs.File, error) {
	cp := r.cp
	defer cp.Close(fd)
	if fs.Type != FileFifo && fs.Pos != 0 {
		if err := r.call(func() error { _, err := cp.Lseek(fd, fs.Pos, 0); return err }); err != nil {
			return nil, err
		}
	}
	f, err := cp.File(fd)
	if err != nil {
		return nil, err
	}
	return vfs.Fget(f), nil
}

type restorer struct {
	*ctx
	img   *Image
	files map[uint32]*vfs.File // restored files by objref, one reference each
	creds map[uint32]*vfs.Cred
	made  []*vfs.Task
	// collections are the checkpoint's collection directories met, to be
	// removed after the relinked names (the fixed code and the port).
	collections []string
	// madeDirs are the removed directories made again, by name.
	madeDirs map[string]bool
	// remapPaths are where the criu and copy strategies' ghosts and
	// copies were made, by remap objref.
	remapPaths map[uint32]string
}

func (r *restorer) restore() ([]Target, error) {
	if remapping(r.strategy) {
		if err := r.prepareRemaps(); err != nil {
			return nil, err
		}
	}
	var targets []Target
	fsOwner := map[uint32]*vfs.Task{}
	tableOwner := map[uint32]*vfs.Task{}
	for _, ts := range r.img.Tasks {
		var t *vfs.Task
		if err := r.call(func() error {
			var err error
			t, err = r.cp.Clone(0)
			return err
		}); err != nil {
			return nil, err
		}
		r.made = append(r.made, t)
		cr, err := r.cred(ts.CredRef)
		if err != nil {
			return nil, err
		}
		t.SetCred(cr)
		if owner := fsOwner[ts.FSRef]; owner != nil {
			t.ShareFS(owner)
		} else {
			if err := r.restoreFS(t, ts.FSRef); err != nil {
				return nil, err
			}
			fsOwner[ts.FSRef] = t
		}
		if owner := tableOwner[ts.TableRef]; owner != nil {
			t.ShareFiles(owner)
		} else {
			if err := r.restoreFileTable(t, ts.TableRef); err != nil {
				return nil, err
			}
			tableOwner[ts.TableRef] = t
		}
		targets = append(targets, Target{Name: ts.Name, Task: t})
		r.summary.Tasks++
	}
	// After the relinked names, their collection directories
	// (relink2011 leaves them).
	if r.fixed() {
		for _, dir := range r.collections {
			cp := r.cp
			r.errDeferq.add(nil, func() error {
				if err := cp.Rmdir(dir); err != nil && !errors.Is(err, vfs.ENOENT) && !errors.Is(err, vfs.ENOTEMPTY) {
					return err
				}
				return nil
			})
		}
		// Then the relink directories the port's checkpoint made because
		// they were missing (lost+found on tmpfs and btrfs): the port
		// leaves nothing it made. One still holding something else
		// (ENOTEMPTY) stays.
		for i := len(r.img.Made) - 1; i >= 0; i-- {
			dir := r.img.Made[i]
			cp := r.cp
			r.errDeferq.add(nil, func() error {
				if err := cp.Rmdir(dir); err != nil && !errors.Is(err, vfs.ENOENT) && !errors.Is(err, vfs.ENOTEMPTY) {
					return err
				}
				return nil
			})
		}
	}
	return targets, nil
}

func (r *restorer) cred(ref uint32) (*vfs.Cred, error) {
	if ref == 0 || int(ref) > len(r.img.Creds) {
		return nil, fmt.Errorf("ckpt: credential objref %d out of range: %w", ref, vfs.EINVAL)
	}
	if c, ok := r.creds[ref]; ok {
		return c, nil
	}
	ic := r.img.Creds[ref-1]
	c := &vfs.Cred{UID: ic.UID, GID: ic.GID, Caps: vfs.CapSet(ic.Caps)}
	r.creds[ref] = c
	return c, nil
}

// restoreFS models restore_obj_fs: the working directory and umask (the
// root must be the restarter's: the simulator has no chroot).
func (r *restorer) restoreFS(t *vfs.Task, ref uint32) error {
	if ref == 0 || int(ref) > len(r.img.FSs) {
		return fmt.Errorf("ckpt: fs_struct objref %d out of range: %w", ref, vfs.EINVAL)
	}
	fs := r.img.FSs[ref-1]
	if fs.Root != r.cp.DPath(r.cp.FSStruct().Root()) {
		return fmt.Errorf("ckpt: root %q differs from the restarter's (no chroot in the simulator): %w", fs.Root, vfs.EINVAL)
	}
	if err := r.call(func() error { return t.Chdir(fs.Cwd) }); err != nil {
		return err
	}
	t.Umask(vfs.FileMode(fs.Umask))
	return nil
}

// restoreFileTable models restore_obj_file_table: each descriptor gets its
// file at its old number.
func (r *restorer) restoreFileTable(t *vfs.Task, ref uint32) error {
	if ref == 0 || int(ref) > len(r.img.Tables) {
		return fmt.Errorf("ckpt: file table objref %d out of range: %w", ref, vfs.EINVAL)
	}
	for _, e := range r.img.Tables[ref-1].Entries {
		f, err := r.restoreFile(e.FileRef)
		if err != nil {
			return err
		}
		if err := r.call(func() error { return t.InstallFile(int(e.FD), f) }); err != nil {
			return err
		}
	}
	return nil
}

// restoreFile opens a file of the image once (generic_file_restore or
// fifo_file_restore, through restore_open_fname).
func (r *restorer) restoreFile(ref uint32) (*vfs.File, error) {
	if f, ok := r.files[ref]; ok {
		return f, nil
	}
	if ref == 0 || int(ref) > len(r.img.Files) {
		return nil, fmt.Errorf("ckpt: file objref %d out of range: %w", ref, vfs.EINVAL)
	}
	fs := r.img.Files[ref-1]
	cr, err := r.cred(fs.CredRef)
	if err != nil {
		return nil, err
	}
	var f *vfs.File
	if remapping(r.strategy) {
		f, err = r.openRemapped(fs)
	} else {
		f, err = r.restoreOpenFname(fs)
	}
	if err != nil {
		return nil, err
	}
	f.SetCred(cr)
	r.files[ref] = f
	r.summary.Files++
	return f, nil
}

// restoreOpenFname models seed patch 04's fs/checkpoint.c:restore_open_fname:
// the file is opened at its name — for one with CKPT_RESTART_FILE_F_UNLINK
// at the relinked name read after it — and that name's unlink (rmdir for a
// directory) is deferred: it runs only if the whole restart succeeds.
// A fifo is opened O_RDWR first, so that no open waits, its data spliced
// back into the pipe (no file time updated: a fifo on a read-only
// filesystem takes it), then opened with its own flags
// (fifo_file_restore).
func (r *restorer) restoreOpenFname(fs FileState) (*vfs.File, error) {
	cp := r.cp
	name := fs.Path
	unlink := fs.RestartFlags&FileUnlink != 0
	if unlink {
		name = fs.Relinked
		if name == "" {
			return nil, fmt.Errorf("ckpt: unlinked file %q has no relinked name: %w", fs.Path, vfs.EINVAL)
		}
	}
	queueUnlink := unlink
	if unlink && fs.Type == FileDir && r.fixed() {
		// A removed directory comes back empty, and is removed again;
		// once for all the open files of it (one name in the image).
		if r.madeDirs[name] {
			queueUnlink = false
		} else {
			if err := r.call(func() error { return cp.Mkdir(name, 0o700) }); err != nil {
				return nil, err
			}
			r.madeDirs[name] = true
			// Should the restart fail, the directory it made goes, so
			// that a retry can make it again (C2); the image's names
			// are as they were.
			r.errDeferq.add(func() error { return cp.Rmdir(name) }, nil)
		}
	}
	f, err := r.openFile(name, fs)
	if err != nil {
		return nil, err
	}
	if queueUnlink {
		dir := f.Inode().Mode.IsDir()
		linkable := fs.RestartFlags&FileLinkable != 0
		r.errDeferq.add(nil, func() error { // restore_dq_unlink
			var err error
			if dir {
				err = cp.Rmdir(name)
			} else {
				err = cp.Unlink(name)
			}
			if err == nil && linkable {
				f.Inode().SetState(vfs.I_LINKABLE)
			}
			return err
		})
		if i := strings.LastIndex(name, "/"); i > 0 {
			coll := name[:i]
			if len(r.collections) == 0 || r.collections[len(r.collections)-1] != coll {
				r.collections = append(r.collections, coll)
			}
		}
	}
	return f, nil
}
