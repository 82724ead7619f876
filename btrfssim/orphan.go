package btrfssim

import "github.com/relinksim/relinksim/vfs"

// btrfs keeps no orphan list: an inode that loses its last name while it is
// still in use gets an orphan item, key (ORPHAN_OBJECTID, ORPHAN_ITEM,
// inode number), in the fs tree of its own subvolume. The item is deleted
// with the inode when its last reference goes, or when an O_TMPFILE inode
// gets its first name. Items left by a crash are found by
// btrfs_orphan_cleanup, which runs once per tree: for the top subvolume at
// a read-write mount, for any other subvolume when it is first looked up,
// for a new snapshot right after it is made, and for every tree read so far
// when a read-only mount becomes read-write.

// orphanAdd models fs/btrfs/inode.c:btrfs_orphan_add: insert the orphan
// item (an existing one is fine).
func (fs *fsInfo) orphanAdd(tr *trans, ei *inodeInfo) {
	ei.root.touch()
	ei.root.tree().orphans[ei.ino] = true
	fs.trace("btrfs_orphan_add", "root %d inode %d", ei.root.id, ei.ino)
}

// orphanDel models fs/btrfs/inode.c:btrfs_orphan_del: delete the orphan
// item. It reports ENOENT when there is none, which callers on the eviction
// path ignore.
func (fs *fsInfo) orphanDel(tr *trans, ei *inodeInfo) error {
	t := ei.root.tree()
	if !t.orphans[ei.ino] {
		return vfs.ENOENT
	}
	ei.root.touch()
	delete(t.orphans, ei.ino)
	fs.trace("btrfs_orphan_del", "root %d inode %d", ei.root.id, ei.ino)
	return nil
}

// orphanCleanup models fs/btrfs/inode.c:btrfs_orphan_cleanup for root r:
// once per mount, walk the orphan items from the highest inode number
// down; an item whose inode is gone or has links is deleted on its own
// (older kernels' truncate orphans are not replayed); an inode without
// links is loaded and its last reference dropped at once, which deletes it
// and its item.
func (fs *fsInfo) orphanCleanup(r *rootInfo) {
	if r.orphanCleaned || r.dead() {
		return
	}
	r.orphanCleaned = true
	t := r.tree()
	orphans := t.sortedOrphans()
	nr := 0
	for i := len(orphans) - 1; i >= 0; i-- {
		ino := orphans[i]
		vi, err := fs.iget(r, ino)
		if err != nil || vi.Nlink() > 0 {
			if vi != nil {
				vfs.Iput(vi)
			}
			tr, err := fs.startTransaction("btrfs_orphan_cleanup")
			if err != nil {
				return
			}
			r.touch()
			delete(t.orphans, ino)
			tr.end()
			continue
		}
		fs.trace("btrfs_orphan_cleanup", "root %d: deleting unreferenced inode %d", r.id, ino)
		nr++
		vfs.Iput(vi)
	}
	if nr > 0 {
		// btrfs_debug only: nothing reaches the kernel log.
		fs.trace("btrfs_orphan_cleanup", "root %d: unlinked %d orphans", r.id, nr)
	}
}
