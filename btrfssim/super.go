package btrfssim

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// FilesystemType is btrfs for the simulator's VFS ("btrfs"). Register it
// with vfs.Kernel.RegisterFilesystem, add a Device made by Mkfs with
// vfs.Kernel.AddBlockDevice, and mount the device by name.
//
// Mount options: none are accepted; an unknown option fails with EINVAL.
type FilesystemType struct{}

// Name implements vfs.FilesystemType.
func (FilesystemType) Name() string { return "btrfs" }

// RequiresDevice implements vfs.FilesystemType.
func (FilesystemType) RequiresDevice() bool { return true }

// Faults injects failures into a mounted filesystem (Mounted.Faults, or the
// script op "fault").
type Faults struct {
	// AddLinkENOSPC makes the next n calls of btrfs_add_link fail with
	// ENOSPC before they change anything ("add_entry" in the op language,
	// the name ext4sim uses for the same step).
	AddLinkENOSPC int
	// TransStartENOSPC makes the next n transaction starts fail with
	// ENOSPC ("trans_start").
	TransStartENOSPC int
}

// fsInfo is struct btrfs_fs_info: the mounted filesystem.
type fsInfo struct {
	sb  *vfs.Superblock
	k   *vfs.Kernel
	dev *Device
	// cur is the current state of every tree, the running transaction
	// included.
	cur *image
	// roots are the fs trees read so far (fs_info->fs_roots_radix), by id.
	roots map[uint64]*rootInfo
	// nextRootID is the tree of tree roots' free objectid: the id the next
	// subvolume or snapshot gets. Ids are never reused within a mount.
	nextRootID uint64
	// dummies are the in-core stand-ins for nested subvolumes seen
	// through snapshots.
	dummies map[dummyKey]*vfs.Inode
	// dirty is set when the running transaction changed something.
	dirty bool
	// readonly is the filesystem's own read-only state (SB_RDONLY as
	// btrfs_reconfigure switches it, before the VFS's flag follows).
	readonly bool
	// aborted is BTRFS_FS_STATE_TRANS_ABORTED: a transaction was aborted,
	// the filesystem forced itself read-only, and nothing is committed
	// again in this mount.
	aborted bool
	faults  Faults
	// delayed logs the DIR_INDEX insertions and deletions since the last
	// commit: btrfs queues them as delayed items (btrfs_insert_delayed_dir_index,
	// btrfs_delete_delayed_dir_index) that reach the tree at the commit;
	// an aborted transaction's cleanup drops them (dropDelayedItems).
	delayed []delayedIndex
}

// delayedIndex is a DIR_INDEX change not yet in the tree: an insertion
// (added) or a deletion of entry at index in dir.
type delayedIndex struct {
	dir   *dirItems
	index uint64
	entry dirEntry
	added bool
}

// DeleteDentry implements vfs.DentryDeleter (models
// fs/btrfs/inode.c:btrfs_dentry_delete): the dentry of a stand-in for a
// nested subvolume, and any dentry of a deleted subvolume, is freed at its
// last dput, so the next lookup reads the tree again.
func (fs *fsInfo) DeleteDentry(d *vfs.Dentry) bool {
	ei := info(d.Inode())
	return ei.dummy || ei.root.dead()
}

var _ vfs.DentryDeleter = (*fsInfo)(nil)

// FS returns the mounted btrfs filesystem behind sb (for tests and the
// checkpoint code), or nil.
func FS(sb *vfs.Superblock) *Mounted {
	if fs, ok := sb.Ops.(*fsInfo); ok {
		return &Mounted{fs}
	}
	return nil
}

// Mounted is the handle tests get on a mounted btrfssim filesystem.
type Mounted struct{ fs *fsInfo }

// Faults returns the fault-injection settings to change.
func (m *Mounted) Faults() *Faults { return &m.fs.faults }

// Device returns the device the filesystem is mounted from.
func (m *Mounted) Device() *Device { return m.fs.dev }

// Check runs the checker on the filesystem's current state.
func (m *Mounted) Check() []vfs.Violation { return m.fs.check() }

// Orphans returns the orphan items of subvolume id (5 is the top one) in
// the current state, in ascending inode order, and whether the subvolume
// exists.
func (m *Mounted) Orphans(id uint64) ([]uint64, bool) {
	r := m.fs.cur.roots[id]
	if r == nil {
		return nil, false
	}
	return r.tree.sortedOrphans(), true
}

// Subvolumes returns the ids of the subvolumes and snapshots, the top one
// (5) first, deleted ones excluded.
func (m *Mounted) Subvolumes() []uint64 {
	var out []uint64
	for _, id := range m.fs.cur.sortedRoots() {
		if m.fs.cur.roots[id].refs > 0 {
			out = append(out, id)
		}
	}
	return out
}

// Commit writes back all file data and commits the running transaction
// (what sync does).
func (m *Mounted) Commit() { m.fs.syncFS() }

func (fs *fsInfo) trace(fn, format string, args ...any) {
	if fs.k.Tracing() {
		fs.k.Tracef("fs/btrfs:"+fn, format, args...)
	}
}

// FillSuper implements vfs.FilesystemType (models fs/btrfs/super.c:
// btrfs_fill_super with open_ctree): read the tree of tree roots and the
// top subvolume, and on a read-write mount clean the top subvolume's
// orphans (btrfs_start_pre_rw_mount). Other subvolumes are cleaned when
// they are first looked up.
func (FilesystemType) FillSuper(sb *vfs.Superblock, data string) error {
	dev, ok := sb.Device().(*Device)
	if !ok {
		return vfs.EINVAL
	}
	for _, opt := range strings.Split(data, ",") {
		if opt != "" {
			return vfs.EINVAL
		}
	}
	if dev.mounted != nil {
		vfs.Bug("btrfssim: %s mounted twice without sharing its superblock", dev.name)
	}
	fs := &fsInfo{sb: sb, k: sb.Kernel(), dev: dev, roots: map[uint64]*rootInfo{}, dummies: map[dummyKey]*vfs.Inode{}, readonly: sb.ReadOnly()}
	fs.cur = dev.committed.clone()
	// A subvolume deleted before the last commit is gone once the cleaner
	// has dropped it; the simulator drops it at mount.
	for id, r := range fs.cur.roots {
		if r.refs == 0 {
			delete(fs.cur.roots, id)
		}
	}
	fs.nextRootID = fs.cur.highestRootID() + 1
	sb.Ops = fs
	sb.Private = fs
	sb.MaxBytes = vfs.MaxFileSize
	dev.mounted = fs
	top := fs.getRoot(fsTreeObjectid)
	root, err := fs.iget(top, firstFreeObjectid)
	if err != nil {
		dev.mounted = nil
		return err
	}
	sb.SetRoot(vfs.MakeRoot(root))
	if !fs.readonly {
		fs.orphanCleanup(top)
	}
	return nil
}

// CheckOptions implements vfs.OptionChecker (models btrfs_parse_param run
// by the fs_context API before get_tree): no option is accepted, even by a
// mount that reuses the superblock.
func (FilesystemType) CheckOptions(k *vfs.Kernel, data string) error {
	for _, opt := range strings.Split(data, ",") {
		if opt != "" {
			return vfs.EINVAL
		}
	}
	return nil
}

// MixedReadOnly implements vfs.MixedReadOnlyMounter (models
// fs/btrfs/super.c:btrfs_get_tree_subvol and btrfs_reconfigure_for_mount):
// a second mount of the device may ask for the other read-only state.
func (FilesystemType) MixedReadOnly() bool { return true }

// KillSuper implements vfs.SuperKiller (models
// fs/btrfs/super.c:btrfs_put_super with close_ctree, after
// generic_shutdown_super's sync_filesystem): the data is written back and the
// last transaction committed.
func (fs *fsInfo) KillSuper(sb *vfs.Superblock) {
	if !fs.readonly {
		fs.syncFS()
	}
	fs.dev.mounted = nil
}

// SyncFS implements vfs.Syncer (models fs/btrfs/super.c:btrfs_sync_fs): write
// back the data, commit the running transaction.
func (fs *fsInfo) SyncFS(sb *vfs.Superblock) error {
	fs.syncFS()
	return nil
}

// Remount implements vfs.Remounter (models
// fs/btrfs/super.c:btrfs_reconfigure): every remount of a read-write
// filesystem first writes the data back and commits (sync_filesystem,
// whatever changes; recorded on 6.18: remount-writes-back); going from
// read-only to read-write cleans the orphans of every subvolume read so far
// (btrfs_cleanup_fs_roots). No option may change.
func (fs *fsInfo) Remount(sb *vfs.Superblock, flags vfs.MountFlags, data string) error {
	for _, opt := range strings.Split(data, ",") {
		if opt != "" {
			return vfs.EINVAL
		}
	}
	if !fs.readonly {
		fs.syncFS()
	}
	ro := flags&vfs.MS_RDONLY != 0
	if !ro && fs.aborted {
		fs.k.Printk("BTRFS error (device %s state EA): remounting read-write after error is not allowed", devShort(fs.dev.name))
		return vfs.EINVAL
	}
	switch {
	case ro && !fs.readonly:
		fs.readonly = true
	case !ro && fs.readonly:
		fs.readonly = false
		for _, id := range fs.loadedRoots() {
			fs.orphanCleanup(fs.roots[id])
		}
	}
	return nil
}

// ShowOptions implements vfs.OptionShower: what /proc/mounts shows for the
// oracle's mount (btrfs_show_options); the subvolume is always the top.
func (fs *fsInfo) ShowOptions(sb *vfs.Superblock) string {
	return ",discard=async,space_cache=v2,subvolid=5,subvol=/"
}

// ShowMountOptions implements vfs.MountOptionShower (models
// btrfs_show_options with the mount's root): the subvolume the root is in,
// by id and by its path from the top (a bind mount of a subvolume, or of a
// directory in one, shows that subvolume).
func (fs *fsInfo) ShowMountOptions(sb *vfs.Superblock, root *vfs.Dentry) string {
	id, ok := SubvolumeOf(root.Inode())
	if !ok || id == fsTreeObjectid {
		return fs.ShowOptions(sb)
	}
	// The subvolume's root: the highest ancestor still in it.
	top := root
	for p := top.Parent(); p != top; p = top.Parent() {
		if pid, ok := SubvolumeOf(p.Inode()); !ok || pid != id {
			break
		}
		top = p
	}
	var parts []string
	for d := top; d.Parent() != d; d = d.Parent() {
		parts = append([]string{d.Name()}, parts...)
	}
	return fmt.Sprintf(",discard=async,space_cache=v2,subvolid=%d,subvol=/%s", id, strings.Join(parts, "/"))
}

// OnDiskOrphans implements vfs.OrphanLister the way the oracle reads the
// device: the orphan items of the top subvolume (dump-tree -t 5) after a
// sync, in ascending inode order. After a transaction abort nothing is
// committed any more: the device holds the last committed tree, without
// what the aborted transaction (and any after it) changed.
func (fs *fsInfo) OnDiskOrphans(sb *vfs.Superblock) []uint64 {
	if fs.aborted {
		if r := fs.dev.committed.roots[fsTreeObjectid]; r != nil {
			return r.tree.sortedOrphans()
		}
		return nil
	}
	return fs.cur.roots[fsTreeObjectid].tree.sortedOrphans()
}

// OrphanGroups implements vfs.OrphanGroupLister: the orphan items of
// every live subvolume that has any, the top one first, as OnDiskOrphans
// reads them (dump-tree -t ID after a sync; the last committed trees after
// an abort), with the subvolume's in-memory inodes.
func (fs *fsInfo) OrphanGroups(sb *vfs.Superblock) []vfs.OrphanGroup {
	im := fs.cur
	if fs.aborted {
		im = fs.dev.committed
	}
	var out []vfs.OrphanGroup
	for _, id := range im.sortedRoots() {
		item := im.roots[id]
		if item.refs == 0 {
			continue // deleted: the cleaner drops the whole tree
		}
		inos := item.tree.sortedOrphans()
		if len(inos) == 0 {
			continue
		}
		g := vfs.OrphanGroup{Label: fmt.Sprintf("subvolume %d", id), Inos: inos, Inodes: make([]*vfs.Inode, len(inos))}
		if r := fs.roots[id]; r != nil {
			for i, ino := range inos {
				g.Inodes[i] = r.icache[ino]
			}
		}
		out = append(out, g)
	}
	return out
}

// InjectFault implements vfs.FaultInjector: kinds "add_entry" (btrfs_add_link)
// and "trans_start".
func (fs *fsInfo) InjectFault(kind string, n int) error {
	switch kind {
	case "add_entry":
		fs.faults.AddLinkENOSPC = n
	case "trans_start":
		fs.faults.TransStartENOSPC = n
	default:
		return vfs.EINVAL
	}
	return nil
}

// CheckSuper implements vfs.SuperChecker with the checker.
func (fs *fsInfo) CheckSuper(sb *vfs.Superblock) []vfs.Violation { return fs.check() }

var (
	_ vfs.InodeEvicter         = (*fsInfo)(nil)
	_ vfs.SuperKiller          = (*fsInfo)(nil)
	_ vfs.OptionShower         = (*fsInfo)(nil)
	_ vfs.MountOptionShower    = (*fsInfo)(nil)
	_ vfs.Remounter            = (*fsInfo)(nil)
	_ vfs.OptionChecker        = FilesystemType{}
	_ vfs.MixedReadOnlyMounter = FilesystemType{}
	_ vfs.Syncer               = (*fsInfo)(nil)
	_ vfs.OrphanLister         = (*fsInfo)(nil)
	_ vfs.FaultInjector        = (*fsInfo)(nil)
	_ vfs.SuperChecker         = (*fsInfo)(nil)
	_ vfs.DirentWalker         = (*fsInfo)(nil)
)
