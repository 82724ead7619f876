package ext4sim

import "github.com/relinksim/relinksim/vfs"

// ext4's export operations (models fs/ext4/super.c:ext4_export_ops, which
// uses libfs's 32-bit handles): a handle is the inode number and its
// i_generation, FILEID_INO32_GEN in two words (a connectable one adds the
// directory's, FILEID_INO32_GEN_PARENT in four). Decoding reads the inode
// as ext4_iget(EXT4_IGET_HANDLE) does — from the cache, or from the inode
// table — so a named file's handle opens it after an unmount and mount of
// the device, while a freed inode, or one whose number was reused by a
// newer file (another generation), is ESTALE.

var (
	_ vfs.Exporter      = (*fsInfo)(nil)
	_ vfs.ParentDecoder = (*fsInfo)(nil)
)

// newGeneration gives a new inode its i_generation.
//
// Divergence: __ext4_new_inode draws i_generation at random
// (get_random_u32(); prandom_u32() from 4.19, when the per-superblock
// s_next_generation counter went, to 6.1). The simulator counts, per
// mount, from a start drawn with the kernel's GetRandomU32 (deterministic
// per kernel seed: another machine's kernel starts elsewhere, so a handle
// of one filesystem does not name a file of a fresh one, as with Linux's
// random generations), and past the largest generation in the inode
// table, so that a reused inode number never gets its old generation
// back.
func (fs *fsInfo) newGeneration() uint32 {
	g := fs.nextGen
	fs.nextGen++
	return g
}

// maxGeneration is the largest i_generation in the inode table, freed
// inodes' included.
func (im *image) maxGeneration() uint32 {
	var g uint32
	for _, di := range im.inodes {
		g = max(g, di.Generation)
	}
	return g
}

// EncodeFH implements vfs.Exporter (models
// fs/libfs.c:generic_encode_ino32_fh, ext4's default encode_fh).
func (fs *fsInfo) EncodeFH(vi *vfs.Inode, maxLen int, parent *vfs.Inode) ([]uint32, int32, int) {
	switch {
	case parent != nil && maxLen < 4:
		return nil, vfs.FILEID_INVALID, 4
	case maxLen < 2:
		return nil, vfs.FILEID_INVALID, 2
	}
	fid := []uint32{uint32(vi.Ino), vi.Generation}
	if parent == nil {
		return fid, vfs.FILEID_INO32_GEN, 2
	}
	return append(fid, uint32(parent.Ino), parent.Generation), vfs.FILEID_INO32_GEN_PARENT, 4
}

// FHToDentry implements vfs.Exporter (models fs/ext4/super.c:
// ext4_fh_to_dentry, libfs's generic_fh_to_dentry with
// ext4_nfs_get_inode): types FILEID_INO32_GEN and FILEID_INO32_GEN_PARENT
// of at least two words name the inode.
func (fs *fsInfo) FHToDentry(sb *vfs.Superblock, fid []uint32, typ int32) (*vfs.Dentry, error) {
	if len(fid) < 2 {
		return nil, vfs.ESTALE
	}
	switch typ {
	case vfs.FILEID_INO32_GEN, vfs.FILEID_INO32_GEN_PARENT:
		vi, err := fs.nfsGetInode(fid[0], fid[1])
		if err != nil {
			return nil, err
		}
		return vfs.ObtainAlias(vi)
	}
	return nil, vfs.ESTALE
}

// FHToParent implements vfs.ParentDecoder (models fs/ext4/super.c:
// ext4_fh_to_parent, libfs's generic_fh_to_parent): the directory of a
// FILEID_INO32_GEN_PARENT handle; three words give its number but no
// generation (any is taken).
func (fs *fsInfo) FHToParent(sb *vfs.Superblock, fid []uint32, typ int32) (*vfs.Dentry, error) {
	if len(fid) <= 2 || typ != vfs.FILEID_INO32_GEN_PARENT {
		return nil, vfs.ESTALE
	}
	var gen uint32
	if len(fid) > 3 {
		gen = fid[3]
	}
	vi, err := fs.nfsGetInode(fid[2], gen)
	if err != nil {
		return nil, err
	}
	return vfs.ObtainAlias(vi)
}

// nfsGetInode models fs/ext4/super.c:ext4_nfs_get_inode: a reserved
// number other than the root's, or one past the inode count, is ESTALE;
// the inode is read as ext4_iget(EXT4_IGET_HANDLE) reads it (a free or
// deleted inode is ESTALE; an open unlinked one is still in the cache); a
// generation that differs is ESTALE, unless the handle's is 0, which
// accepts any.
func (fs *fsInfo) nfsGetInode(ino, gen uint32) (*vfs.Inode, error) {
	if ino < fs.cur.geo.FirstIno && ino != rootIno || ino > fs.cur.geo.inodesCount() {
		return nil, vfs.ESTALE
	}
	vi, err := fs.iget(ino)
	if err != nil {
		return nil, err
	}
	if gen != 0 && vi.Generation != gen {
		vfs.Iput(vi)
		return nil, vfs.ESTALE
	}
	return vi, nil
}

// GetParent implements vfs.Exporter (models fs/ext4/namei.c:
// ext4_get_parent): the inode the directory's ".." entry names.
func (fs *fsInfo) GetParent(dir *vfs.Inode) (*vfs.Inode, error) {
	d := fs.cur.dirs[info(dir).ino]
	if d == nil {
		return nil, vfs.ESTALE
	}
	ino, _ := d.lookup("..")
	if ino == 0 {
		return nil, vfs.ESTALE
	}
	if ino < fs.cur.geo.FirstIno && ino != rootIno || ino > fs.cur.geo.inodesCount() {
		fs.msg("error: ext4_get_parent: bad parent inode number: %d", ino)
		return nil, vfs.EUCLEAN
	}
	return fs.iget(ino)
}
