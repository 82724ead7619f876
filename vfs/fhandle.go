package vfs

import (
	"encoding/binary"
	"slices"
)

// File handles: name_to_handle_at(2) and open_by_handle_at(2) (models
// fs/fhandle.c), with the export operations they rest on (models
// fs/exportfs/expfs.c and include/linux/exportfs.h).
//
// A handle names a file by what its filesystem needs to find the inode
// again without a path: tmpfs its inode number and i_generation, ext4 the
// same in 32 bits, btrfs the inode's objectid, its subvolume's root id and
// its generation. Decoding looks the inode up (in memory only, for tmpfs;
// from the inode table or tree, for ext4 and btrfs) and refuses it with
// ESTALE when it is gone or its generation differs: the number was freed
// and perhaps reused. The dentry the handle opens is the one Linux picks:
// the inode's newest alias (an open-but-unlinked file's unhashed dentry,
// the last-made name of a hard-linked file); an inode no dentry names gets
// an anonymous, disconnected one (its path reads "/") unless it is a
// directory, which is reconnected to the tree through its parents.
//
// Measured on Linux 6.18 (tmpfs, ext4 and btrfs with mkfs defaults):
//
//	fs      handle_type                      handle_bytes  words
//	tmpfs   FILEID_INO32_GEN (1)             12            gen, ino low, ino high
//	ext4    FILEID_INO32_GEN (1)             8             ino, gen
//	btrfs   FILEID_BTRFS_WITHOUT_PARENT 0x4d 20            objectid (2), root id (2), gen
//	proc    EOPNOTSUPP; with AT_HANDLE_FID FILEID_INO64_GEN (0x81), 12
//
// A handle taken before a file's last name went opens it as long as it is
// open somewhere; after the last close it is ESTALE. After umount and mount
// of the same device a named file's handle opens it again (disconnected);
// a new tmpfs knows nothing (ESTALE). ext4 skips the generation check when
// the handle's generation is 0 (ext4_nfs_get_inode), btrfs never does.

// FileHandle is struct file_handle: handle_type and the f_handle bytes
// (handle_bytes is their length).
type FileHandle struct {
	Type  int32
	Bytes []byte
}

// File handle constants (include/linux/exportfs.h, include/uapi/linux/fcntl.h).
const (
	// MAX_HANDLE_SZ bounds handle_bytes.
	MAX_HANDLE_SZ = 128

	// Handle types (enum fid_type).
	FILEID_ROOT                   = 0
	FILEID_INO32_GEN              = 1
	FILEID_INO32_GEN_PARENT       = 2
	FILEID_BTRFS_WITHOUT_PARENT   = 0x4d
	FILEID_BTRFS_WITH_PARENT      = 0x4e
	FILEID_BTRFS_WITH_PARENT_ROOT = 0x4f
	FILEID_INO64_GEN              = 0x81
	FILEID_INVALID                = 0xff

	// The user flags name_to_handle_at adds to the type.
	FILEID_IS_CONNECTABLE = 0x10000
	FILEID_IS_DIR         = 0x20000

	// name_to_handle_at's own flags. AT_HANDLE_FID shares AT_REMOVEDIR's
	// value, which means nothing to this call.
	AT_HANDLE_FID           = 0x200
	AT_HANDLE_MNT_ID_UNIQUE = 0x001
	AT_HANDLE_CONNECTABLE   = 0x002
)

const (
	fileidUserFlagsMask  = 0xffff0000
	fileidValidUserFlags = FILEID_IS_CONNECTABLE | FILEID_IS_DIR
	maxHandleWords       = MAX_HANDLE_SZ / 4
	reconnectDepthLimit  = PATH_MAX / 2
	nameToHandleFlags    = AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID | AT_HANDLE_MNT_ID_UNIQUE | AT_HANDLE_CONNECTABLE
)

const (
	exportFHConnectable exportFlags = 1 << iota // EXPORT_FH_CONNECTABLE
	exportFHFID                                 // EXPORT_FH_FID
	exportFHDirOnly                             // EXPORT_FH_DIR_ONLY
)

// exportFlags are the EXPORT_FH_* flags of exportfs_encode_fh and
// exportfs_decode_fh_raw.
type exportFlags uint

// Exporter is the optional super operations table struct export_operations
// (sb->s_export_op): a filesystem with it can be named by file handles.
// Without it name_to_handle_at(2) answers EOPNOTSUPP (unless AT_HANDLE_FID
// asks for a handle that is never decoded) and open_by_handle_at(2) ESTALE.
// Handles are arrays of 32-bit words (struct fid's raw), which the system
// calls show as little-endian bytes.
type Exporter interface {
	// EncodeFH models ->encode_fh: the handle of inode i in at most maxLen
	// words, with its type. parent is nil, or, for a connectable handle,
	// the directory the name used is in. When maxLen is too small it
	// returns FILEID_INVALID and the number of words needed (need), and
	// no words.
	EncodeFH(i *Inode, maxLen int, parent *Inode) (fid []uint32, typ int32, need int)

	// FHToDentry models ->fh_to_dentry: the dentry of the inode fid names
	// (a referenced alias: ObtainAlias, FindAlias), or an error, which the
	// VFS reports as ESTALE: the inode is gone, its generation differs, or
	// fid is not one of this filesystem's handles.
	FHToDentry(sb *Superblock, fid []uint32, typ int32) (*Dentry, error)

	// GetParent models ->get_parent: the directory holding directory dir
	// (its ".." entry), referenced. The VFS uses it to reconnect a
	// directory it found by handle to the tree.
	//
	// Errors: ESTALE, or the error of reading the parent.
	GetParent(dir *Inode) (*Inode, error)
}

// ParentDecoder is the optional export operation fh_to_parent: the
// directory a connectable handle (AT_HANDLE_CONNECTABLE) recorded. A
// filesystem without it cannot give connectable handles (EOPNOTSUPP).
type ParentDecoder interface {
	// FHToParent returns a referenced dentry of the directory, or an
	// error (ESTALE to the caller).
	FHToParent(sb *Superblock, fid []uint32, typ int32) (*Dentry, error)
}

// NameGetter is the optional export operation get_name: the name of child
// in directory dir. Without it the VFS reads dir for an entry with child's
// inode number (exportfs_get_name), which fails for names whose d_ino is
// not the inode's own (btrfs's subvolume entries).
type NameGetter interface {
	GetName(dir, child *Inode) (string, error)
}

// hasFileHandles reports whether name_to_handle_at and open_by_handle_at
// exist (2.6.39+).
func (e Era) hasFileHandles() bool { return e == Upstream }

// Bytes returns the words of a handle as f_handle's bytes.
func fidBytes(fid []uint32) []byte {
	b := make([]byte, 4*len(fid))
	for i, w := range fid {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return b
}

// fidWords returns the whole words of f_handle (handle_bytes >> 2 of them,
// as do_handle_to_path counts).
func fidWords(b []byte) []uint32 {
	fid := make([]uint32, len(b)/4)
	for i := range fid {
		fid[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return fid
}

// addAlias puts d on i's alias list (the hlist_add_head of d_instantiate
// and its kin), newest last, and sets d's type from i (d_flags_for_inode).
// Every dentry that gets an inode gets it here.
func (i *Inode) addAlias(d *Dentry) {
	d.lookupDir = canLookup(i)
	_, d.revalidates = i.Ops.(Revalidater)
	if i.aliases == nil {
		i.aliases = i.aliasBuf[:0]
	}
	i.aliases = append(i.aliases, d)
}

// removeAlias takes d off i's alias list.
func (i *Inode) removeAlias(d *Dentry) {
	d.lookupDir, d.revalidates = false, false
	for n, a := range i.aliases {
		if a == d {
			i.aliases = slices.Delete(i.aliases, n, n+1)
			return
		}
	}
	Bug("inode %d of %s: dentry %s is not an alias", i.Ino, i.Sb.describe(), d.describe())
}

// Aliases returns the dentries naming i (i_dentry), newest first: the
// order Linux's alias lookups (d_find_any_alias) see them in.
func (i *Inode) Aliases() []*Dentry {
	out := make([]*Dentry, 0, len(i.aliases))
	for n := len(i.aliases) - 1; n >= 0; n-- {
		out = append(out, i.aliases[n])
	}
	return out
}

// FindAnyAlias models fs/dcache.c:d_find_any_alias: the newest dentry
// naming i, hashed or not, referenced; nil when there is none.
func FindAnyAlias(i *Inode) *Dentry {
	if n := len(i.aliases); n > 0 {
		return Dget(i.aliases[n-1])
	}
	return nil
}

// FindAlias models fs/dcache.c:d_find_alias: for a directory its alias
// (FindAnyAlias), for another file the newest hashed dentry naming it;
// referenced, or nil.
func FindAlias(i *Inode) *Dentry {
	if i.Mode.IsDir() {
		return FindAnyAlias(i)
	}
	for n := len(i.aliases) - 1; n >= 0; n-- {
		if d := i.aliases[n]; d.hashed {
			return Dget(d)
		}
	}
	return nil
}

// ObtainAlias models fs/dcache.c:d_obtain_alias, the end of a filesystem's
// fh_to_dentry: it takes over the caller's reference on i and returns a
// referenced dentry for it — its newest alias, or, when nothing names it,
// a new anonymous root marked disconnected (d_alloc_anon), whose path
// reads "/". A nil inode is ESTALE.
//
// Divergence: Linux keeps a disconnected dentry cached on the superblock's
// s_roots until memory pressure or unmount; the simulator frees it with its
// last reference (unobservable: the next decode makes an identical one).
func ObtainAlias(i *Inode) (*Dentry, error) {
	if i == nil {
		return nil, ESTALE
	}
	if d := FindAnyAlias(i); d != nil {
		Iput(i)
		return d, nil
	}
	d := &Dentry{name: "/", inode: i, sb: i.Sb, disconnected: true}
	d.parent = d
	d.refs = 1
	i.Sb.k.register(d, &d.kobj)
	i.addAlias(d)
	return d, nil
}

// connectedAlias returns a referenced alias of i that is part of the tree
// (not disconnected), or nil.
func connectedAlias(i *Inode) *Dentry {
	for n := len(i.aliases) - 1; n >= 0; n-- {
		if d := i.aliases[n]; !d.disconnected {
			return Dget(d)
		}
	}
	return nil
}

// canEncodeFH models include/linux/exportfs.h:exportfs_can_encode_fh.
func canEncodeFH(sb *Superblock, flags exportFlags) bool {
	exp, ok := sb.Ops.(Exporter)
	if flags&exportFHFID != 0 {
		return true // exportfs_can_encode_fid: the default encoding serves
	}
	if !ok {
		return false
	}
	if flags&exportFHConnectable != 0 {
		if _, ok := exp.(ParentDecoder); !ok {
			return false
		}
	}
	return true
}

// encodeInodeFH models fs/exportfs/expfs.c:exportfs_encode_inode_fh: the
// filesystem's encode_fh, or for a FID request on a filesystem without
// export operations the default FILEID_INO64_GEN (exportfs_encode_ino64_fid).
func encodeInodeFH(i *Inode, maxLen int, parent *Inode, flags exportFlags) (fid []uint32, typ int32, need int, err error) {
	if !canEncodeFH(i.Sb, flags) {
		return nil, 0, 0, EOPNOTSUPP
	}
	exp, ok := i.Sb.Ops.(Exporter)
	if !ok {
		if maxLen < 3 {
			return nil, FILEID_INVALID, 3, nil
		}
		return []uint32{uint32(i.Ino), uint32(i.Ino >> 32), i.Generation}, FILEID_INO64_GEN, 3, nil
	}
	fid, typ, need = exp.EncodeFH(i, maxLen, parent)
	if typ != FILEID_INVALID {
		need = len(fid)
	}
	if typ > 0 && uint32(typ)&fileidUserFlagsMask != 0 {
		return nil, 0, 0, EINVAL // the filesystem used a bit reserved for user flags
	}
	return fid, typ, need, nil
}

// exportfsEncodeFH models fs/exportfs/expfs.c:exportfs_encode_fh: a
// connectable handle of a non-directory records the directory its dentry
// is in (dget_parent).
func exportfsEncodeFH(d *Dentry, maxLen int, flags exportFlags) (fid []uint32, typ int32, need int, err error) {
	var parent *Inode
	if flags&exportFHConnectable != 0 && !d.inode.Mode.IsDir() {
		p := Dget(d.parent)
		defer Dput(p)
		parent = p.inode
	}
	return encodeInodeFH(d.inode, maxLen, parent, flags)
}

// EncodeFH models fs/exportfs/expfs.c:exportfs_encode_fh for a kernel-side
// caller (the checkpoint code): the handle of p's file, as
// name_to_handle_at(2) would give it for that path. It works in every era
// (nfsd encoded handles long before the system calls existed).
//
// Errors (wrapped in a *PathError naming the dentry):
//   - EOPNOTSUPP: the filesystem has no export operations (proc).
func EncodeFH(p Path) (FileHandle, error) {
	if p.Dentry == nil || p.Dentry.inode == nil {
		return FileHandle{}, pathErr("exportfs_encode_fh", "", ENOENT)
	}
	fid, typ, _, err := exportfsEncodeFH(p.Dentry, maxHandleWords, 0)
	if err == nil && typ == FILEID_INVALID {
		err = EOVERFLOW // no filesystem's handle exceeds MAX_HANDLE_SZ
	}
	if err != nil {
		return FileHandle{}, pathErr("exportfs_encode_fh", p.Dentry.fsPath(), err)
	}
	return FileHandle{Type: typ, Bytes: fidBytes(fid)}, nil
}

// NameToHandleAt models name_to_handle_at(2) with a handle buffer of
// MAX_HANDLE_SZ bytes (fs/fhandle.c:sys_name_to_handle_at and
// do_sys_name_to_handle): the handle of the file path names and the id of
// the mount it was found on. AT_SYMLINK_FOLLOW follows a final symlink
// (/proc/self/fd/N among them: the way to the handle of an open file,
// unlinked or not); AT_EMPTY_PATH with an empty path names dirfd's file.
// AT_HANDLE_FID asks for a handle that will not be decoded, which a
// filesystem without export operations gives too; AT_HANDLE_CONNECTABLE
// for one that records the file's directory; AT_HANDLE_MNT_ID_UNIQUE for
// the mount's unique id (the simulator's mount ids are never reused, so it
// is the same id).
//
// Errors:
//   - ENOSYS: before 2.6.39.
//   - EINVAL: unknown flags; AT_HANDLE_CONNECTABLE with AT_HANDLE_FID or
//     AT_EMPTY_PATH.
//   - ENOENT, ENOTDIR, EACCES, ELOOP, ENAMETOOLONG, EBADF: the lookup.
//   - EOPNOTSUPP: the filesystem cannot encode handles (proc), or no
//     connectable ones (tmpfs).
//   - EINVAL: a connectable handle of a disconnected dentry.
func (t *Task) NameToHandleAt(dirfd int, path string, flags int) (FileHandle, int, error) {
	t.enter()
	h, _, mnt, err := t.doNameToHandle(dirfd, path, MAX_HANDLE_SZ, flags)
	return h, mnt, pathErr("name_to_handle_at", path, err)
}

// NameToHandleAtSize is name_to_handle_at(2) with handle_bytes set to
// size, as a caller sizes struct file_handle. handleBytes is what the
// kernel writes back into handle_bytes: the handle's length, or on
// EOVERFLOW the length needed (the type then reads FILEID_INVALID and the
// mount id is still given).
//
// Errors: those of NameToHandleAt, and
//   - EINVAL: size is above MAX_HANDLE_SZ.
//   - EOVERFLOW: the handle does not fit in size bytes.
func (t *Task) NameToHandleAtSize(dirfd int, path string, size uint32, flags int) (h FileHandle, handleBytes uint32, mntID int, err error) {
	t.enter()
	h, handleBytes, mntID, err = t.doNameToHandle(dirfd, path, size, flags)
	return h, handleBytes, mntID, pathErr("name_to_handle_at", path, err)
}

func (t *Task) doNameToHandle(dirfd int, path string, size uint32, flags int) (FileHandle, uint32, int, error) {
	if !t.k.opts.Era.hasFileHandles() {
		return FileHandle{}, 0, -1, ENOSYS
	}
	if flags&^nameToHandleFlags != 0 {
		return FileHandle{}, 0, -1, EINVAL
	}
	var ef exportFlags
	switch {
	case flags&AT_HANDLE_CONNECTABLE != 0 && flags&(AT_HANDLE_FID|AT_EMPTY_PATH) != 0:
		return FileHandle{}, 0, -1, EINVAL
	case flags&AT_HANDLE_FID != 0:
		ef |= exportFHFID
	case flags&AT_HANDLE_CONNECTABLE != 0:
		ef |= exportFHConnectable
	}
	var lf lookupFlags
	if flags&AT_SYMLINK_FOLLOW != 0 {
		lf |= lookupFollow
	}
	if flags&AT_EMPTY_PATH != 0 {
		lf |= lookupEmpty
	}
	p, err := t.lookupPath(dirfd, path, lf)
	if err != nil {
		return FileHandle{}, 0, -1, err
	}
	defer PathPut(p)
	return doSysNameToHandle(p, size, ef)
}

// doSysNameToHandle models fs/fhandle.c:do_sys_name_to_handle.
func doSysNameToHandle(p Path, size uint32, ef exportFlags) (FileHandle, uint32, int, error) {
	d := p.Dentry
	if !canEncodeFH(d.sb, ef) {
		return FileHandle{}, 0, -1, EOPNOTSUPP
	}
	if ef&exportFHConnectable != 0 && d.disconnected {
		d.sb.k.Printk("WARNING: do_sys_name_to_handle: connectable handle of a disconnected dentry")
		return FileHandle{}, 0, -1, EINVAL
	}
	if size > MAX_HANDLE_SZ {
		return FileHandle{}, 0, -1, EINVAL
	}
	mntID := p.Mnt.id
	fid, typ, need, err := exportfsEncodeFH(d, int(size>>2), ef)
	if err != nil {
		return FileHandle{}, 0, mntID, err
	}
	if typ == FILEID_INVALID || uint32(need)*4 > size {
		return FileHandle{Type: FILEID_INVALID}, uint32(need) * 4, mntID, EOVERFLOW
	}
	if ef&exportFHConnectable != 0 {
		typ |= FILEID_IS_CONNECTABLE
		if d.inode.Mode.IsDir() {
			typ |= FILEID_IS_DIR
		}
	}
	h := FileHandle{Type: typ, Bytes: fidBytes(fid)}
	return h, uint32(len(h.Bytes)), mntID, nil
}

// handleCtx is struct handle_to_path_ctx: the mount (and dentry) the
// handle is decoded against and how strictly.
type handleCtx struct {
	root         Path
	checkSubtree bool // HANDLE_CHECK_SUBTREE
	fhFlags      exportFlags
}

// acceptable models fs/fhandle.c:vfs_dentry_acceptable for a caller with
// CAP_DAC_READ_SEARCH in the initial user namespace: every dentry is
// acceptable unless the handle is connectable, in which case the dentry
// must be connected to the directory the handle is decoded against.
func (c *handleCtx) acceptable(d *Dentry) bool {
	if !c.checkSubtree || c.root.Dentry == nil {
		return true
	}
	for d != c.root.Dentry && !d.IsRoot() {
		d = d.parent
	}
	return d == c.root.Dentry
}

// checkUserHandle models handle_to_path's checks of the handle itself.
func checkUserHandle(h FileHandle) error {
	if len(h.Bytes) > MAX_HANDLE_SZ || len(h.Bytes) == 0 {
		return EINVAL
	}
	if h.Type < 0 || uint32(h.Type)&fileidUserFlagsMask&^fileidValidUserFlags != 0 {
		return EINVAL
	}
	return nil
}

// DecodeFH models fs/exportfs/expfs.c:exportfs_decode_fh for a kernel-side
// caller (the checkpoint code): the file handle h names on mnt's
// filesystem, as a Path on mnt that the caller owns (PathPut). The handle
// is taken as name_to_handle_at(2) gave it: a connectable one must lead to
// a dentry under mnt's root. No permission is checked. It runs on behalf
// of Kernel.Current(): reconnecting a directory looks its parents up, with
// the locks a path walk takes.
//
// Errors (wrapped in a *PathError):
//   - EINVAL: h is empty, longer than MAX_HANDLE_SZ, or has unknown flags.
//   - ESTALE: the inode is gone (freed, or on another filesystem), its
//     generation differs, the filesystem cannot decode handles, or a
//     connectable handle's file is not under mnt's root.
func DecodeFH(mnt *Mount, h FileHandle) (Path, error) {
	if err := checkUserHandle(h); err != nil {
		return Path{}, pathErr("exportfs_decode_fh", "", err)
	}
	ctx := &handleCtx{root: Path{Mnt: mnt, Dentry: mnt.root}}
	p, err := ctx.handleToPath(h)
	return p, pathErr("exportfs_decode_fh", "", err)
}

// handleToPath models the end of fs/fhandle.c:handle_to_path and
// do_handle_to_path: the handle's flags are applied, and every decoding
// error but ENOMEM becomes ESTALE. The result holds references on the
// context's mount and the dentry.
func (c *handleCtx) handleToPath(h FileHandle) (Path, error) {
	typ := h.Type
	if typ&FILEID_IS_CONNECTABLE != 0 {
		c.fhFlags |= exportFHConnectable
		c.checkSubtree = true
	}
	if typ&FILEID_IS_DIR != 0 {
		c.fhFlags |= exportFHDirOnly
	}
	typ = int32(uint32(typ) &^ fileidUserFlagsMask)
	d, err := c.decode(fidWords(h.Bytes), typ)
	if err != nil {
		if c.root.Mnt.sb.k.Tracing() {
			c.root.Mnt.sb.k.Tracef("fs/fhandle.c:do_handle_to_path", "type %#x: %v: ESTALE", h.Type, err)
		}
		return Path{}, ESTALE
	}
	return Path{Mnt: Mntget(c.root.Mnt), Dentry: d}, nil
}

// decode models fs/exportfs/expfs.c:exportfs_decode_fh_raw.
func (c *handleCtx) decode(fid []uint32, typ int32) (*Dentry, error) {
	sb := c.root.Mnt.sb
	k := sb.k
	exp, ok := sb.Ops.(Exporter)
	if !ok {
		return nil, ESTALE
	}
	result, err := exp.FHToDentry(sb, fid, typ)
	if err != nil {
		return nil, err
	}
	if result == nil {
		return nil, ESTALE
	}
	if c.fhFlags&exportFHDirOnly != 0 && !result.inode.Mode.IsDir() {
		Dput(result)
		return nil, ENOTDIR
	}
	if result.inode.Mode.IsDir() {
		if result.disconnected {
			d, err := k.reconnectDir(sb, exp, result.inode, 0)
			Dput(result)
			if err != nil {
				return nil, err
			}
			result = d
		}
		if !c.acceptable(result) {
			Dput(result)
			return nil, EACCES
		}
		return result, nil
	}
	if alias := c.findAcceptableAlias(result); alias != nil {
		return alias, nil
	}
	// Not acceptable as found: reconnect through the directory a
	// connectable handle recorded.
	pd, ok := exp.(ParentDecoder)
	if !ok {
		Dput(result)
		return nil, ESTALE
	}
	target, err := pd.FHToParent(sb, fid, typ)
	if err != nil || target == nil {
		Dput(result)
		return nil, ESTALE
	}
	if !target.inode.Mode.IsDir() {
		Dput(target)
		Dput(result)
		return nil, EACCES
	}
	if target.disconnected {
		d, err := k.reconnectDir(sb, exp, target.inode, 0)
		Dput(target)
		if err != nil {
			Dput(result)
			return nil, err
		}
		target = d
	}
	name, err := k.getName(exp, target, result.inode)
	if err != nil {
		Dput(target)
		Dput(result)
		return nil, err
	}
	nresult, err := k.lookupCached(target, name)
	Dput(target)
	if err == nil && nresult.inode != result.inode {
		Dput(nresult)
		err = ESTALE
	}
	Dput(result)
	if err != nil {
		return nil, err
	}
	if alias := c.findAcceptableAlias(nresult); alias != nil {
		return alias, nil
	}
	Dput(nresult)
	return nil, EACCES
}

// findAcceptableAlias models fs/exportfs/expfs.c:find_acceptable_alias: the
// dentry itself if acceptable, else the first acceptable alias of its inode
// (newest first), whose reference replaces the one on result; nil when none
// is acceptable, and the caller keeps its reference on result.
func (c *handleCtx) findAcceptableAlias(result *Dentry) *Dentry {
	if c.acceptable(result) {
		return result
	}
	for _, d := range result.inode.Aliases() {
		if d != result && c.acceptable(d) {
			Dget(d)
			Dput(result)
			return d
		}
	}
	return nil
}

// reconnectDir models fs/exportfs/expfs.c:reconnect_path for directory
// inode i, found by handle with no dentry in the tree: its parents are
// looked up with the filesystem's get_parent up to one that is connected,
// and each is then looked up by name (get_name) from the one above, so
// that the directory's dentry is the one a path walk would give. It
// returns that dentry, referenced.
//
// Errors: ESTALE when a parent or name is gone; those of the lookups.
func (k *Kernel) reconnectDir(sb *Superblock, exp Exporter, i *Inode, depth int) (*Dentry, error) {
	if d := connectedAlias(i); d != nil {
		return d, nil
	}
	if sb.root != nil && i == sb.root.inode {
		return Dget(sb.root), nil
	}
	if depth > reconnectDepthLimit {
		return nil, ESTALE
	}
	parent, err := exp.GetParent(i)
	if err != nil {
		return nil, err
	}
	defer Iput(parent)
	if parent == i {
		return nil, ESTALE
	}
	pd, err := k.reconnectDir(sb, exp, parent, depth+1)
	if err != nil {
		return nil, err
	}
	defer Dput(pd)
	name, err := k.getName(exp, pd, i)
	if err != nil {
		return nil, err
	}
	d, err := k.lookupCached(pd, name)
	if err != nil {
		return nil, err
	}
	if d.inode != i {
		Dput(d)
		return nil, ESTALE
	}
	return d, nil
}

// getName models fs/exportfs/expfs.c:exportfs_get_name: the filesystem's
// get_name, or a reading of dir for the entry whose d_ino is child's
// number.
func (k *Kernel) getName(exp Exporter, dir *Dentry, child *Inode) (string, error) {
	if ng, ok := exp.(NameGetter); ok {
		return ng.GetName(dir.inode, child)
	}
	it, ok := dir.inode.Ops.(DirIterator)
	if !ok {
		return "", ENOTDIR
	}
	name, found := "", false
	k.InodeLockShared(dir.inode, "exportfs_get_name")
	err := it.IterateDir(dir.inode, 0, func(e Dirent) bool {
		if e.Name != "." && e.Name != ".." && e.Ino == child.Ino {
			name, found = e.Name, true
			return false
		}
		return true
	})
	k.InodeUnlockShared(dir.inode, "exportfs_get_name")
	if err != nil {
		return "", err
	}
	if !found {
		return "", ENOENT
	}
	return name, nil
}

// OpenByHandleAt models open_by_handle_at(2) (fs/fhandle.c:do_handle_open
// and handle_to_path): it opens, with open(2)'s flags, the file handle h
// names on the filesystem of mountfd's mount (AT_FDCWD: the working
// directory's), and returns the new descriptor. The file's path is
// {mountfd's mount, the dentry the handle decodes to}: an open unlinked
// file's unhashed dentry (its path ends in " (deleted)"), or an anonymous
// one (path "/") for a file no dentry names.
//
// Errors, in the order Linux 6.18 finds them (measured):
//   - ENOSYS: before 2.6.39.
//   - EINVAL: handle_bytes is 0 or above MAX_HANDLE_SZ; the type is
//     negative or has user flags other than FILEID_IS_CONNECTABLE and
//     FILEID_IS_DIR.
//   - EBADF: mountfd is not open.
//   - EPERM: the caller lacks CAP_DAC_READ_SEARCH (the relaxed rule for
//     O_DIRECTORY needs CAP_DAC_READ_SEARCH in the caller's user
//     namespace too, which is the only one here).
//   - ESTALE: see DecodeFH.
//   - EMFILE: no descriptor is free.
//   - then those of opening the file: EINVAL (bad open flags), ELOOP (a
//     symlink without O_PATH), EEXIST (O_CREAT|O_EXCL), EISDIR, ENOTDIR,
//     EACCES, EROFS, ...
func (t *Task) OpenByHandleAt(mountfd int, h FileHandle, flags int) (int, error) {
	t.enter()
	fd, err := t.doHandleOpen(mountfd, h, flags)
	return fd, pathErr("open_by_handle_at", "", err)
}

func (t *Task) doHandleOpen(mountfd int, h FileHandle, flags int) (int, error) {
	if !t.k.opts.Era.hasFileHandles() {
		return -1, ENOSYS
	}
	p, err := t.handleToPath(mountfd, h, flags)
	if err != nil {
		return -1, err
	}
	defer PathPut(p)
	if !t.fdAvailable() {
		return -1, EMFILE
	}
	f, err := t.fileOpenRoot(p, flags)
	if err != nil {
		return -1, err
	}
	fd, err := t.installFD(f)
	if err != nil {
		Fput(f)
		return -1, err
	}
	return fd, nil
}

// handleToPath models fs/fhandle.c:handle_to_path.
func (t *Task) handleToPath(mountfd int, h FileHandle, oflags int) (Path, error) {
	if err := checkUserHandle(h); err != nil {
		return Path{}, err
	}
	var root Path
	if mountfd == AT_FDCWD {
		root = t.fs.pwd
	} else {
		f, err := t.fget(mountfd)
		if err != nil {
			return Path{}, err
		}
		root = f.path
	}
	root = PathGet(root)
	defer PathPut(root)
	if !t.cred.Capable(CAP_DAC_READ_SEARCH) {
		// may_decode_fh: without it even an O_DIRECTORY open as the
		// mount's CAP_SYS_ADMIN needs CAP_DAC_READ_SEARCH in the
		// caller's user namespace.
		return Path{}, EPERM
	}
	ctx := &handleCtx{root: root}
	return ctx.handleToPath(h)
}

// FileOpenRoot models fs/open.c:file_open_root with an empty name, as
// open_by_handle_at(2) opens what it decoded: root itself is opened with
// open(2)'s flags and checks (build_open_flags, do_open), and the caller
// owns the new File. O_TMPFILE makes an unnamed file in root, a directory.
//
// Errors: EINVAL (flags), ELOOP (a symlink, unless O_PATH), EEXIST
// (O_CREAT|O_EXCL), EISDIR, ENOTDIR, EACCES, EROFS, EPERM, ENXIO, as
// Openat.
func (t *Task) FileOpenRoot(root Path, flags int) (*File, error) {
	t.enter()
	f, err := t.fileOpenRoot(root, flags)
	if err != nil {
		return nil, pathErr("file_open_root", t.DPath(root), err)
	}
	return f, nil
}

func (t *Task) fileOpenRoot(root Path, flags int) (*File, error) {
	op, err := t.buildOpenFlags(flags, 0)
	if err != nil {
		return nil, err
	}
	// do_file_open_root: a symlink is not followed, and only O_PATH may
	// open it.
	if root.Dentry.inode.Mode.IsSymlink() && op.flags&O_PATH == 0 {
		return nil, ELOOP
	}
	if op.flags&o_TMPFILE_ != 0 {
		// path_openat's do_tmpfile looks the (empty) name up as a
		// directory.
		if !canLookup(root.Dentry.inode) {
			return nil, ENOTDIR
		}
		return t.vfsTmpfileAt(root, op)
	}
	nd := &nameidata{t: t, path: PathGet(root), root: t.fs.root, flags: op.lookup, lastType: lastRoot}
	defer nd.release()
	return t.doOpen(nd, op, false)
}
