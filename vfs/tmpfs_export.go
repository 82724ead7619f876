package vfs

import "sort"

// tmpfs's export operations (models mm/shmem.c:shmem_export_ops): a handle
// is the inode's generation and its 64-bit number in two words, type
// FILEID_INO32_GEN whatever the size. Decoding only looks in memory, and
// only among the inodes a handle was given for: shmem_encode_fh puts the
// inode in the inode hash (keyed by number and generation) the first time,
// and shmem_fh_to_dentry looks it up there with ilookup5. A tmpfs mounted
// anew has none of the old inodes (ESTALE), and an inode that was never
// encoded cannot be found by a forged handle either.
//
// Divergence: Linux tmpfs pins every named dentry (shmem_mknod's extra
// dget), so a named inode always has one to return; the simulator's
// DropCaches frees unused tmpfs dentries like any others, so a named inode
// without a dentry is looked up again by its name (the newest one), which
// gives the dentry Linux would have kept.

var (
	_ Exporter   = (*tmpfsSuper)(nil)
	_ NameGetter = (*tmpfsSuper)(nil)
)

// EncodeFH implements Exporter (models mm/shmem.c:shmem_encode_fh). parent
// is ignored: tmpfs has no connectable handles (no fh_to_parent).
func (ts *tmpfsSuper) EncodeFH(i *Inode, maxLen int, parent *Inode) ([]uint32, int32, int) {
	if maxLen < 3 {
		return nil, FILEID_INVALID, 3
	}
	if ts.hashed == nil {
		ts.hashed = map[uint64]*Inode{}
	}
	ts.hashed[i.Ino] = i // __insert_inode_hash, once
	return []uint32{i.Generation, uint32(i.Ino), uint32(i.Ino >> 32)}, FILEID_INO32_GEN, 3
}

// FHToDentry implements Exporter (models mm/shmem.c:shmem_fh_to_dentry
// and shmem_find_alias): the type is not looked at; fewer than three words,
// an inode not in the hash (never encoded, evicted, another tmpfs's) or a
// different generation is ESTALE. The dentry is the inode's newest hashed
// one, else any (an open unlinked file's).
func (ts *tmpfsSuper) FHToDentry(sb *Superblock, fid []uint32, typ int32) (*Dentry, error) {
	if len(fid) < 3 {
		return nil, ESTALE
	}
	ino := uint64(fid[2])<<32 | uint64(fid[1])
	i := ts.hashed[ino]
	if i == nil || i.Generation != fid[0] || i.state&(I_FREEING|I_CLEAR) != 0 {
		return nil, ESTALE
	}
	Ihold(i) // ilookup5
	defer Iput(i)
	d := FindAlias(i)
	if d == nil {
		d = FindAnyAlias(i)
	}
	if d == nil && i.nlink > 0 {
		return ts.lookupByName(sb, i)
	}
	if d == nil {
		return nil, ESTALE
	}
	return d, nil
}

// GetParent implements Exporter (models mm/shmem.c:shmem_get_parent): tmpfs
// never needs to reconnect a directory, and refuses to.
func (ts *tmpfsSuper) GetParent(dir *Inode) (*Inode, error) { return nil, ESTALE }

// GetName implements NameGetter: the newest entry of dir naming child.
func (ts *tmpfsSuper) GetName(dir, child *Inode) (string, error) {
	if e := newestEntry(dir, child); e != nil {
		return e.name, nil
	}
	return "", ENOENT
}

// newestEntry returns the entry of directory dir naming i that was added
// last, or nil.
func newestEntry(dir, i *Inode) *tmpfsDirent {
	var best *tmpfsDirent
	for _, e := range dirOf(dir).entries {
		if e.inode == i && (best == nil || e.pos > best.pos) {
			best = &e
		}
	}
	return best
}

// lookupByName finds the dentry of a named inode that has none in the
// cache (see the divergence above): the path to its newest name is read
// from the directories and walked from the root.
func (ts *tmpfsSuper) lookupByName(sb *Superblock, i *Inode) (*Dentry, error) {
	var names []string
	var dir *Inode
	if i.Mode.IsDir() {
		dir = dirOf(i).parent
	} else {
		var best *tmpfsDirent
		var walk func(d *Inode)
		walk = func(d *Inode) {
			td := dirOf(d)
			keys := make([]string, 0, len(td.entries))
			for n := range td.entries {
				keys = append(keys, n)
			}
			sort.Strings(keys)
			for _, n := range keys {
				e := td.entries[n]
				if e.inode == i && (best == nil || e.pos > best.pos) {
					best, dir = &e, d
				}
				if e.inode.Mode.IsDir() {
					walk(e.inode)
				}
			}
		}
		walk(sb.root.inode)
		if best == nil {
			return nil, ESTALE
		}
	}
	for child := i; child != sb.root.inode; {
		e := newestEntry(dir, child)
		if e == nil {
			return nil, ESTALE
		}
		names = append(names, e.name)
		child, dir = dir, dirOf(dir).parent
	}
	d := Dget(sb.root)
	for n := len(names) - 1; n >= 0; n-- {
		next, err := sb.k.lookupCached(d, names[n])
		Dput(d)
		if err != nil {
			return nil, ESTALE
		}
		d = next
	}
	if d.inode != i {
		Dput(d)
		return nil, ESTALE
	}
	return d, nil
}
