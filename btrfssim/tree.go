package btrfssim

import (
	"maps"
	"reflect"
	"slices"

	"github.com/relinksim/relinksim/vfs"
)

// Object ids with a fixed meaning (include/uapi/linux/btrfs_tree.h).
const (
	fsTreeObjectid    = 5   // BTRFS_FS_TREE_OBJECTID: the top subvolume
	firstFreeObjectid = 256 // BTRFS_FIRST_FREE_OBJECTID: every tree's root directory
	emptySubvolDirIno = 2   // BTRFS_EMPTY_SUBVOL_DIR_OBJECTID: the stand-in for a nested subvolume in a snapshot
	firstIndex        = 2   // the first directory index (0 and 1 are "." and "..")
	linkMax           = 65535
	nameMax           = 255
	sectorSize        = 4096
	maxInline         = 2048 // max_inline
)

// image is what the device holds: the tree of tree roots (the root items
// of the top subvolume and of every subvolume and snapshot) and each of
// those fs trees. It is structured, not byte-addressed: items are Go
// values keyed the way btrfs keys them.
//
// The same type is the mounted filesystem's current state (its in-memory
// btree nodes, the running transaction included) and the device's
// committed state (what the last transaction commit wrote).
type image struct {
	generation uint64
	roots      map[uint64]*rootItem
}

// rootItem is a ROOT_ITEM in the tree of tree roots with its ROOT_BACKREF
// (where the subvolume is linked: parent tree, directory, index, name) and
// the fs tree it points to.
type rootItem struct {
	id       uint64
	readonly bool // BTRFS_ROOT_SUBVOL_RDONLY
	// refs is the root's reference count: 0 once the subvolume was deleted
	// (the cleaner would then drop its tree).
	refs int
	// The backref; the top subvolume has none.
	parent, dirIno, index uint64
	name                  string
	tree                  *fsTree
}

// fsTree is one fs tree: a subvolume or snapshot's inodes, directory items,
// file extents and orphan items.
type fsTree struct {
	inodes map[uint64]*inodeItem
	dirs   map[uint64]*dirItems
	// data are the file extents written back so far (EXTENT_DATA items),
	// per inode; inline holds the length of an inline extent (a file of at
	// most max_inline bytes, all in its first sector, is stored in the
	// tree itself).
	data    map[uint64]*vfs.AddressSpace
	inline  map[uint64]int64
	orphans map[uint64]bool // (ORPHAN, ORPHAN_ITEM, ino)
}

// inodeItem is an INODE_ITEM with the inode's INODE_REF/INODE_EXTREF items
// (the names pointing at it) and, for a symlink, its inline target.
type inodeItem struct {
	Mode                vfs.FileMode
	UID, GID            uint32
	Size                int64
	Nlink               uint32
	Atime, Mtime, Ctime int64
	Rdev                uint32
	Flags               vfs.InodeFlags
	Symlink             string
	// NBytes is the inode's byte count for st_blocks where it is not
	// derived from file extents: mkfs gives the top directory 16384.
	NBytes int64
	// Generation is the transaction the inode was made in (the item's
	// generation, which btrfs also uses as i_generation).
	Generation uint64
	// Refs are the inode's back references, in the order they were made.
	Refs []inodeRef
}

// inodeRef is one INODE_REF: the directory and index of a name.
type inodeRef struct {
	Dir, Index uint64
	Name       string
}

// dirItems are a directory's DIR_ITEM and DIR_INDEX items: the entries by
// index (readdir order) and the index of each name (lookup).
type dirItems struct {
	byIndex map[uint64]dirEntry
	byName  map[string]uint64
	// sorted is byIndex's keys in order, kept from the first entries call
	// after a change (nil) until the next change, so that listing a big
	// directory sorts it once rather than at every getdents call.
	sorted []uint64
}

// putIndex sets the DIR_INDEX item idx; every change of byIndex goes
// through putIndex or delIndex.
func (d *dirItems) putIndex(idx uint64, e dirEntry) {
	d.byIndex[idx] = e
	d.sorted = nil
}

// delIndex deletes the DIR_INDEX item idx.
func (d *dirItems) delIndex(idx uint64) {
	delete(d.byIndex, idx)
	d.sorted = nil
}

// dirEntry is one DIR_INDEX item. A subvolume's entry has a ROOT_ITEM
// location: Subvol is set and Target is the subvolume's root id.
type dirEntry struct {
	Name   string
	Target uint64
	Subvol bool
	Type   vfs.FileMode
}

func newFSTree() *fsTree {
	return &fsTree{
		inodes:  map[uint64]*inodeItem{},
		dirs:    map[uint64]*dirItems{},
		data:    map[uint64]*vfs.AddressSpace{},
		inline:  map[uint64]int64{},
		orphans: map[uint64]bool{},
	}
}

func newDirItems() *dirItems {
	return &dirItems{byIndex: map[uint64]dirEntry{}, byName: map[string]uint64{}}
}

// clone copies the tree, sharing nothing mutable with it.
func (t *fsTree) clone() *fsTree {
	c := &fsTree{
		inodes:  make(map[uint64]*inodeItem, len(t.inodes)),
		dirs:    make(map[uint64]*dirItems, len(t.dirs)),
		data:    make(map[uint64]*vfs.AddressSpace, len(t.data)),
		inline:  maps.Clone(t.inline),
		orphans: maps.Clone(t.orphans),
	}
	for ino, it := range t.inodes {
		cp := *it
		cp.Refs = slices.Clone(it.Refs)
		c.inodes[ino] = &cp
	}
	for ino, d := range t.dirs {
		c.dirs[ino] = &dirItems{byIndex: maps.Clone(d.byIndex), byName: maps.Clone(d.byName)}
	}
	for ino, a := range t.data {
		cp := a.Clone()
		c.data[ino] = &cp
	}
	return c
}

// highestObjectid models fs/btrfs/disk-io.c:btrfs_init_root_free_objectid's
// search: the largest inode number in the tree (orphan items, keyed by the
// negative ORPHAN_OBJECTID, do not count), at least the root directory's.
func (t *fsTree) highestObjectid() uint64 {
	hi := uint64(firstFreeObjectid)
	for ino := range t.inodes {
		hi = max(hi, ino)
	}
	return hi
}

// sortedInodes returns the inode numbers in ascending order.
func (t *fsTree) sortedInodes() []uint64 {
	return slices.Sorted(maps.Keys(t.inodes))
}

// sortedOrphans returns the orphan items' inode numbers in ascending order,
// as dump-tree prints them.
func (t *fsTree) sortedOrphans() []uint64 {
	return slices.Sorted(maps.Keys(t.orphans))
}

// entries returns a directory's entries in index order.
//
// The slice is kept by d: callers must not change it.
func (d *dirItems) entries() []uint64 {
	if d.sorted == nil {
		d.sorted = slices.Sorted(maps.Keys(d.byIndex))
	}
	return d.sorted
}

// nameBytes is the sum of the entries' name lengths: a directory's i_size
// is twice that (one DIR_ITEM and one DIR_INDEX per name).
func (d *dirItems) nameBytes() int64 {
	var n int64
	for _, e := range d.byIndex {
		n += int64(len(e.Name))
	}
	return n
}

// clone copies the image.
func (im *image) clone() *image {
	c := &image{generation: im.generation, roots: make(map[uint64]*rootItem, len(im.roots))}
	for id, r := range im.roots {
		cp := *r
		cp.tree = r.tree.clone()
		c.roots[id] = &cp
	}
	return c
}

// highestRootID is the largest subvolume id in use or deleted but still
// recorded (btrfs_init_root_free_objectid on the tree of tree roots).
func (im *image) highestRootID() uint64 {
	hi := uint64(firstFreeObjectid - 1)
	for id := range im.roots {
		if id != fsTreeObjectid {
			hi = max(hi, id)
		}
	}
	return hi
}

// sortedRoots returns the root ids in ascending order.
func (im *image) sortedRoots() []uint64 {
	return slices.Sorted(maps.Keys(im.roots))
}

// treesEqual reports whether two trees hold the same items.
func treesEqual(a, b *fsTree) bool {
	// The directories by their items, not their kept listing order.
	if len(a.dirs) != len(b.dirs) {
		return false
	}
	for ino, da := range a.dirs {
		db, ok := b.dirs[ino]
		if !ok || !maps.Equal(da.byIndex, db.byIndex) || !maps.Equal(da.byName, db.byName) {
			return false
		}
	}
	ac, bc := *a, *b
	ac.dirs, bc.dirs = nil, nil
	return reflect.DeepEqual(&ac, &bc)
}
