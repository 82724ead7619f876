package ckpt

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// What happens between a checkpoint and a restart: a backup of the
// filesystem under test, and a move to another machine. The cover
// letter's argument is about these: "a snapshot could simply be taken
// during checkpoint and mounted during restart — without requiring IO
// proportional to the aggregate size", which only holds when the
// open-unlinked files have names by then.

// Backup kinds.
const (
	// BackupCopy walks the mounted filesystem under test and copies
	// every file it reaches by name — data extents only, so holes stay
	// holes; hard links kept; other mounts below it left out (tar
	// --one-file-system, rsync -aHS) — into an archive.
	BackupCopy = "copy"
	// BackupSnapshot takes a btrfs snapshot of the subvolume at /mnt,
	// in it: no data is copied, and only what has a name is in it
	// (fact 22: open-unlinked files are not).
	BackupSnapshot = "snapshot"
	// MigrateShared is migrate's word for a move without a backup: the
	// new machine mounts the device the old one used (shared storage).
	MigrateShared = "shared"
)

// Backup is what a backup op took.
type Backup struct {
	Name, Kind string
	// Files are a copy's files, in the order the walk met them.
	Files []BackupFile
	// Snapshot is a snapshot's path from /mnt.
	Snapshot string
	// DataBytes counts the file data the backup read.
	DataBytes uint64
}

// BackupFile is a file in a copy: its path from /mnt, its metadata, and
// its data extents (a regular file), its target (a symlink), or the
// earlier path of the same inode (a hard link).
type BackupFile struct {
	Path     string
	Mode     vfs.FileMode
	UID, GID uint32
	Size     int64
	Target   string
	LinkTo   string
	Chunks   []Chunk
}

type backupsKey struct{}

// Backups returns the backups the machine's script took.
func Backups(m *script.Machine) []*Backup {
	if s, ok := m.Ext(backupsKey{}).(*[]*Backup); ok {
		return *s
	}
	return nil
}

func storeBackup(m *script.Machine, b *Backup) {
	s, ok := m.Ext(backupsKey{}).(*[]*Backup)
	if !ok {
		s = &[]*Backup{}
		m.SetExt(backupsKey{}, s)
	}
	for i, x := range *s {
		if x.Name == b.Name {
			(*s)[i] = b
			return
		}
	}
	*s = append(*s, b)
}

// TakeBackup takes a backup of kind kind (BackupCopy, BackupSnapshot) of
// the filesystem mounted at root, run by t.
func TakeBackup(t *vfs.Task, root, kind, name string) (*Backup, error) {
	b := &Backup{Name: name, Kind: kind}
	before := t.Kernel().Stats()
	switch kind {
	case BackupCopy:
		if err := b.walk(t, root); err != nil {
			return nil, err
		}
	case BackupSnapshot:
		if err := b.snapshot(t, root); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown backup kind %q (want %s or %s): %w", kind, BackupCopy, BackupSnapshot, vfs.EINVAL)
	}
	b.DataBytes = dataBytes(t.Kernel().Stats()) - dataBytes(before)
	return b, nil
}

// snapshot makes a btrfs snapshot of the subvolume at root, named
// .backup-<name> in it (BTRFS_IOC_SNAP_CREATE_V2, which commits the
// transaction). It is writable: the restart that mounts it unlinks the
// relinked names in it.
func (b *Backup) snapshot(t *vfs.Task, root string) error {
	if sb, err := t.SuperblockOf(root); err != nil {
		return err
	} else if sb.Type().Name() != "btrfs" {
		return fmt.Errorf("a snapshot needs btrfs, %s is %s: %w", root, sb.Type().Name(), vfs.EOPNOTSUPP)
	}
	dir, err := t.Open(root, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer t.Close(dir)
	b.Snapshot = ".backup-" + b.Name
	return t.SnapshotCreate(dir, b.Snapshot, dir, false)
}

// walk copies every file under root that is on root's mount.
func (b *Backup) walk(t *vfs.Task, root string) error {
	rootMnt, err := t.KernPath(root)
	if err != nil {
		return err
	}
	defer vfs.PathPut(rootMnt)
	type key struct {
		dev uint32
		ino uint64
	}
	seen := map[key]string{}
	var visit func(rel string) error
	visit = func(rel string) error {
		full := path.Join(root, rel)
		fd, err := t.Open(full, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		ents, err := t.ReadDir(fd)
		t.Close(fd)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			crel := path.Join(rel, e.Name)
			cfull := path.Join(root, crel)
			st, err := t.Lstat(cfull)
			if err != nil {
				return err
			}
			if st.Mode.IsDir() {
				p, err := t.KernPath(cfull)
				if err != nil {
					return err
				}
				other := p.Mnt != rootMnt.Mnt
				vfs.PathPut(p)
				if other {
					continue // another mount: --one-file-system
				}
			}
			f := BackupFile{Path: crel, Mode: st.Mode, UID: st.UID, GID: st.GID, Size: st.Size}
			k := key{st.Dev, st.Ino}
			switch {
			case !st.Mode.IsDir() && seen[k] != "":
				f.LinkTo = seen[k]
			case st.Mode.IsSymlink():
				if f.Target, err = t.Readlink(cfull); err != nil {
					return err
				}
			case st.Mode.IsRegular():
				rfd, err := t.Open(cfull, vfs.O_RDONLY, 0)
				if err != nil {
					return err
				}
				f.Chunks, err = readData(t, rfd, st.Size, true, func(fn func() error) error { return fn() })
				t.Close(rfd)
				if err != nil {
					return err
				}
			}
			if !st.Mode.IsDir() && f.LinkTo == "" {
				seen[k] = crel
			}
			b.Files = append(b.Files, f)
			if st.Mode.IsDir() {
				if err := visit(crel); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit(".")
}

// extract writes a copy's files under root, as t: directories, files
// with their data extents, hard links, symlinks, fifos, then owners and
// modes. A directory that exists already (lost+found, made by mkfs) is
// kept.
func (b *Backup) extract(t *vfs.Task, root string) error {
	for _, f := range b.Files {
		full := path.Join(root, f.Path)
		perm := f.Mode & 0o7777
		var err error
		switch {
		case f.LinkTo != "":
			err = t.Link(path.Join(root, f.LinkTo), full)
		case f.Mode.IsDir():
			if err = t.Mkdir(full, perm); errors.Is(err, vfs.EEXIST) {
				err = nil
			}
		case f.Mode.IsSymlink():
			err = t.Symlink(f.Target, full)
		case f.Mode.IsFifo():
			err = t.Mkfifo(full, perm)
		case f.Mode.IsRegular():
			var fd int
			if fd, err = t.Open(full, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_EXCL, perm); err != nil {
				break
			}
			for _, c := range f.Chunks {
				if _, err = t.Pwrite(fd, c.Data, c.Off); err != nil {
					break
				}
			}
			if err == nil {
				err = t.Ftruncate(fd, f.Size)
			}
			t.Close(fd)
		default:
			err = fmt.Errorf("%s: a %s is not restored: %w", f.Path, f.Mode.TypeName(), vfs.EOPNOTSUPP)
		}
		if err != nil {
			return fmt.Errorf("restoring %s: %w", f.Path, err)
		}
		if f.LinkTo != "" || f.Mode.IsSymlink() {
			continue
		}
		if err := t.Chown(full, f.UID, f.GID); err != nil {
			return err
		}
		if err := t.Chmod(full, perm); err != nil {
			return err
		}
	}
	return nil
}

// Migrate moves the machine to a new one (script.Machine.MoveTo) that has
// backup b at /mnt — a fresh filesystem of the same type with a copy
// extracted into it, or the snapshot of the old device bind-mounted — or,
// with b nil, the old machine's device itself (shared storage; tmpfs has
// none). The old machine syncs first, then is gone. It returns the file
// data bytes the new machine wrote.
func Migrate(m *script.Machine, b *Backup) (uint64, error) {
	cfg := m.Config()
	info := m.FS()
	var dev vfs.BlockDevice
	if b == nil || b.Kind == BackupSnapshot {
		m.Init().Sync()
		d, ok := m.DeviceImage()
		if !ok {
			return 0, fmt.Errorf("%s has no device both machines could see: %w", cfg.FS, vfs.EINVAL)
		}
		dev = d
	}
	sbType := m.Superblock().Type()
	var written uint64
	err := m.MoveTo(func(k *vfs.Kernel, t *vfs.Task) error {
		if dev != nil {
			if !k.HasFilesystem(sbType.Name()) {
				k.RegisterFilesystem(sbType)
			}
			k.AddBlockDevice(dev)
		}
		switch {
		case b == nil:
			return t.Mount(dev.Name(), "/mnt", cfg.FS, 0, cfg.MountOptions)
		case b.Kind == BackupSnapshot:
			if err := t.Mkdir("/snapshots", 0o755); err != nil {
				return err
			}
			if err := t.Mount(dev.Name(), "/snapshots", cfg.FS, 0, cfg.MountOptions); err != nil {
				return err
			}
			return t.Mount("/snapshots/"+b.Snapshot, "/mnt", "", vfs.MS_BIND, "")
		default:
			source := "none"
			if info.Setup != nil {
				var err error
				if source, err = info.Setup(k, cfg.Mkfs); err != nil {
					return err
				}
			}
			if err := t.Mount(source, "/mnt", cfg.FS, 0, cfg.MountOptions); err != nil {
				return err
			}
			before := k.Stats()
			err := b.extract(t, "/mnt")
			written = dataBytes(k.Stats()) - dataBytes(before)
			return err
		}
	})
	if err != nil {
		return 0, err
	}
	// The script's tasks are gone with the old machine: ops run as the
	// new machine's inspector until a restart.
	insp, err := Daemon(m.K).Clone(0)
	if err != nil {
		return 0, err
	}
	m.SetExt(killedKey{}, insp)
	m.SetInit(insp)
	return written, m.SetTasks([]script.TaskInfo{{Name: Inspector, Sys: insp}}, Inspector)
}

func init() {
	for _, s := range []script.OpSpec{
		{Name: "backup", Group: "checkpoint", Machine: true, Args: []script.Arg{script.ArgWord, script.ArgOut}, Usage: "backup copy|snapshot -> B",
			Help: "back up the filesystem under test as backup B, as the checkpoint daemon: copy walks it and copies every file it reaches by name (data extents only, hard links kept; other mounts left out); snapshot takes a writable btrfs snapshot of /mnt, .backup-B, in it (no data copied); ret: files copied and data bytes read",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				m, err := machine(r, op)
				if err != nil {
					return nil, err
				}
				if op.Out == MigrateShared {
					return nil, fmt.Errorf("a backup cannot be called %q (migrate's word for no backup)", MigrateShared)
				}
				b, err := TakeBackup(Daemon(m.K), "/mnt", op.Text, op.Out)
				if err != nil {
					return nil, err
				}
				storeBackup(m, b)
				return fmt.Sprintf("files=%d data-bytes=%d", len(b.Files), b.DataBytes), nil
			}},
		{Name: "migrate", Group: "checkpoint", Machine: true, Args: []script.Arg{script.ArgWord}, Usage: "migrate B|shared", NoTask: true,
			Help: "the machine is replaced by a new one (a new kernel; the old one syncs and is gone, with its tasks): with backup B restored at /mnt (a copy extracted into a fresh filesystem of the same type, or the snapshot mounted from the old device), or with shared the old device itself; images stay; ops run as the new machine's " + Inspector + " until a restart; ret: data bytes the new machine wrote",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				m, err := machine(r, op)
				if err != nil {
					return nil, err
				}
				var b *Backup
				if op.Text != MigrateShared {
					for _, x := range Backups(m) {
						if x.Name == op.Text {
							b = x
						}
					}
					if b == nil {
						return nil, fmt.Errorf("no backup is called %q (want %s, or one of the backups taken: %s)", op.Text, MigrateShared, backupNames(m))
					}
				}
				n, err := Migrate(m, b)
				if err != nil {
					return nil, err
				}
				return fmt.Sprintf("data-bytes=%d", n), nil
			}},
	} {
		script.Register(s)
	}
}

// backupNames lists the backups' names, for errors.
func backupNames(m *script.Machine) string {
	var names []string
	for _, b := range Backups(m) {
		names = append(names, b.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
