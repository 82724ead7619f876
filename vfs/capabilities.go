package vfs

// Optional capabilities of filesystems and devices, io/fs style: code that
// needs one (the op language's runner, and through it the race explorer;
// later the checkpoint code) asks for it with a type assertion, without
// importing a concrete filesystem.

// OrphanLister is implemented by the super operations of filesystems with
// an on-disk orphan list (ext4sim, btrfssim): the inode numbers on it, in
// the order the kernel oracle reports them (ext4: the chain from
// s_last_orphan; btrfs: orphan items by ascending inode number), as a
// reader of the device sees them.
type OrphanLister interface {
	OnDiskOrphans(sb *Superblock) []uint64
}

// OrphanSlot is one occupied slot of an orphan file.
type OrphanSlot struct {
	Block, Slot int
	Ino         uint64
}

// OrphanFileLister is implemented by the super operations of filesystems
// with an orphan file (ext4's orphan_file feature): its occupied slots in
// block and slot order.
type OrphanFileLister interface {
	OrphanFileSlots(sb *Superblock) []OrphanSlot
}

// Crasher is implemented by block devices that survive a power cut: the
// device as it would be found after one — its durable state only — under
// the same name.
type Crasher interface {
	CrashImage() BlockDevice
}

// FaultInjector is implemented by the super operations of filesystems that
// can fail on demand: the next n calls of kind fail (ext4sim: "add_entry"
// and "journal_start" fail with ENOSPC).
type FaultInjector interface {
	InjectFault(kind string, n int) error
}
