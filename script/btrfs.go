package script

import (
	"path"
	"strconv"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/vfs"
)

// btrfsSys is what the btrfs ops need from a kernel beyond Sys: the
// subvolume and snapshot ioctls, and reading a subvolume's orphan items.
type btrfsSys interface {
	SubvolCreate(dirfd int, name string) error
	SnapshotCreate(dirfd int, name string, srcfd int, readonly bool) error
	SubvolOrphans(fd int) ([]uint64, error)
}

// simBtrfs runs the btrfs ops on the simulator through vfs.Task.Ioctl.
type simBtrfs struct{ t *vfs.Task }

func (s simBtrfs) SubvolCreate(dirfd int, name string) error {
	_, err := s.t.Ioctl(dirfd, btrfssim.IOC_SUBVOL_CREATE, &btrfssim.VolArgs{Name: name})
	return err
}

func (s simBtrfs) SnapshotCreate(dirfd int, name string, srcfd int, readonly bool) error {
	var flags uint64
	if readonly {
		flags = btrfssim.SUBVOL_RDONLY
	}
	_, err := s.t.Ioctl(dirfd, btrfssim.IOC_SNAP_CREATE_V2, &btrfssim.VolArgsV2{Fd: srcfd, Flags: flags, Name: name})
	return err
}

// SubvolOrphans syncs (as the oracle does before reading the device) and
// returns the orphan items of the subvolume fd is in, found as on the real
// kernel with BTRFS_IOC_INO_LOOKUP.
func (s simBtrfs) SubvolOrphans(fd int) ([]uint64, error) {
	a := &btrfssim.InoLookupArgs{Objectid: 256}
	if _, err := s.t.Ioctl(fd, btrfssim.IOC_INO_LOOKUP, a); err != nil {
		return nil, err
	}
	f, err := s.t.File(fd)
	if err != nil {
		return nil, err
	}
	s.t.Sync()
	inos, _ := btrfssim.FS(f.Inode().Sb).Orphans(a.TreeID)
	return inos, nil
}

func (r *Runner) btrfs() btrfsSys {
	if t, ok := r.T.(*vfs.Task); ok {
		return simBtrfs{t}
	}
	if b, ok := r.T.(btrfsSys); ok {
		return b
	}
	panic("script: the btrfs ops need a *vfs.Task or a kernel with btrfs ioctls")
}

// openDir opens p's parent directory for an ioctl and returns the last
// component.
func (r *Runner) openDir(p string) (fd int, name string, err error) {
	dir, name := path.Split(p)
	if dir == "" {
		dir = "."
	}
	fd, err = r.T.Open(r.p(dir), vfs.O_RDONLY|vfs.O_DIRECTORY|vfs.O_NONBLOCK, 0)
	return fd, name, err
}

// subvol runs `btrfs subvolume create p`.
func (r *Runner) subvol(p string) error {
	dfd, name, err := r.openDir(p)
	if err != nil {
		return err
	}
	defer r.T.Close(dfd)
	return r.btrfs().SubvolCreate(dfd, name)
}

// snapshot runs `btrfs subvolume snapshot [-r] src dst`.
func (r *Runner) snapshot(src, dst string, readonly bool) error {
	sfd, err := r.T.Open(r.p(src), vfs.O_RDONLY|vfs.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer r.T.Close(sfd)
	dfd, name, err := r.openDir(dst)
	if err != nil {
		return err
	}
	defer r.T.Close(dfd)
	return r.btrfs().SnapshotCreate(dfd, name, sfd, readonly)
}

// subvolOrphans names the orphan items of the subvolume p is in, each by
// the descriptor open on it (on that subvolume's st_dev), as orphans does.
func (r *Runner) subvolOrphans(p string) ([]string, error) {
	fd, err := r.T.Open(r.p(p), vfs.O_RDONLY|vfs.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer r.T.Close(fd)
	st, err := r.T.Fstat(fd)
	if err != nil {
		return nil, err
	}
	inos, err := r.btrfs().SubvolOrphans(fd)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, ino := range inos {
		out = append(out, r.holderOn(st.Dev, ino))
	}
	return out, nil
}

// holderOn is holder for inode ino on device dev.
func (r *Runner) holderOn(dev uint32, ino uint64) string {
	for _, name := range r.order {
		fd, ok := r.fds[name]
		if !ok {
			continue
		}
		if s, err := r.T.Fstat(fd); err == nil && s.Ino == ino && s.Dev == dev {
			return name
		}
	}
	return "ino:" + strconv.FormatUint(ino, 10)
}
