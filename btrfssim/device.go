package btrfssim

import "github.com/relinksim/relinksim/vfs"

// Device is a simulated block device holding a btrfs filesystem: the image
// the last transaction commit wrote. It is what survives a crash. Add it to
// a kernel with vfs.Kernel.AddBlockDevice and mount it by name.
//
// btrfs has no journal to replay: everything since the last commit is lost
// in a crash (fsync's log tree is not modelled), and mounting the device
// again only runs orphan cleanup.
type Device struct {
	name      string
	readOnly  bool
	committed *image
	// mounted is the filesystem mounted from the device, if any.
	mounted *fsInfo
	commits int
	// OnCommit, when set, runs after every transaction commit.
	OnCommit func(d *Device)
}

// MkfsOptions are the options of Mkfs.
type MkfsOptions struct {
	// Size of the device in bytes (default 128 MiB). Only recorded: the
	// simulator does not account space.
	Size int64
}

// Mkfs makes a new btrfs filesystem on a new device called name, as
// `mkfs.btrfs -q -f` does on the oracle's image: the top subvolume (tree 5)
// holding only its root directory, inode 256.
func Mkfs(name string, o MkfsOptions) *Device {
	t := newFSTree()
	t.inodes[firstFreeObjectid] = &inodeItem{Mode: vfs.S_IFDIR | 0o755, Nlink: 1, NBytes: 16384, Refs: []inodeRef{{Dir: firstFreeObjectid, Index: 0, Name: ".."}},
		Generation: mkfsRootGeneration}
	t.dirs[firstFreeObjectid] = newDirItems()
	im := &image{generation: 6, roots: map[uint64]*rootItem{
		fsTreeObjectid: {id: fsTreeObjectid, refs: 1, tree: t},
	}}
	return &Device{name: name, committed: im}
}

// Name implements vfs.BlockDevice.
func (d *Device) Name() string { return d.name }

// ReadOnly implements vfs.BlockDevice: a device attached read-only.
func (d *Device) ReadOnly() bool { return d.readOnly }

// SetReadOnly attaches the device read-only or read-write.
func (d *Device) SetReadOnly(ro bool) { d.readOnly = ro }

// Commits returns how many transactions were committed to the device since
// it was made.
func (d *Device) Commits() int { return d.commits }

// Crash returns a new device named name holding what this device holds
// durably right now: the last committed image.
func (d *Device) Crash(name string) *Device {
	return &Device{name: name, committed: d.committed.clone()}
}

// Snapshot returns a new device named name holding what a frozen copy holds
// (fsfreeze -f commits the running transaction, then the blocks are
// copied): everything done so far, open-but-unlinked inodes with their
// orphan items included.
func (d *Device) Snapshot(name string) *Device {
	if fs := d.mounted; fs != nil && !fs.readonly {
		fs.syncFS()
	}
	return d.Crash(name)
}

// CrashImage implements vfs.Crasher.
func (d *Device) CrashImage() vfs.BlockDevice { return d.Crash(d.name) }

var (
	_ vfs.BlockDevice = (*Device)(nil)
	_ vfs.Crasher     = (*Device)(nil)
)
