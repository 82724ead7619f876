package btrfssim

import (
	"fmt"
	"maps"
	"slices"

	"github.com/relinksim/relinksim/vfs"
)

// check is the btrfs check-like pass over the package documentation's
// invariants B1–B9, run on the current state of every live subvolume (what
// the next commit would write) and on the in-core inodes. It only observes.
func (fs *fsInfo) check() []vfs.Violation {
	if fs.aborted {
		// The in-memory trees hold what the aborted transaction left
		// half-done; Linux never writes them, and neither does the model.
		return nil
	}
	var out []vfs.Violation
	add := func(name, format string, args ...any) {
		out = append(out, vfs.Violation{Name: name, Detail: fmt.Sprintf(format, args...)})
	}
	for _, id := range fs.cur.sortedRoots() {
		item := fs.cur.roots[id]
		if item.refs == 0 {
			continue // deleted: the whole tree goes
		}
		t := item.tree
		// B1: every orphan item names an inode without links.
		for _, ino := range t.sortedOrphans() {
			it := t.inodes[ino]
			switch {
			case it == nil:
				add("B1", "subvolume %d has an orphan item for inode %d, which has no inode item", id, ino)
			case it.Nlink > 0:
				add("B1", "subvolume %d has an orphan item for inode %d, which has nlink %d", id, ino, it.Nlink)
			}
		}
		for _, ino := range t.sortedInodes() {
			it := t.inodes[ino]
			if ino == firstFreeObjectid {
				if it.Nlink != 1 || !it.Mode.IsDir() {
					add("B2", "subvolume %d: root directory has mode %o nlink %d", id, it.Mode, it.Nlink)
				}
			} else if int(it.Nlink) != len(it.Refs) {
				// B2: nlink counts the back references.
				add("B2", "subvolume %d: inode %d (%s) has nlink %d but %d names", id, ino, it.Mode.TypeName(), it.Nlink, len(it.Refs))
			}
			// B3: every back reference has its directory entry.
			if ino != firstFreeObjectid {
				for _, r := range it.Refs {
					d := t.dirs[r.Dir]
					if d == nil || d.byName[r.Name] != r.Index || d.byIndex[r.Index].Target != ino || d.byIndex[r.Index].Subvol {
						add("B3", "subvolume %d: inode %d's name %q (index %d) in directory %d has no matching entry", id, ino, r.Name, r.Index, r.Dir)
					}
				}
			}
			// B4: directories have nlink at most 1 and i_size twice
			// their names' length.
			if it.Mode.IsDir() {
				d := t.dirs[ino]
				if d == nil {
					add("B4", "subvolume %d: directory %d has no directory items", id, ino)
				} else if it.Size != 2*d.nameBytes() {
					add("B4", "subvolume %d: directory %d has i_size %d, its names %d bytes", id, ino, it.Size, d.nameBytes())
				}
				if it.Nlink > 1 {
					add("B4", "subvolume %d: directory %d has nlink %d", id, ino, it.Nlink)
				}
			}
			// B5: no leak — an inode without links has an orphan item.
			if it.Nlink == 0 && !t.orphans[ino] {
				add("B5", "subvolume %d: inode %d (%s) has no links and no orphan item: it leaks", id, ino, it.Mode.TypeName())
			}
		}
		// B6: every entry names an inode that points back at it, and
		// the name index matches the index items.
		type backRef struct {
			ino uint64
			inodeRef
		}
		backRefs := map[backRef]bool{}
		for ino, it := range t.inodes {
			for _, r := range it.Refs {
				backRefs[backRef{ino, r}] = true
			}
		}
		for _, dino := range slices.Sorted(maps.Keys(t.dirs)) {
			d := t.dirs[dino]
			if t.inodes[dino] == nil {
				add("B6", "subvolume %d: directory items of inode %d, which has no inode item", id, dino)
				continue
			}
			if len(d.byName) != len(d.byIndex) {
				add("B6", "subvolume %d: directory %d has %d DIR_ITEMs and %d DIR_INDEXes", id, dino, len(d.byName), len(d.byIndex))
			}
			for _, idx := range d.entries() {
				e := d.byIndex[idx]
				if d.byName[e.Name] != idx {
					add("B6", "subvolume %d: directory %d: %q is index %d but its DIR_ITEM says %d", id, dino, e.Name, idx, d.byName[e.Name])
				}
				if e.Subvol {
					continue
				}
				it := t.inodes[e.Target]
				if it == nil {
					add("B6", "subvolume %d: directory %d: %q names inode %d, which has no inode item", id, dino, e.Name, e.Target)
					continue
				}
				if !backRefs[backRef{e.Target, inodeRef{Dir: dino, Index: idx, Name: e.Name}}] {
					add("B6", "subvolume %d: directory %d: %q names inode %d, which has no back reference to it", id, dino, e.Name, e.Target)
				}
				if e.Type != it.Mode.Type() {
					add("B6", "subvolume %d: directory %d: %q has type %s, inode %d is %s", id, dino, e.Name, e.Type.TypeName(), e.Target, it.Mode.TypeName())
				}
			}
		}
		// B7: a linked subvolume's entry is where its back reference
		// says.
		if id != fsTreeObjectid && item.dirIno != 0 {
			p := fs.cur.roots[item.parent]
			var e dirEntry
			ok := p != nil
			if ok {
				d := p.tree.dirs[item.dirIno]
				ok = d != nil && d.byName[item.name] == item.index
				if ok {
					e = d.byIndex[item.index]
				}
			}
			if !ok || !e.Subvol || e.Target != id {
				add("B7", "subvolume %d says it is %q (index %d) in directory %d of %d, which has no such entry", id, item.name, item.index, item.dirIno, item.parent)
			}
		}
	}
	// B8: in-core inodes agree with their items; B9: counters are ahead of
	// every number in use.
	for _, id := range fs.loadedRoots() {
		r := fs.roots[id]
		if r.dead() {
			continue
		}
		if hi := r.tree().highestObjectid(); r.freeObjectid <= hi {
			add("B9", "subvolume %d: next inode number %d, but %d is in use", id, r.freeObjectid, hi)
		}
		for _, ino := range r.cachedInodes() {
			vi := r.icache[ino]
			it := r.tree().inodes[ino]
			if it == nil {
				if vi.Nlink() > 0 {
					add("B8", "subvolume %d: in-core inode %d has nlink %d but no item", id, ino, vi.Nlink())
				}
				continue
			}
			ei := info(vi)
			wantSize := vi.Size
			if vi.Mode.IsRegular() {
				wantSize = ei.diskSize
				if ei.diskSize > vi.Size || !ei.dataDirty && ei.diskSize != vi.Size {
					add("B8", "subvolume %d: inode %d has disk_i_size %d, i_size %d (data dirty %v)", id, ino, ei.diskSize, vi.Size, ei.dataDirty)
				}
			}
			if it.Nlink != vi.Nlink() || it.Size != wantSize || it.Mode != vi.Mode || it.Flags != vi.Flags&persistentFlags || it.UID != vi.UID || it.GID != vi.GID {
				add("B8", "subvolume %d: in-core inode %d (nlink %d size %d mode %o flags %x uid %d gid %d) differs from its item (nlink %d size %d mode %o flags %x uid %d gid %d)",
					id, ino, vi.Nlink(), vi.Size, vi.Mode, vi.Flags, vi.UID, vi.GID, it.Nlink, it.Size, it.Mode, it.Flags, it.UID, it.GID)
			}
			if vi.Mode.IsDir() {
				if d := r.tree().dirs[ino]; d != nil {
					for _, idx := range d.entries() {
						if idx >= ei.indexCnt {
							add("B9", "subvolume %d: directory %d holds index %d, its counter is %d", id, ino, idx, ei.indexCnt)
						}
					}
				}
			}
		}
	}
	if hi := fs.cur.highestRootID(); fs.nextRootID <= hi {
		add("B9", "next subvolume id %d, but %d is in use", fs.nextRootID, hi)
	}
	return out
}

// WalkDirents implements vfs.DirentWalker for the VFS invariant checker:
// every entry of every directory whose names are known, with the in-core
// inode it names.
func (fs *fsInfo) WalkDirents(sb *vfs.Superblock, fn func(dir *vfs.Inode, name string, child *vfs.Inode)) {
	for _, id := range fs.loadedRoots() {
		r := fs.roots[id]
		t := r.tree()
		for _, dino := range slices.Sorted(maps.Keys(t.dirs)) {
			dir := r.icache[dino]
			d := t.dirs[dino]
			for _, idx := range d.entries() {
				e := d.byIndex[idx]
				var child *vfs.Inode
				switch sub := fs.roots[e.Target]; {
				case !e.Subvol:
					child = r.icache[e.Target]
				case sub != nil && sub.item.parent == id && sub.item.dirIno == dino && sub.item.name == e.Name:
					child = sub.icache[firstFreeObjectid]
				default:
					child = fs.dummies[dummyKey{id, dino, e.Name}]
				}
				if child != nil {
					fn(dir, e.Name, child)
				}
			}
		}
	}
}
