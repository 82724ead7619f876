package btrfssim

import "github.com/relinksim/relinksim/vfs"

// btrfs's export operations (models fs/btrfs/export.c:btrfs_export_ops).
// A handle is struct btrfs_fid: the inode's objectid, the id of the
// subvolume (tree) it is in and its generation, FILEID_BTRFS_WITHOUT_PARENT
// in five words; a connectable one adds the directory's objectid and
// generation (FILEID_BTRFS_WITH_PARENT, eight words: the packed struct
// leaves none between gen and parent_objectid), and its tree when that
// differs (FILEID_BTRFS_WITH_PARENT_ROOT, ten). Decoding
// (btrfs_get_dentry) reads the tree the handle names, whatever mount it is
// decoded against: a subvolume's handle opens the subvolume's file even
// through a mount of one of its snapshots, and a snapshot's file has its
// own handle (the same objectid and generation, another tree). A deleted
// subvolume, a missing item and a generation that differs are ESTALE.
//
// i_generation is the transaction the inode was made in, as on Linux
// (btrfs_new_inode: the transaction's transid); the top directory mkfs makes
// has mkfsRootGeneration.

// Sizes of struct btrfs_fid, in words (fs/btrfs/export.h).
const (
	fidSizeNonConnectable  = 5  // up to gen (offsetof parent_objectid)
	fidSizeConnectable     = 8  // up to parent_gen (offsetof parent_root_objectid)
	fidSizeConnectableRoot = 10 // sizeof(struct btrfs_fid)
	// mkfsRootGeneration is the generation of the top directory as
	// mkfs.btrfs (btrfs-progs 6.x) leaves it; measured on Linux 6.18.
	mkfsRootGeneration = 3
)

var (
	_ vfs.Exporter      = (*fsInfo)(nil)
	_ vfs.ParentDecoder = (*fsInfo)(nil)
	_ vfs.NameGetter    = (*fsInfo)(nil)
)

// transid is the running transaction's id: one past the last commit's
// generation.
func (fs *fsInfo) transid() uint64 { return fs.cur.generation + 1 }

// EncodeFH implements vfs.Exporter (models fs/btrfs/export.c:btrfs_encode_fh).
func (fs *fsInfo) EncodeFH(vi *vfs.Inode, maxLen int, parent *vfs.Inode) ([]uint32, int32, int) {
	switch {
	case parent != nil && maxLen < fidSizeConnectable:
		return nil, vfs.FILEID_INVALID, fidSizeConnectable
	case maxLen < fidSizeNonConnectable:
		return nil, vfs.FILEID_INVALID, fidSizeNonConnectable
	}
	ei := info(vi)
	fid := append(words64(ei.ino), words64(ei.root.id)...)
	fid = append(fid, vi.Generation)
	if parent == nil {
		return fid, vfs.FILEID_BTRFS_WITHOUT_PARENT, fidSizeNonConnectable
	}
	pi := info(parent)
	fid = append(fid, words64(pi.ino)...)
	fid = append(fid, parent.Generation)
	if pi.root.id == ei.root.id {
		return fid, vfs.FILEID_BTRFS_WITH_PARENT, fidSizeConnectable
	}
	if maxLen < fidSizeConnectableRoot {
		return nil, vfs.FILEID_INVALID, fidSizeConnectableRoot
	}
	return append(fid, words64(pi.root.id)...), vfs.FILEID_BTRFS_WITH_PARENT_ROOT, fidSizeConnectableRoot
}

func words64(v uint64) []uint32 { return []uint32{uint32(v), uint32(v >> 32)} }

func word64(fid []uint32, i int) uint64 { return uint64(fid[i+1])<<32 | uint64(fid[i]) }

// FHToDentry implements vfs.Exporter (models fs/btrfs/export.c:
// btrfs_fh_to_dentry): each type needs its full size.
func (fs *fsInfo) FHToDentry(sb *vfs.Superblock, fid []uint32, typ int32) (*vfs.Dentry, error) {
	switch {
	case typ == vfs.FILEID_BTRFS_WITH_PARENT && len(fid) >= fidSizeConnectable,
		typ == vfs.FILEID_BTRFS_WITH_PARENT_ROOT && len(fid) >= fidSizeConnectableRoot,
		typ == vfs.FILEID_BTRFS_WITHOUT_PARENT && len(fid) >= fidSizeNonConnectable:
	default:
		return nil, vfs.ESTALE
	}
	return fs.getDentry(word64(fid, 0), word64(fid, 2), fid[4])
}

// FHToParent implements vfs.ParentDecoder (models fs/btrfs/export.c:
// btrfs_fh_to_parent).
func (fs *fsInfo) FHToParent(sb *vfs.Superblock, fid []uint32, typ int32) (*vfs.Dentry, error) {
	var root uint64
	switch {
	case typ == vfs.FILEID_BTRFS_WITH_PARENT && len(fid) >= fidSizeConnectable:
		root = word64(fid, 2)
	case typ == vfs.FILEID_BTRFS_WITH_PARENT_ROOT && len(fid) >= fidSizeConnectableRoot:
		root = word64(fid, 8)
	default:
		return nil, vfs.ESTALE
	}
	return fs.getDentry(word64(fid, 5), root, fid[7])
}

// getDentry models fs/btrfs/export.c:btrfs_get_dentry: objectids below
// BTRFS_FIRST_FREE_OBJECTID are ESTALE (the stand-in directories of nested
// subvolumes among them); the tree is read with its reference checked
// (btrfs_get_fs_root: ENOENT for a missing or deleted subvolume), the
// inode with btrfs_iget (ENOENT without an item); its generation must be
// the handle's.
func (fs *fsInfo) getDentry(objectid, rootID uint64, gen uint32) (*vfs.Dentry, error) {
	if objectid < firstFreeObjectid {
		return nil, vfs.ESTALE
	}
	item := fs.cur.roots[rootID]
	if item == nil || item.refs == 0 {
		return nil, vfs.ENOENT
	}
	vi, err := fs.iget(fs.getRoot(rootID), objectid)
	if err != nil {
		return nil, err
	}
	if vi.Generation != gen {
		vfs.Iput(vi)
		return nil, vfs.ESTALE
	}
	return vfs.ObtainAlias(vi)
}

// GetParent implements vfs.Exporter (models fs/btrfs/export.c:
// btrfs_get_parent): for a subvolume's root directory the directory its
// entry is in (the ROOT_BACKREF, in the parent tree), otherwise the
// directory of the inode's first INODE_REF.
func (fs *fsInfo) GetParent(dir *vfs.Inode) (*vfs.Inode, error) {
	ei := info(dir)
	if ei.dummy {
		return nil, vfs.ESTALE
	}
	if ei.ino == firstFreeObjectid {
		item := ei.root.item
		if item.dirIno == 0 {
			return nil, vfs.ENOENT
		}
		if p := fs.cur.roots[item.parent]; p == nil {
			return nil, vfs.ENOENT
		}
		return fs.iget(fs.getRoot(item.parent), item.dirIno)
	}
	it := ei.root.tree().inodes[ei.ino]
	if it == nil || len(it.Refs) == 0 {
		return nil, vfs.ENOENT
	}
	return fs.iget(ei.root, it.Refs[0].Dir)
}

// GetName implements vfs.NameGetter (models fs/btrfs/export.c:
// btrfs_get_name): a subvolume root's name is its ROOT_REF's, another
// inode's the INODE_REF it has in dir.
func (fs *fsInfo) GetName(dir, child *vfs.Inode) (string, error) {
	ci, di := info(child), info(dir)
	if ci.dummy {
		return "", vfs.ENOENT
	}
	if ci.ino == firstFreeObjectid {
		if ci.root.item.dirIno == 0 {
			return "", vfs.ENOENT
		}
		return ci.root.item.name, nil
	}
	it := ci.root.tree().inodes[ci.ino]
	if it == nil {
		return "", vfs.ENOENT
	}
	for _, ref := range it.Refs {
		if ref.Dir == di.ino && ci.root == di.root {
			return ref.Name, nil
		}
	}
	return "", vfs.ENOENT
}
