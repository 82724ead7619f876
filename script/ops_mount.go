package script

import (
	"path"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// The ops that mount the filesystem under test again with mount options:
// a second mount of the same device (which shares the superblock and
// ignores the new options, docs/linux-semantics.md fact 23; for tmpfs, whose
// source "none" names no device, a new filesystem), a remount with options,
// and the mount table seen from the root.

type (
	// SourceMounter mounts the filesystem under test's source (its device,
	// or "none" for tmpfs) again, with its type: mount(2) with flags and
	// data. A Machine does it for the simulator; the real kernel's
	// executor knows the device it mounted.
	SourceMounter interface {
		MountSource(target string, flags vfs.MountFlags, data string) error
	}
	// MountLister returns the caller's mount table as /proc/mounts prints
	// it (vfs.Task.MountInfo).
	MountLister interface{ MountInfo() []string }
)

var _ MountLister = (*vfs.Task)(nil)

// MountSource implements SourceMounter: the filesystem under test's source
// and type, mounted on target by the task ops run as (in its mount
// namespace), or by the init task.
func (m *Machine) MountSource(target string, flags vfs.MountFlags, data string) error {
	if mt, ok := m.Runner.T.(Mounter); ok {
		return mt.Mount(m.Source(), target, m.cfg.FS, flags, data)
	}
	return m.task.Mount(m.Source(), target, m.cfg.FS, flags, data)
}

// sourceMounter is the runner's machine, or its Sys as a SourceMounter.
func sourceMounter(r *Runner, op Op) (SourceMounter, error) {
	if r.m != nil {
		return r.m, nil
	}
	return Need[SourceMounter](r, op)
}

// mountTable returns the lines of lines (in /proc/mounts format) whose
// mountpoint is root or under it, with the mountpoint made relative to
// root ("." for root itself) and the source left out: the part of the
// table a script can compare across machines.
func mountTable(lines []string, root string) []string {
	out := []string{}
	root = path.Clean(root)
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		mp := path.Clean(f[1])
		switch {
		case mp == root:
			mp = "."
		case strings.HasPrefix(mp, root+"/"):
			mp = strings.TrimPrefix(mp, root+"/")
		default:
			continue
		}
		out = append(out, strings.Join([]string{mp, f[2], f[3]}, " "))
	}
	return out
}

func init() {
	for _, s := range []OpSpec{
		{Name: "mount-dev", Group: "namespace", Args: []Arg{ArgPath, ArgText}, Usage: "mount-dev PATH OPTS",
			Help: "mount(2) the filesystem under test's source (its device; \"none\" for tmpfs) again, with its type, on PATH with data OPTS (may be empty):\na second mount of a mounted device shares its superblock; tmpfs makes a new one",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				sm, err := sourceMounter(r, op)
				if err != nil {
					return nil, err
				}
				return nil, sm.MountSource(r.p(op.Path), 0, op.Text)
			}},
		{Name: "remount-opts", Group: "namespace", Args: []Arg{ArgPath, ArgText}, Usage: "remount-opts PATH OPTS",
			Help: "mount(2) with MS_REMOUNT and data OPTS (may be empty) on the mount at PATH: the filesystem, not just the mount, is reconfigured",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				m, err := Need[Mounter](r, op)
				if err != nil {
					return nil, err
				}
				return nil, m.Mount("", r.p(op.Path), "", vfs.MS_REMOUNT, op.Text)
			}},
		{Name: "mounts", Group: "namespace",
			Help: "the mount table (/proc/mounts) for the mounts at and under the root: MOUNTPOINT FSTYPE OPTIONS per mount, the mountpoint relative to the root",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				ml, err := Need[MountLister](r, op)
				if err != nil {
					return nil, err
				}
				return mountTable(ml.MountInfo(), r.Root), nil
			}},
	} {
		Register(s)
	}
}

// Source returns the mount source of the filesystem under test ("none"
// when it has none).
func (m *Machine) Source() string {
	if sb := m.Superblock(); sb != nil {
		return sb.Source()
	}
	return "none"
}
