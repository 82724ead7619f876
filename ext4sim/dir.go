package ext4sim

import (
	"github.com/relinksim/relinksim/vfs"
)

// Directory blocks hold struct ext4_dir_entry_2 records, each as long as its
// rec_len; a block's records span it exactly, up to the 12-byte checksum
// tail metadata_csum reserves. A new entry goes in the first record with
// enough slack (splitting it); a removed entry's space merges into the
// record before it (or, first in its block, becomes an unused record).
//
// A directory starts with one block holding "." and "..". When that block
// is full, dir_index turns the directory into an htree (make_indexed_dir):
// block 0 becomes the index root, its other entries move to block 1, which
// is split by hash into blocks 1 and 2 at once. From then on a name goes
// to the leaf its hash selects, and a full leaf is split by hash into a
// new block at the end of the directory (htree.go models the index, the
// splits and the index's own growth). A directory that is not indexed but
// has several blocks (mkfs's lost+found) stays linear: a name goes into
// the first block with room, or a new block.

// newDirBlock0 models fs/ext4/namei.c:ext4_init_dot_dotdot: the first block
// of a new directory, "." and ".." spanning it.
func (g geometry) newDirBlock0(self, parent uint32) []dirent {
	usable := g.BlockSize - g.DirTail
	return []dirent{
		{ino: self, name: ".", typ: vfs.S_IFDIR, recLen: recLen(1)},
		{ino: parent, name: "..", typ: vfs.S_IFDIR, recLen: usable - recLen(1)},
	}
}

// indexed reports whether the directory was turned into an htree: its
// first block is then the index root, holding only "." and "..".
func (d *diskDir) indexed() bool { return d.dx != nil }

// isDx models fs/ext4/dir.c:is_dx_dir: with dir_index (always on here), a
// directory is read and sought as an htree when it is indexed or its i_size
// is exactly one block (an rmdir'ed directory has size 0).
func (d *diskDir) isDx(size int64, blockSize int) bool {
	return d.dx != nil || size == int64(blockSize)
}

// find returns the block and index of name, or -1, -1 (through the
// name index, dirindex.go: Linux's htree lookup reads one leaf too).
func (d *diskDir) find(name string) (int, int) {
	b, ok := d.nameIndex()[name]
	if !ok {
		return -1, -1
	}
	for i, e := range d.blocks[b] {
		if e.ino != 0 && e.name == name {
			return b, i
		}
	}
	vfs.Bug("ext4sim: the name index puts %q in block %d, which does not hold it", name, b)
	return -1, -1
}

// lookup returns the inode name refers to, or 0.
func (d *diskDir) lookup(name string) (uint32, vfs.FileMode) {
	if b, i := d.find(name); b >= 0 {
		e := d.blocks[b][i]
		return e.ino, e.typ
	}
	return 0, 0
}

// empty models fs/ext4/namei.c:ext4_empty_dir: nothing but "." and "..".
func (d *diskDir) empty() bool {
	for _, blk := range d.blocks {
		for _, e := range blk {
			if e.ino != 0 && e.name != "." && e.name != ".." {
				return false
			}
		}
	}
	return true
}

// entries counts live names other than "." and "..".
func (d *diskDir) entries() int {
	n := 0
	for _, blk := range d.blocks {
		for _, e := range blk {
			if e.ino != 0 && e.name != "." && e.name != ".." {
				n++
			}
		}
	}
	return n
}

// insertInBlock models fs/ext4/namei.c:ext4_find_dest_de plus
// ext4_insert_dentry within one block: it reports false when no record has
// room.
func insertInBlock(blk []dirent, usable int, e dirent) ([]dirent, bool) {
	need := recLen(len(e.name))
	off := 0
	for i, de := range blk {
		if off > usable-need {
			break
		}
		slack := de.recLen
		if de.ino != 0 {
			slack = de.recLen - recLen(len(de.name))
		}
		if slack >= need {
			if de.ino == 0 {
				e.recLen = de.recLen
				blk[i] = e
				return blk, true
			}
			e.recLen = de.recLen - recLen(len(de.name))
			blk[i].recLen = recLen(len(de.name))
			out := make([]dirent, 0, len(blk)+1)
			out = append(out, blk[:i+1]...)
			out = append(out, e)
			return append(out, blk[i+1:]...), true
		}
		off += de.recLen
	}
	return blk, false
}

// addEntry models fs/ext4/namei.c:ext4_add_entry: an indexed directory
// adds name -> ino through its htree (ext4_dx_add_entry); any other puts
// it into the first block with room; a full single block becomes an htree
// (make_indexed_dir); otherwise a new block is appended (ext4_append). A
// new block grows i_size. The directory's buffer joins h.
func (fs *fsInfo) addEntry(h *handle, dir *inodeInfo, name string, ino uint32, typ vfs.FileMode) error {
	if fs.faults.AddEntryENOSPC > 0 {
		fs.faults.AddEntryENOSPC--
		fs.trace("ext4_add_entry", "%q in directory %d: ENOSPC (injected)", name, dir.ino)
		return vfs.ENOSPC
	}
	if len(name) > vfs.NAME_MAX {
		return vfs.ENAMETOOLONG
	}
	d := fs.cur.dirs[dir.ino]
	h.access(bufKey{bufDir, dir.ino})
	geo := fs.cur.geo
	usable := geo.BlockSize - geo.DirTail
	e := dirent{ino: ino, name: name, typ: typ}
	blocks := len(d.blocks)
	switch {
	case d.indexed():
		if err := d.dxAddEntry(geo, fs.cur.sb.HashSeed, e); err != nil {
			fs.dxIndexFull(dir)
			return err
		}
	case blocks == 1:
		if blk, ok := insertInBlock(d.own(0), usable, e); ok {
			d.blocks[0] = blk
			d.placed(0, name)
			return nil
		}
		d.makeIndexedDir(geo, fs.cur.sb.HashSeed, e)
	default:
		// The first block with room, as the scan from the first block
		// finds it (the room index answers in O(log n)).
		if b := d.roomIndex().first(0, recLen(len(name))); b >= 0 {
			blk, ok := insertInBlock(d.own(b), usable, e)
			if !ok {
				vfs.Bug("ext4sim: the room index offers block %d, which has no room for %q", b, name)
			}
			d.blocks[b] = blk
			d.placed(b, name)
			return nil
		}
		d.blocks = append(d.blocks, []dirent{{recLen: usable}})
		d.appended()
		blk, ok := insertInBlock(d.blocks[len(d.blocks)-1], usable, e)
		if !ok {
			vfs.Bug("ext4sim: a new directory block has no room for %q", name)
		}
		d.blocks[len(d.blocks)-1] = blk
		d.placed(len(d.blocks)-1, name)
	}
	if len(d.blocks) != blocks {
		dir.vi.Size = int64(len(d.blocks) * geo.BlockSize)
		fs.markInodeDirty(h, dir)
	}
	return nil
}

// dxIndexFull logs what ext4_dx_add_entry warns when the index of dir is
// full at the last level it may have (the lines are Linux 6.18's).
func (fs *fsInfo) dxIndexFull(dir *inodeInfo) {
	fs.warning("ext4_dx_add_entry", 2638, "Directory (ino: %d) index full, reach max htree level :%d", dir.ino, dxMaxLevels)
	fs.warning("ext4_dx_add_entry", 2642, "Large directory feature is not enabled on this filesystem")
}

// packBlock lays entries out in a fresh block, the last spanning the rest.
func packBlock(es []dirent, usable int) []dirent {
	if len(es) == 0 {
		return []dirent{{recLen: usable}}
	}
	out := make([]dirent, len(es))
	off := 0
	for i, e := range es {
		e.recLen = recLen(len(e.name))
		out[i] = e
		off += e.recLen
	}
	out[len(out)-1].recLen += usable - off
	return out
}

// deleteEntry models fs/ext4/namei.c:ext4_delete_entry with
// ext4_generic_delete_entry: the record's space goes to the record before
// it, or it becomes unused when it is first in its block. Nothing else
// changes: an htree's leaves never merge and its index never shrinks.
func (fs *fsInfo) deleteEntry(h *handle, dir *inodeInfo, name string) error {
	d := fs.cur.dirs[dir.ino]
	if b, _ := d.find(name); b < 0 {
		return vfs.ENOENT
	}
	h.access(bufKey{bufDir, dir.ino})
	d.remove(name)
	return nil
}

// remove takes name's record out of its block (ext4_generic_delete_entry;
// an htree's index is left as it is); it reports whether name was there.
func (d *diskDir) remove(name string) bool {
	b, i := d.find(name)
	if b < 0 {
		return false
	}
	blk := d.own(b)
	if i > 0 {
		blk[i-1].recLen += blk[i].recLen
		d.blocks[b] = append(blk[:i], blk[i+1:]...)
	} else {
		blk[0] = dirent{recLen: blk[0].recLen}
	}
	d.removed(b, name)
	return true
}

// setEntry models fs/ext4/namei.c:ext4_setent: an existing entry now names
// ino (rename over a target).
func (fs *fsInfo) setEntry(h *handle, dir *inodeInfo, name string, ino uint32, typ vfs.FileMode) {
	d := fs.cur.dirs[dir.ino]
	b, i := d.find(name)
	if b < 0 {
		vfs.Bug("ext4sim: setent of missing %q in directory %d", name, dir.ino)
	}
	h.access(bufKey{bufDir, dir.ino})
	blk := d.own(b)
	blk[i].ino, blk[i].typ = ino, typ
}

// setDotDot rewrites a directory's ".." (ext4_rename_dir_finish).
func (fs *fsInfo) setDotDot(h *handle, dir *inodeInfo, parent uint32) {
	d := fs.cur.dirs[dir.ino]
	h.access(bufKey{bufDir, dir.ino})
	d.own(0)[1].ino = parent
}
