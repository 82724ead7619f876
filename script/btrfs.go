package script

import (
	"path"
	"strconv"

	"github.com/relinksim/relinksim/vfs"
)

// The btrfs ops, through the Subvolumes interface: *vfs.Task reaches the
// filesystem's vfs.Subvolumer, the real-kernel executor makes the ioctls.

func init() {
	for _, s := range []OpSpec{
		{Name: "subvol", Group: "btrfs", Args: []Arg{ArgPath}, Check: checkLastComponent(0),
			Help: "btrfs subvolume create PATH (BTRFS_IOC_SUBVOL_CREATE on PATH's directory)",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				sv, err := Need[Subvolumes](r, op)
				if err != nil {
					return nil, err
				}
				return nil, r.subvol(sv, op.Path)
			}},
		{Name: "snapshot", Group: "btrfs", Args: []Arg{ArgPath, ArgPath2}, Check: checkLastComponent(1), Usage: "snapshot SRC DST",
			Help: "btrfs subvolume snapshot SRC DST (BTRFS_IOC_SNAP_CREATE_V2)", Run: snapshotOp},
		{Name: "snapshot-ro", Group: "btrfs", Args: []Arg{ArgPath, ArgPath2}, Check: checkLastComponent(1), Usage: "snapshot-ro SRC DST",
			Help: "btrfs subvolume snapshot -r SRC DST", Run: snapshotOp},
		{Name: "subvol-orphans", Group: "btrfs", Args: []Arg{ArgPath},
			Help: "after a sync, the orphan items of the subvolume PATH is in (dump-tree -t ID), named as orphans names them",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				sv, err := Need[Subvolumes](r, op)
				if err != nil {
					return nil, err
				}
				names, err := r.subvolOrphans(sv, op.Path)
				if err != nil {
					return nil, err
				}
				return names, nil
			}},
	} {
		Register(s)
	}
}

func snapshotOp(r *Runner, op Op, fd int) (any, error) {
	sv, err := Need[Subvolumes](r, op)
	if err != nil {
		return nil, err
	}
	return nil, r.snapshot(sv, op.Path, op.Path2, op.Name == "snapshot-ro")
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
func (r *Runner) subvol(sv Subvolumes, p string) error {
	dfd, name, err := r.openDir(p)
	if err != nil {
		return err
	}
	defer r.T.Close(dfd)
	return sv.SubvolCreate(dfd, name)
}

// snapshot runs `btrfs subvolume snapshot [-r] src dst`.
func (r *Runner) snapshot(sv Subvolumes, src, dst string, readonly bool) error {
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
	return sv.SnapshotCreate(dfd, name, sfd, readonly)
}

// subvolOrphans names the orphan items of the subvolume p is in, each by
// the descriptor open on it (on that subvolume's st_dev), as orphans does.
func (r *Runner) subvolOrphans(sv Subvolumes, p string) ([]string, error) {
	fd, err := r.T.Open(r.p(p), vfs.O_RDONLY|vfs.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer r.T.Close(fd)
	st, err := r.T.Fstat(fd)
	if err != nil {
		return nil, err
	}
	inos, err := sv.SubvolOrphans(fd)
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
	for _, name := range r.names.order {
		fd, ok := r.names.fds[name]
		if !ok {
			continue
		}
		if s, err := r.T.Fstat(fd); err == nil && s.Ino == ino && s.Dev == dev {
			return name
		}
	}
	return "ino:" + strconv.FormatUint(ino, 10)
}
