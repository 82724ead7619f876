package ext4sim

import (
	"github.com/relinksim/relinksim/vfs"
)

// The orphan list has two halves that must agree (invariant E3):
//
//	on disk    s_last_orphan names the most recently added orphan; each
//	           orphan's i_dtime names the next (NEXT_ORPHAN); the last has
//	           i_dtime 0.
//	in memory  sbi->s_orphan, a list of the same inodes through
//	           ext4_inode_info.i_orphan, newest first.
//
//	s_last_orphan -> C -> B -> A -> 0      s_orphan: C, B, A
//
// With the orphan_file feature an orphan may instead sit in a slot of the
// orphan file's blocks; it then is not on either half of the list.

// orphanAdd models fs/ext4/orphan.c:ext4_orphan_add: put inode on the
// orphan list (or in the orphan file), at the head, journalling the
// superblock and the inode in h.
//
// Preconditions: h is running; the inode's i_rwsem is held, or the inode is
// being created or deleted.
func (fs *fsInfo) orphanAdd(h *handle, ei *inodeInfo) error {
	if ei.tracked() {
		return nil // already tracked: the fast path
	}
	if fs.orphanFile != nil {
		err := fs.orphanFileAdd(h, ei)
		if err != vfs.ENOSPC {
			return err
		}
		// The orphan file is full: fall back to the list.
	}
	h.access(bufKey{bufSuper, 0})
	h.access(bufKey{bufInode, ei.ino})
	fs.k.Acquire(&fs.orphanLock, "ext4_orphan_add")
	dirty := false
	if ei.dtime == 0 || ei.dtime > fs.cur.geo.inodesCount() {
		// Not already on the disk chain from an earlier error.
		ei.dtime = fs.cur.sb.LastOrphan
		fs.cur.sb.LastOrphan = ei.ino
		dirty = true
	}
	fs.orphans.pushFront(ei)
	fs.k.Release(&fs.orphanLock, "ext4_orphan_add")
	fs.trace("ext4_orphan_add", "inode %d (nlink %d) at the head; next %d", ei.ino, ei.vi.Nlink(), ei.dtime)
	if dirty {
		fs.markInodeDirty(h, ei)
	}
	return nil
}

// orphanDel models fs/ext4/orphan.c:ext4_orphan_del: take inode off the
// orphan list (or out of the orphan file). Removing the head rewrites
// s_last_orphan; removing another entry rewrites its predecessor's
// i_dtime — the predecessor in the list, the orphan added just after it.
// With a nil handle the inode leaves the in-memory list only (error paths,
// and cleanup when no handle can start).
func (fs *fsInfo) orphanDel(h *handle, ei *inodeInfo) {
	if ei.orphanIdx >= 0 {
		fs.orphanFileDel(h, ei)
		return
	}
	if !ei.onList {
		return
	}
	if h != nil {
		h.access(bufKey{bufInode, ei.ino})
	}
	fs.k.Acquire(&fs.orphanLock, "ext4_orphan_del")
	prev := ei.prev
	fs.orphans.remove(ei)
	if h == nil {
		fs.k.Release(&fs.orphanLock, "ext4_orphan_del")
		fs.trace("ext4_orphan_del", "inode %d: in memory only (no handle)", ei.ino)
		return
	}
	next := ei.dtime
	if prev == nil {
		h.access(bufKey{bufSuper, 0})
		fs.cur.sb.LastOrphan = next
		fs.trace("ext4_orphan_del", "inode %d was the head: s_last_orphan = %d", ei.ino, next)
	} else {
		h.access(bufKey{bufInode, prev.ino})
		prev.dtime = next
		fs.markInodeDirty(h, prev)
		fs.trace("ext4_orphan_del", "inode %d: predecessor %d now points to %d", ei.ino, prev.ino, next)
	}
	fs.k.Release(&fs.orphanLock, "ext4_orphan_del")
	ei.dtime = 0
	fs.markInodeDirty(h, ei)
}

// orphanList is sbi->s_orphan: newest first.
type orphanList struct {
	head *inodeInfo
	n    int
}

func (l *orphanList) pushFront(ei *inodeInfo) {
	if ei.onList {
		vfs.Bug("ext4sim: inode %d added to the orphan list twice", ei.ino)
	}
	ei.prev, ei.next = nil, l.head
	if l.head != nil {
		l.head.prev = ei
	}
	l.head = ei
	ei.onList = true
	l.n++
}

func (l *orphanList) remove(ei *inodeInfo) {
	if ei.prev != nil {
		ei.prev.next = ei.next
	} else {
		l.head = ei.next
	}
	if ei.next != nil {
		ei.next.prev = ei.prev
	}
	ei.prev, ei.next, ei.onList = nil, nil, false
	l.n--
}

// all returns the list's inodes, head first.
func (l *orphanList) all() []*inodeInfo {
	var out []*inodeInfo
	for e := l.head; e != nil; e = e.next {
		out = append(out, e)
	}
	return out
}

// orphanFileInfo is struct ext4_orphan_info: the orphan file's blocks and
// their free-slot counts.
type orphanFileInfo struct {
	free []int
	// cpu is the CPU number ext4_orphan_file_add's search starts from
	// (raw_smp_processor_id()); the simulator takes it as a mount option.
	cpu int
}

// orphanFileAdd models fs/ext4/orphan.c:ext4_orphan_file_add: claim a free
// slot, starting the search at block cpu*13 % blocks. ENOSPC when every
// block is full.
func (fs *fsInfo) orphanFileAdd(h *handle, ei *inodeInfo) error {
	oi := fs.orphanFile
	nb := len(oi.free)
	start := oi.cpu * 13 % nb
	for i := 0; i < nb; i++ {
		b := (start + i) % nb
		if oi.free[b] == 0 {
			continue
		}
		oi.free[b]--
		h.access(bufKey{bufOrphanBlock, uint32(b)})
		slots := fs.cur.orphanBlocks[b]
		for s, v := range slots {
			if v == 0 {
				slots[s] = ei.ino
				ei.orphanIdx = b*len(slots) + s
				fs.trace("ext4_orphan_file_add", "inode %d in orphan block %d slot %d", ei.ino, b, s)
				return nil
			}
		}
		vfs.Bug("ext4sim: orphan block %d counted free entries but has none", b)
	}
	return vfs.ENOSPC
}

// orphanFileDel models fs/ext4/orphan.c:ext4_orphan_file_del.
func (fs *fsInfo) orphanFileDel(h *handle, ei *inodeInfo) {
	per := fs.cur.geo.orphanSlotsPerBlock()
	b, s := ei.orphanIdx/per, ei.orphanIdx%per
	if h != nil {
		h.access(bufKey{bufOrphanBlock, uint32(b)})
		fs.cur.orphanBlocks[b][s] = 0
		fs.orphanFile.free[b]++
	}
	fs.trace("ext4_orphan_file_del", "inode %d from orphan block %d slot %d", ei.ino, b, s)
	ei.orphanIdx = -1
}

// orphanSlotsPerBlock is ext4_inodes_per_orphan_block: the block minus the
// 8-byte tail (magic and checksum), in 4-byte slots.
func (g geometry) orphanSlotsPerBlock() int { return (g.BlockSize - 8) / 4 }

// OnDiskOrphans implements vfs.OrphanLister the way the oracle reads
// the device: the chain from s_last_orphan through i_dtime, head first,
// from the current metadata buffers (what dumpe2fs and debugfs see on the
// block device). The walk stops at 0, at an inode number out of range or at
// a freed inode, or after 1000 steps. Orphan-file slots are not part of it,
// as they are not part of dumpe2fs's "First orphan inode"; see OrphanFile.
func (fs *fsInfo) OnDiskOrphans(sb *vfs.Superblock) []uint64 {
	return fs.diskChain(1000)
}

// diskChain walks the on-disk chain for at most limit steps.
func (fs *fsInfo) diskChain(limit int) []uint64 {
	var out []uint64
	im := fs.cur
	for ino := im.sb.LastOrphan; ino != 0 && len(out) < limit; {
		out = append(out, uint64(ino))
		di := im.inodes[ino]
		if di == nil {
			break
		}
		ino = di.Dtime
		if ino > im.geo.inodesCount() {
			break
		}
	}
	return out
}

// OrphanFileSlots implements vfs.OrphanFileLister.
func (fs *fsInfo) OrphanFileSlots(sb *vfs.Superblock) []vfs.OrphanSlot {
	var out []vfs.OrphanSlot
	for b, blk := range fs.cur.orphanBlocks {
		for s, ino := range blk {
			if ino != 0 {
				out = append(out, vfs.OrphanSlot{Block: b, Slot: s, Ino: uint64(ino)})
			}
		}
	}
	return out
}

// orphanFileSlots lists the orphan file's occupied slots in block and slot
// order (the order mount cleanup processes them).
func (fs *fsInfo) orphanFileSlots() []uint32 {
	var out []uint32
	for _, blk := range fs.cur.orphanBlocks {
		for _, ino := range blk {
			if ino != 0 {
				out = append(out, ino)
			}
		}
	}
	return out
}

// orphanCleanup models fs/ext4/orphan.c:ext4_orphan_cleanup at mount: every
// inode on the disk chain, then in the orphan file, is loaded; one with
// nlink 0 is deleted by its last iput, one with nlink > 0 is truncated to
// its i_size (a truncate that spanned transactions). The counts go to the
// kernel log as ext4 logs them.
func (fs *fsInfo) orphanCleanup() {
	im := fs.cur
	if im.sb.LastOrphan == 0 && fs.orphanFileEmpty() {
		return
	}
	if fs.dev.readOnly {
		fs.msg("write access unavailable, skipping orphan cleanup")
		return
	}
	if im.sb.Errors {
		if im.sb.LastOrphan != 0 && !fs.sb.ReadOnly() {
			fs.msg("Errors on filesystem, clearing orphan list.\n")
			im.sb.LastOrphan = 0
		}
		return
	}
	if fs.sb.ReadOnly() {
		fs.msg("orphan cleanup on readonly fs")
		fs.cleanupRW = true
	}
	nrOrphans, nrTruncates := 0, 0
	for im.sb.LastOrphan != 0 {
		head := im.sb.LastOrphan
		ei, err := fs.orphanGet(head)
		if err != nil {
			im.sb.LastOrphan = 0
			break
		}
		fs.orphans.pushFront(ei)
		fs.processOrphan(ei, &nrTruncates, &nrOrphans)
		if im.sb.LastOrphan == head {
			// Deleting the head failed (no handle): Linux marks the
			// filesystem in error and stops; so does the model.
			fs.msg("error: orphan cleanup made no progress at inode %d", head)
			im.sb.Errors = true
			im.sb.LastOrphan = 0
			break
		}
	}
	for b, blk := range im.orphanBlocks {
		for s, ino := range blk {
			if ino == 0 {
				continue
			}
			ei, err := fs.orphanGet(ino)
			if err != nil {
				continue
			}
			ei.orphanIdx = b*len(blk) + s
			fs.processOrphan(ei, &nrTruncates, &nrOrphans)
		}
	}
	if nrOrphans > 0 {
		fs.msg("%d orphan inode%s deleted", nrOrphans, plural(nrOrphans))
	}
	if nrTruncates > 0 {
		fs.msg("%d truncate%s cleaned up", nrTruncates, plural(nrTruncates))
	}
	if fs.cleanupRW {
		// A read-only mount writes nothing later: the cleanup's
		// transactions go home now.
		fs.j.commit()
		fs.dev.checkpoint()
		fs.writeSuperNow()
	}
	fs.cleanupRW = false
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// processOrphan models fs/ext4/orphan.c:ext4_process_orphan.
func (fs *fsInfo) processOrphan(ei *inodeInfo, nrTruncates, nrOrphans *int) {
	vi := ei.vi
	if vi.Nlink() > 0 {
		fs.trace("ext4_process_orphan", "truncating inode %d to %d bytes", ei.ino, vi.Size)
		if err := fs.truncate(ei, vi.Size); err != nil {
			fs.orphanDel(nil, ei)
		}
		*nrTruncates++
	} else {
		fs.trace("ext4_process_orphan", "deleting unreferenced inode %d", ei.ino)
		*nrOrphans++
	}
	vfs.Iput(vi) // "The delete magic happens here!"
}

func (fs *fsInfo) orphanFileEmpty() bool {
	if fs.orphanFile == nil {
		return true
	}
	per := fs.cur.geo.orphanSlotsPerBlock()
	for _, f := range fs.orphanFile.free {
		if f != per {
			return false
		}
	}
	return true
}
