package ext4sim

import "github.com/relinksim/relinksim/vfs"

// Device is a simulated block device holding an ext4 filesystem: the home
// locations of every block and the journal's log of committed transactions.
// It is what survives a crash. Add it to a kernel with
// vfs.Kernel.AddBlockDevice and mount it by name.
//
// A Device is a value you can copy: Crash returns what a power cut would
// leave on it at this instant, Snapshot what a frozen copy would hold
// (fsfreeze, then cp), as independent devices to mount elsewhere.
type Device struct {
	name     string
	readOnly bool
	home     *image
	log      []txn
	// mounted is the filesystem mounted from the device, if any.
	mounted *fsInfo
	// events counts durable changes (commits), for crash-point enumeration.
	events int
	// OnCommit, when set, runs after every commit: tests take a crash image
	// there to crash between every two durable steps.
	OnCommit func(d *Device)
}

// Name implements vfs.BlockDevice.
func (d *Device) Name() string { return d.name }

// ReadOnly implements vfs.BlockDevice: a device attached read-only
// (losetup -r).
func (d *Device) ReadOnly() bool { return d.readOnly }

// SetReadOnly attaches the device read-only or read-write. Mounting a
// read-only device skips orphan cleanup, as Linux does.
func (d *Device) SetReadOnly(ro bool) { d.readOnly = ro }

// Commits returns how many transactions have been committed to the device
// since it was made: the durable steps a crash can fall between.
func (d *Device) Commits() int { return d.events }

// Crash returns a new device named name holding what this device holds
// durably right now: the home locations and the committed log. The running
// transaction and unwritten file data of a mounted filesystem are lost.
func (d *Device) Crash(name string) *Device {
	return &Device{name: name, home: d.home.clone(), log: cloneLog(d.log)}
}

// Snapshot returns a new device named name holding the image a frozen copy
// would hold: the mounted filesystem first commits and checkpoints
// everything (fsfreeze -f), then the blocks are copied. Unlike a crash
// nothing is lost, but open-unlinked inodes stay on the orphan list of the
// copy, so mounting it runs orphan cleanup.
func (d *Device) Snapshot(name string) *Device {
	if fs := d.mounted; fs != nil && !fs.sb.ReadOnly() {
		fs.freeze()
	}
	return d.Crash(name)
}

// CrashImage implements vfs.Crasher: the device as a power cut leaves
// it, under the same name.
func (d *Device) CrashImage() vfs.BlockDevice { return d.Crash(d.name) }

func cloneLog(log []txn) []txn {
	out := make([]txn, len(log))
	for i, t := range log {
		c := txn{tid: t.tid, keys: append([]bufKey(nil), t.keys...)}
		for j, k := range t.keys {
			c.bufs = append(c.bufs, cloneBuf(k, t.bufs[j]))
		}
		out[i] = c
	}
	return out
}

func cloneBuf(k bufKey, v any) any {
	switch k.kind {
	case bufGroup:
		g := v.(diskGroup)
		g.bitmap = append([]uint64(nil), g.bitmap...)
		return g
	case bufDir:
		if v == nil {
			return nil
		}
		return v.(*diskDir).clone()
	case bufOrphanBlock:
		return append([]uint32(nil), v.([]uint32)...)
	}
	return v
}

var _ vfs.BlockDevice = (*Device)(nil)
