package vfs

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// TmpfsType is the simulator's tmpfs: an in-memory filesystem that matches
// Linux's tmpfs (mm/shmem.c with fs/libfs.c's offset directories, 6.18) in
// everything a system call can observe:
//
//   - the root of a new mount is inode 1, mode 01777, nlink 2, size 40;
//     inode numbers then count 2, 3, ... per superblock and are never
//     reused (O_TMPFILE inodes and whiteouts use numbers too);
//   - a directory's size is 20 × (entries + 2) ("20 is mm/shmem.c:
//     BOGO_DIRENT_SIZE"), hard links included; its nlink is 2 plus its
//     subdirectories;
//   - there is no link limit (no EMLINK) and no orphan list: an unlinked
//     open file simply lives in memory until its last reference goes;
//   - getdents lists ".", "..", then the names in the order of the
//     parent's dentry list (6.14+ offset_readdir walks d_children), where
//     a new name and a renamed one go to the head: most recently added
//     first. Each added name also takes the directory's next offset
//     (simple_offset_add, from 3), which getdents reports as d_off; the
//     last entry's d_off is 0x7fffffff;
//   - a symlink's st_blocks is 0 below 128 bytes of target (stored inline)
//     and 8 from there on; a regular file's counts its allocated pages;
//   - nr_inodes= bounds the inodes plus extra hard links (ENOSPC), as
//     shmem_reserve_inode does.
//
// It is written against the exported VFS contract only, like any other
// filesystem (ext4sim, btrfssim), and serves as the reference for it.
//
// Mount options: nr_inodes=N (0: unlimited), mode=OCTAL, uid=N, gid=N.
// Divergence: size=
// is not modelled (EINVAL), since the simulator does not account pages
// against a limit.
type TmpfsType struct{}

// tmpfs constants.
const (
	bogoDirentSize  = 20         // mm/shmem.c:BOGO_DIRENT_SIZE
	shortSymlinkLen = 128        // mm/shmem.c:SHORT_SYMLINK_LEN
	dirOffsetMin    = 3          // fs/libfs.c:DIR_OFFSET_MIN
	dirOffsetEOD    = 0x7fffffff // fs/libfs.c:DIR_OFFSET_EOD
	tmpfsDefInodes  = 1 << 22
)

// Name implements FilesystemType.Name.
func (TmpfsType) Name() string { return "tmpfs" }

// RequiresDevice implements FilesystemType.RequiresDevice: tmpfs makes a new
// superblock for every mount.
func (TmpfsType) RequiresDevice() bool { return false }

// FillSuper implements FilesystemType.FillSuper (models
// mm/shmem.c:shmem_fill_super).
func (TmpfsType) FillSuper(sb *Superblock, data string) error {
	ts := &tmpfsSuper{maxInodes: tmpfsDefInodes, rootMode: 0o1777}
	if err := ts.parse(data); err != nil {
		return err
	}
	ts.freeInodes = ts.maxInodes
	sb.Ops = ts
	sb.Private = ts
	sb.KeepInodes = true
	root, err := ts.newInode(sb, nil, S_IFDIR|ts.rootMode, RootCred())
	if err != nil {
		return err
	}
	root.UID, root.GID = ts.uid, ts.gid
	root.Private.(*tmpfsDir).parent = root
	sb.SetRoot(MakeRoot(root))
	return nil
}

// tmpfsSuper is the per-superblock state (struct shmem_sb_info).
type tmpfsSuper struct {
	nextIno    uint64
	hashed     map[uint64]*Inode // inodes a handle was given for (the inode hash)
	nextPos    int64             // orders entries as their dentries were put at the head of d_children
	maxInodes  int64
	freeInodes int64
	rootMode   FileMode
	uid, gid   uint32
}

func (ts *tmpfsSuper) parse(data string) error {
	for _, opt := range strings.Split(data, ",") {
		if opt == "" {
			continue
		}
		key, val, _ := strings.Cut(opt, "=")
		var err error
		switch key {
		case "nr_inodes":
			ts.maxInodes, err = strconv.ParseInt(val, 10, 64)
			if err == nil && ts.maxInodes == 0 {
				ts.maxInodes = math.MaxInt64 // 0 means unlimited
			}
			if err == nil && ts.maxInodes < 0 {
				err = EINVAL
			}
		case "mode":
			var m uint64
			m, err = strconv.ParseUint(val, 8, 32)
			ts.rootMode = FileMode(m) & S_IALLUGO
		case "uid", "gid":
			var n uint64
			n, err = strconv.ParseUint(val, 10, 32)
			if key == "uid" {
				ts.uid = uint32(n)
			} else {
				ts.gid = uint32(n)
			}
		default:
			return EINVAL // "tmpfs: Unknown parameter"
		}
		if err != nil {
			return EINVAL
		}
	}
	return nil
}

// ShowOptions implements OptionShower (models mm/shmem.c:shmem_show_options):
// the options that differ from their defaults, from the current values.
func (ts *tmpfsSuper) ShowOptions(sb *Superblock) string {
	var b strings.Builder
	if ts.maxInodes != tmpfsDefInodes {
		if ts.maxInodes == math.MaxInt64 {
			b.WriteString(",nr_inodes=0")
		} else {
			fmt.Fprintf(&b, ",nr_inodes=%d", ts.maxInodes)
		}
	}
	if ts.rootMode != 0o1777 {
		fmt.Fprintf(&b, ",mode=%03o", uint32(ts.rootMode))
	}
	if ts.uid != 0 {
		fmt.Fprintf(&b, ",uid=%d", ts.uid)
	}
	if ts.gid != 0 {
		fmt.Fprintf(&b, ",gid=%d", ts.gid)
	}
	return b.String()
}

// Remount implements Remounter (models mm/shmem.c:shmem_reconfigure):
// nr_inodes changes, and cannot go below the inodes in use (EINVAL); mode,
// uid and gid are accepted and ignored, as they only apply when the
// superblock is made.
func (ts *tmpfsSuper) Remount(sb *Superblock, flags MountFlags, data string) error {
	n := &tmpfsSuper{maxInodes: ts.maxInodes, rootMode: ts.rootMode, uid: ts.uid, gid: ts.gid}
	if err := n.parse(data); err != nil {
		return err
	}
	used := ts.maxInodes - ts.freeInodes
	if n.maxInodes < used {
		return EINVAL
	}
	if n.maxInodes == math.MaxInt64 {
		ts.freeInodes = math.MaxInt64 - used
	} else {
		ts.freeInodes = n.maxInodes - used
	}
	ts.maxInodes = n.maxInodes
	return nil
}

// reserveInode models mm/shmem.c:shmem_reserve_inode: one unit per inode and
// per extra hard link.
func (ts *tmpfsSuper) reserveInode() error {
	if ts.freeInodes == 0 {
		return ENOSPC
	}
	ts.freeInodes--
	return nil
}

// freeInode models mm/shmem.c:shmem_free_inode.
func (ts *tmpfsSuper) freeInode() { ts.freeInodes++ }

// EvictInode implements InodeEvicter: a deleted inode gives its unit back.
func (ts *tmpfsSuper) EvictInode(i *Inode) {
	if i.Nlink() == 0 {
		ts.freeInode()
	}
	delete(ts.hashed, i.Ino)
}

// newInode models mm/shmem.c:shmem_get_inode: a new inode owned by cred, in
// dir.
func (ts *tmpfsSuper) newInode(sb *Superblock, dir *Inode, mode FileMode, cred *Cred) (*Inode, error) {
	if err := ts.reserveInode(); err != nil {
		return nil, err
	}
	ts.nextIno++
	i := sb.NewInode(ts.nextIno, mode)
	// shmem_get_inode: i_generation = get_random_u32().
	i.Generation = sb.Kernel().GetRandomU32()
	i.InitOwner(dir, mode, cred)
	switch {
	case mode.IsDir():
		i.SetNlink(2)
		i.Size = 2 * bogoDirentSize
		i.Ops = tmpfsDirOps{ts}
		i.Private = &tmpfsDir{entries: map[string]tmpfsDirent{}, nextOff: dirOffsetMin, parent: dir}
	default:
		i.Ops = tmpfsFileOps{}
	}
	return i, nil
}

// tmpfsDir is a directory's contents: the libfs "offset directory".
type tmpfsDir struct {
	// entries holds the names by value, so that adding one allocates
	// nothing but (now and then) the map's growth.
	entries map[string]tmpfsDirent
	nextOff int64
	parent  *Inode // for ".." in getdents
	// order is the names in d_children order (pos, descending) and byOff
	// their indexes in order of offset, kept for getdents from the first
	// call after a change (nil) until the next change: so listing a big
	// directory sorts it once, not at every call.
	order []tmpfsDirent
	byOff []int32
}

// changed drops the kept listing order; every change of entries calls it.
func (td *tmpfsDir) changed() { td.order, td.byOff = nil, nil }

// listing returns the names in d_children order, and their indexes by
// offset, sorting them when the directory changed since the last call.
func (td *tmpfsDir) listing() ([]tmpfsDirent, []int32) {
	if td.order == nil {
		td.order = make([]tmpfsDirent, 0, len(td.entries))
		for _, e := range td.entries {
			td.order = append(td.order, e)
		}
		slices.SortFunc(td.order, func(a, b tmpfsDirent) int { return cmp.Compare(b.pos, a.pos) })
		td.byOff = make([]int32, len(td.order))
		for i := range td.byOff {
			td.byOff[i] = int32(i)
		}
		slices.SortFunc(td.byOff, func(a, b int32) int { return cmp.Compare(td.order[a].off, td.order[b].off) })
	}
	return td.order, td.byOff
}

// tmpfsDirent is one name. off is its simple_offset (what d_off reports);
// pos orders the names as the parent's d_children list does, higher first.
type tmpfsDirent struct {
	name  string
	inode *Inode
	off   int64
	pos   int64
}

func dirOf(i *Inode) *tmpfsDir { return i.Private.(*tmpfsDir) }

// addEntry models fs/libfs.c:simple_offset_add plus the directory bookkeeping
// of shmem_mknod and shmem_link: the name takes the next offset (so it lists
// first), the size grows by BOGO_DIRENT_SIZE, and the times move.
func addEntry(dir *Inode, name string, inode *Inode) {
	td := dirOf(dir)
	if _, ok := td.entries[name]; ok {
		Bug("tmpfs: %q already in directory %d", name, dir.Ino)
	}
	ts := dir.Sb.Private.(*tmpfsSuper)
	ts.nextPos++
	td.entries[name] = tmpfsDirent{name: name, inode: inode, off: td.nextOff, pos: ts.nextPos}
	td.changed()
	td.nextOff++
	dir.Size += bogoDirentSize
	dir.Touch(true, true)
}

// removeEntry models fs/libfs.c:simple_offset_remove and shmem_unlink's
// bookkeeping.
func removeEntry(dir *Inode, name string) *Inode {
	td := dirOf(dir)
	e, ok := td.entries[name]
	if !ok {
		Bug("tmpfs: %q not in directory %d", name, dir.Ino)
	}
	delete(td.entries, name)
	td.changed()
	dir.Size -= bogoDirentSize
	dir.Touch(true, true)
	return e.inode
}

// tmpfsDirOps implements the directory inode operations.
type tmpfsDirOps struct{ ts *tmpfsSuper }

var (
	_ Lookuper    = tmpfsDirOps{}
	_ Creator     = tmpfsDirOps{}
	_ Linker      = tmpfsDirOps{}
	_ Unlinker    = tmpfsDirOps{}
	_ Mkdirer     = tmpfsDirOps{}
	_ Rmdirer     = tmpfsDirOps{}
	_ Renamer     = tmpfsDirOps{}
	_ Mknoder     = tmpfsDirOps{}
	_ Symlinker   = tmpfsDirOps{}
	_ Tmpfiler    = tmpfsDirOps{}
	_ DirIterator = tmpfsDirOps{}
)

// Lookup implements Lookuper (models fs/libfs.c:simple_lookup).
func (o tmpfsDirOps) Lookup(dir *Inode, name string) (*Inode, error) {
	if len(name) > NAME_MAX {
		return nil, ENAMETOOLONG
	}
	e, ok := dirOf(dir).entries[name]
	if !ok {
		return nil, ENOENT
	}
	Ihold(e.inode)
	return e.inode, nil
}

func (o tmpfsDirOps) mknod(dir *Inode, d *Dentry, mode FileMode, rdev uint32) error {
	if len(d.Name()) > NAME_MAX {
		return ENAMETOOLONG
	}
	i, err := o.ts.newInode(dir.Sb, dir, mode, dir.Sb.Kernel().Current().Cred())
	if err != nil {
		return err
	}
	i.Rdev = rdev
	addEntry(dir, d.Name(), i)
	d.Instantiate(i)
	return nil
}

// Create implements Creator (models mm/shmem.c:shmem_create).
func (o tmpfsDirOps) Create(dir *Inode, d *Dentry, mode FileMode, excl bool) error {
	return o.mknod(dir, d, mode, 0)
}

// Mknod implements Mknoder (models mm/shmem.c:shmem_mknod).
func (o tmpfsDirOps) Mknod(dir *Inode, d *Dentry, mode FileMode, rdev uint32) error {
	return o.mknod(dir, d, mode, rdev)
}

// Mkdir implements Mkdirer (models mm/shmem.c:shmem_mkdir).
func (o tmpfsDirOps) Mkdir(dir *Inode, d *Dentry, mode FileMode) error {
	if err := o.mknod(dir, d, mode, 0); err != nil {
		return err
	}
	dir.IncNlink()
	return nil
}

// Symlink implements Symlinker (models mm/shmem.c:shmem_symlink).
func (o tmpfsDirOps) Symlink(dir *Inode, d *Dentry, target string) error {
	if len(target)+1 > PageSize {
		return ENAMETOOLONG
	}
	if len(d.Name()) > NAME_MAX {
		return ENAMETOOLONG
	}
	i, err := o.ts.newInode(dir.Sb, dir, S_IFLNK|0o777, dir.Sb.Kernel().Current().Cred())
	if err != nil {
		return err
	}
	i.Link = target
	i.Size = int64(len(target))
	addEntry(dir, d.Name(), i)
	d.Instantiate(i)
	return nil
}

// Tmpfile implements Tmpfiler (models mm/shmem.c:shmem_tmpfile): an inode
// with no directory entry; the directory's size does not change.
func (o tmpfsDirOps) Tmpfile(dir *Inode, d *Dentry, mode FileMode) error {
	i, err := o.ts.newInode(dir.Sb, dir, mode, dir.Sb.Kernel().Current().Cred())
	if err != nil {
		return err
	}
	d.Tmpfile(i)
	return nil
}

// Link implements Linker (models mm/shmem.c:shmem_link). tmpfs has no nlink
// check of its own: in eras whose VFS does not refuse nlink 0 either, a
// file whose names are all gone can be linked back. The first link of an
// O_TMPFILE inode does not reserve an inode unit.
func (o tmpfsDirOps) Link(old *Dentry, dir *Inode, d *Dentry) error {
	i := old.Inode()
	if len(d.Name()) > NAME_MAX {
		return ENAMETOOLONG
	}
	if i.Nlink() > 0 {
		if err := o.ts.reserveInode(); err != nil {
			return err
		}
	}
	addEntry(dir, d.Name(), i)
	i.Touch(false, true)
	i.IncNlink()
	Ihold(i)
	d.Instantiate(i)
	return nil
}

// Unlink implements Unlinker (models mm/shmem.c:shmem_unlink).
func (o tmpfsDirOps) Unlink(dir *Inode, d *Dentry) error {
	i := d.Inode()
	if i.Nlink() > 1 && !i.Mode.IsDir() {
		o.ts.freeInode()
	}
	removeEntry(dir, d.Name())
	i.Touch(false, true)
	i.DropNlink()
	return nil
}

// Rmdir implements Rmdirer (models mm/shmem.c:shmem_rmdir).
func (o tmpfsDirOps) Rmdir(dir *Inode, d *Dentry) error {
	i := d.Inode()
	if len(dirOf(i).entries) > 0 {
		return ENOTEMPTY
	}
	i.DropNlink()
	dir.DropNlink()
	return o.Unlink(dir, d)
}

// Rename implements Renamer (models mm/shmem.c:shmem_rename2). The moved
// name takes a new offset in its new directory, so it lists first.
func (o tmpfsDirOps) Rename(oldDir *Inode, oldD *Dentry, newDir *Inode, newD *Dentry, flags uint) error {
	if len(newD.Name()) > NAME_MAX {
		return ENAMETOOLONG
	}
	src, tgt := oldD.Inode(), newD.Inode()
	if flags&RENAME_EXCHANGE != 0 {
		// simple_offset_rename_exchange gives the source its new offset
		// first; d_exchange then puts the target at the head of its list
		// first and the source after it, so the source lists first.
		removeEntry(oldDir, oldD.Name())
		removeEntry(newDir, newD.Name())
		addEntry(newDir, newD.Name(), src)
		addEntry(oldDir, oldD.Name(), tgt)
		srcEnt, tgtEnt := dirOf(newDir).entries[newD.Name()], dirOf(oldDir).entries[oldD.Name()]
		srcEnt.pos, tgtEnt.pos = tgtEnt.pos, srcEnt.pos
		dirOf(newDir).entries[newD.Name()], dirOf(oldDir).entries[oldD.Name()] = srcEnt, tgtEnt
		dirOf(newDir).changed()
		dirOf(oldDir).changed()
		if oldDir != newDir && src.Mode.IsDir() != tgt.Mode.IsDir() {
			if src.Mode.IsDir() {
				oldDir.DropNlink()
				newDir.IncNlink()
			} else {
				newDir.DropNlink()
				oldDir.IncNlink()
			}
		}
		reparent(src, newDir)
		reparent(tgt, oldDir)
		return nil
	}
	if tgt != nil && tgt.Mode.IsDir() && len(dirOf(tgt).entries) > 0 {
		return ENOTEMPTY // simple_empty, before anything is allocated
	}
	var whiteout *Inode
	if flags&RENAME_WHITEOUT != 0 {
		// shmem_whiteout before anything changes, so a failure (ENOSPC)
		// leaves both names as they were.
		w, err := o.ts.newInode(oldDir.Sb, oldDir, S_IFCHR, oldDir.Sb.Kernel().Current().Cred())
		if err != nil {
			return err
		}
		whiteout = w
	}
	theyAreDirs := src.Mode.IsDir()
	if tgt != nil {
		if tgt.Nlink() > 1 && !tgt.Mode.IsDir() {
			o.ts.freeInode()
		}
		removeEntry(newDir, newD.Name())
		tgt.Touch(false, true)
		tgt.DropNlink()
		if theyAreDirs {
			tgt.DropNlink()
			oldDir.DropNlink()
		}
	} else if theyAreDirs && oldDir != newDir {
		oldDir.DropNlink()
		newDir.IncNlink()
	}
	removeEntry(oldDir, oldD.Name())
	if whiteout != nil {
		addEntry(oldDir, oldD.Name(), whiteout)
		Iput(whiteout) // no dentry: the entry alone keeps it, like an on-disk dirent
	}
	addEntry(newDir, newD.Name(), src)
	reparent(src, newDir)
	src.Touch(false, true)
	return nil
}

func reparent(i, dir *Inode) {
	if i.Mode.IsDir() {
		dirOf(i).parent = dir
	}
}

// IterateDir implements DirIterator (models fs/libfs.c:offset_readdir): ".",
// "..", then the names in d_children order. Each entry's d_off is the
// offset of the entry after it. A position resumes at the entry with the
// largest offset at or below it (6.18's offset_dir_lookup, mas_find_rev),
// or at the newest entry when there is none or the position is 2 — so an
// entry unlinked between two getdents calls is neither repeated nor makes
// the listing skip ahead.
func (o tmpfsDirOps) IterateDir(dir *Inode, pos int64, emit func(Dirent) bool) error {
	ents, byOff := dirOf(dir).listing()
	next := func(i int) int64 {
		if i < len(ents) {
			return ents[i].off
		}
		return dirOffsetEOD
	}
	if pos == 0 {
		if !emit(Dirent{Name: ".", Ino: dir.Ino, Type: S_IFDIR, Off: 1}) {
			return nil
		}
		pos = 1
	}
	if pos == 1 {
		if !emit(Dirent{Name: "..", Ino: dirOf(dir).parent.Ino, Type: S_IFDIR, Off: next(0)}) {
			return nil
		}
		pos = next(0)
	}
	if pos >= dirOffsetEOD || len(ents) == 0 {
		return nil
	}
	start := 0
	if pos != 2 {
		// The entry with the largest offset at or below pos.
		if n := sort.Search(len(byOff), func(j int) bool { return ents[byOff[j]].off > pos }); n > 0 {
			start = int(byOff[n-1])
		}
	}
	for i := start; i < len(ents); i++ {
		e := ents[i]
		if !emit(Dirent{Name: e.name, Ino: e.inode.Ino, Type: e.inode.Mode.Type(), Off: next(i + 1)}) {
			return nil
		}
	}
	return nil
}

// tmpfsFileOps implements the operations of non-directory inodes.
type tmpfsFileOps struct{}

var (
	_ Getattrer      = tmpfsFileOps{}
	_ FileattrSetter = tmpfsFileOps{}
)

// Getattr implements Getattrer: short symlinks are stored in the inode.
func (tmpfsFileOps) Getattr(i *Inode, st Stat_t) Stat_t {
	if i.Mode.IsSymlink() {
		st.Blocks = 0
		if len(i.Link) >= shortSymlinkLen {
			st.Blocks = PageSize / 512
		}
	}
	return st
}

// FileattrSet implements FileattrSetter (tmpfs supports chattr +a and +i
// since 6.0).
func (tmpfsFileOps) FileattrSet(i *Inode, flags InodeFlags) error { return nil }

// FileattrSet implements FileattrSetter for directories.
func (o tmpfsDirOps) FileattrSet(i *Inode, flags InodeFlags) error { return nil }

// WalkDirents implements DirentWalker.
func (ts *tmpfsSuper) WalkDirents(sb *Superblock, fn func(dir *Inode, name string, child *Inode)) {
	for _, dir := range sb.Inodes() {
		if !dir.Mode.IsDir() {
			continue
		}
		td := dirOf(dir)
		names := make([]string, 0, len(td.entries))
		for n := range td.entries {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fn(dir, n, td.entries[n].inode)
		}
	}
}

// CheckSuper implements SuperChecker: tmpfs's directory accounting.
//
//	T1  a directory's nlink is 2 plus its subdirectories (0 once removed);
//	T2  a directory's size is 20 × (entries + 2);
//	T3  the free inode count equals nr_inodes minus live inodes minus
//	    extra hard links.
func (ts *tmpfsSuper) CheckSuper(sb *Superblock) []Violation {
	var out []Violation
	used := int64(0)
	for _, i := range sb.Inodes() {
		used++
		if !i.Mode.IsDir() && i.Nlink() > 1 {
			used += int64(i.Nlink()) - 1
		}
		if !i.Mode.IsDir() {
			continue
		}
		td := dirOf(i)
		subdirs := uint32(0)
		for _, e := range td.entries {
			if e.inode.Mode.IsDir() {
				subdirs++
			}
		}
		want := 2 + subdirs
		if i.IsDeadDir() {
			want = 0
		}
		if i.Nlink() != want {
			out = append(out, Violation{"T1", fmt.Sprintf("tmpfs dir inode %d has nlink %d, want %d", i.Ino, i.Nlink(), want)})
		}
		if size := int64(bogoDirentSize * (len(td.entries) + 2)); i.Size != size {
			out = append(out, Violation{"T2", fmt.Sprintf("tmpfs dir inode %d has size %d, want %d", i.Ino, i.Size, size)})
		}
	}
	if ts.freeInodes != ts.maxInodes-used {
		out = append(out, Violation{"T3", fmt.Sprintf("tmpfs free inode count %d, want %d", ts.freeInodes, ts.maxInodes-used)})
	}
	return out
}
