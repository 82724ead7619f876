package vfs

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Dentry is analogous to Linux's struct dentry: one name in the directory
// cache, naming an inode (positive) or nothing (negative).
//
// Each dentry holds a reference on its parent, and a positive dentry holds a
// reference (i_count) on its inode. Dentries nobody references stay cached
// while they are hashed — reachable by name from their parent — and are freed
// when they are unhashed or when their superblock is shrunk. Unlinking a file
// unhashes its dentry; if an open file still references the dentry it stays
// positive, keeping the inode alive: that dentry is "unlinked" (d_unlinked),
// and /proc/self/fd shows its path with " (deleted)".
//
// Differences from Linux:
//   - negative dentries are never cached; a failed lookup leaves nothing
//     behind (this is unobservable through system calls);
//   - there is no d_lock, no LRU: the cache is only shrunk at unmount or
//     by Kernel.DropCaches; the RCU walk is namei.go's, without seqcounts.
type Dentry struct {
	kobj

	name     string
	parent   *Dentry // the dentry itself for a root
	inode    *Inode  // nil for a negative dentry
	sb       *Superblock
	children dchildren // hashed children
	hashed   bool
	mounted  int // mounts on this dentry, in any namespace (DCACHE_MOUNTED)
	// lookupDir is DCACHE_DIRECTORY_TYPE, set with the inode
	// (d_flags_for_inode): it names a directory one can look up in, so a
	// path walk asks the dentry and not the inode's operations
	// (d_can_lookup).
	lookupDir bool
	// revalidates says the inode's operations revalidate its cached
	// children (Revalidater; Linux's DCACHE_OP_REVALIDATE, which is on the
	// child), set with lookupDir.
	revalidates bool
	// disconnected is DCACHE_DISCONNECTED: an anonymous root made for a
	// file handle's inode that had no dentry (ObtainAlias).
	disconnected bool
}

func (d *Dentry) kind() string { return "dentry" }

func (d *Dentry) describe() string {
	s := d.sb.describe() + ":" + d.fsPath()
	if d.Unlinked() {
		s += " (unhashed)"
	}
	if d.inode == nil {
		s += " (negative)"
	}
	return s
}

func (d *Dentry) String() string { return d.fsPath() }

// Name returns the dentry's name (d_name). A root's name is "/".
func (d *Dentry) Name() string { return d.name }

// Parent returns the parent dentry (d_parent); a root is its own parent.
func (d *Dentry) Parent() *Dentry { return d.parent }

// Inode returns the inode, or nil for a negative dentry.
func (d *Dentry) Inode() *Inode { return d.inode }

// Superblock returns the superblock the dentry belongs to.
func (d *Dentry) Superblock() *Superblock { return d.sb }

// Refs returns the reference count (d_count).
func (d *Dentry) Refs() int64 { return d.refs }

// IsRoot reports whether d is the root of its tree (IS_ROOT).
func (d *Dentry) IsRoot() bool { return d.parent == d }

// Hashed reports whether d can be found by name in its parent.
func (d *Dentry) Hashed() bool { return d.hashed }

// Unlinked models include/linux/dcache.h:d_unlinked: the dentry was removed
// from the tree (unhashed) and is not a root.
func (d *Dentry) Unlinked() bool { return !d.hashed && !d.IsRoot() }

// Mounted reports whether something is mounted on d (d_mountpoint).
func (d *Dentry) Mounted() bool { return d.mounted > 0 }

// Disconnected reports DCACHE_DISCONNECTED: d is an anonymous root a file
// handle's decoding made for an inode no dentry named (ObtainAlias); its
// path reads "/".
func (d *Dentry) Disconnected() bool { return d.disconnected }

// fsPath returns the path from the superblock root, for descriptions.
func (d *Dentry) fsPath() string {
	if d.IsRoot() {
		return "/"
	}
	var parts []string
	for e := d; !e.IsRoot(); e = e.parent {
		parts = append(parts, e.name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// Dget takes a reference on d (models include/linux/dcache.h:dget). An
// unused cached dentry (d_count 0) may be taken again.
func Dget(d *Dentry) *Dentry {
	d.refs++
	return d
}

// Dput drops a reference (models fs/dcache.c:dput). When the last reference
// of an unhashed or negative dentry goes, the dentry is killed: it drops its
// inode (Iput — which evicts an inode whose nlink is 0) and then its parent,
// which may cascade up the tree.
func Dput(d *Dentry) {
	for d != nil {
		if d.refs <= 0 {
			Bug("dput: dentry %s has d_count 0", d.describe())
		}
		d.refs--
		if d.refs > 0 || (d.hashed && d.inode != nil && !d.sb.DropUnused && !deleteOnDput(d)) {
			return
		}
		d = dentryKill(d)
	}
}

// deleteOnDput asks the filesystem's d_delete, if it has one.
func deleteOnDput(d *Dentry) bool {
	dd, ok := d.sb.Ops.(DentryDeleter)
	return ok && dd.DeleteDentry(d)
}

// dentryKill models fs/dcache.c:__dentry_kill: it frees an unused dentry and
// returns the parent whose reference it still has to drop (nil for a root).
func dentryKill(d *Dentry) *Dentry {
	if d.refs != 0 {
		Bug("killing dentry %s with d_count %d", d.describe(), d.refs)
	}
	if d.children.len() != 0 {
		Bug("killing dentry %s with cached children", d.describe())
	}
	if d.hashed {
		d.parent.children.del(d)
		d.hashed = false
	}
	if ino := d.inode; ino != nil {
		ino.removeAlias(d)
		d.inode = nil
		Iput(ino)
	}
	d.sb.k.unregister(&d.kobj)
	if d.IsRoot() {
		return nil
	}
	return d.parent
}

// dAlloc models fs/dcache.c:d_alloc: a new negative, unhashed dentry named
// name under parent, holding a reference on parent. The caller owns the one
// reference of the new dentry.
func dAlloc(parent *Dentry, name string) *Dentry {
	d := &Dentry{name: name, parent: parent, sb: parent.sb}
	d.refs = 1
	Dget(parent)
	parent.sb.k.register(d, &d.kobj)
	return d
}

// MakeRoot models fs/dcache.c:d_make_root: the root dentry of a new
// superblock, taking over the caller's reference on inode. Filesystems call
// it from FillSuper and store the result with Superblock.SetRoot.
func MakeRoot(inode *Inode) *Dentry {
	d := &Dentry{name: "/", inode: inode, sb: inode.Sb}
	d.parent = d
	d.refs = 1
	inode.Sb.k.register(d, &d.kobj)
	inode.addAlias(d)
	return d
}

// Instantiate models fs/dcache.c:d_instantiate: the negative dentry d now
// names inode, taking over the caller's reference on it. Filesystems call it
// when an operation creating a name (create, link, mkdir, ...) succeeds; the
// VFS hashes the dentry afterwards.
func (d *Dentry) Instantiate(inode *Inode) {
	if d.inode != nil {
		Bug("d_instantiate on positive dentry %s", d.describe())
	}
	if inode.Sb != d.sb {
		Bug("d_instantiate: inode of %s under dentry of %s", inode.Sb.describe(), d.sb.describe())
	}
	d.inode = inode
	inode.addAlias(d)
}

// Tmpfile models fs/dcache.c:d_tmpfile: the O_TMPFILE dentry gets the name
// "#<ino>" (what /proc/self/fd shows), names inode (taking over the caller's
// reference), and inode's nlink drops from 1 to 0. The dentry stays unhashed.
func (d *Dentry) Tmpfile(inode *Inode) {
	if d.inode != nil || d.hashed {
		Bug("d_tmpfile on dentry %s", d.describe())
	}
	d.name = fmt.Sprintf("#%d", inode.Ino)
	inode.DropNlink()
	d.inode = inode
	inode.addAlias(d)
}

// dAdd hashes d under its parent (d_rehash / the hashing half of d_add).
func dAdd(d *Dentry) {
	if d.hashed {
		Bug("d_add: dentry %s already hashed", d.describe())
	}
	p := d.parent
	if p.children.get(d.name) != nil {
		Bug("d_add: %s already has a child %q", p.describe(), d.name)
	}
	p.children.put(d)
	d.hashed = true
}

// dDrop models fs/dcache.c:d_drop: d can no longer be found by name.
func dDrop(d *Dentry) {
	if d.hashed {
		d.parent.children.del(d)
		d.hashed = false
	}
}

// dDelete models fs/dcache.c:d_delete after a successful unlink or rmdir.
// If the caller holds the only reference, the dentry turns negative at once
// and the inode reference goes (dentry_unlink_inode); otherwise someone —
// an open file, a cwd — still uses it, so it is only unhashed and keeps its
// inode until the last user lets go.
func dDelete(d *Dentry) {
	dDrop(d)
	if d.refs == 1 && d.inode != nil {
		ino := d.inode
		ino.removeAlias(d)
		d.inode = nil
		Iput(ino)
	}
}

// dMove models fs/dcache.c:d_move for rename: d leaves its old parent and
// appears as name under newParent. A positive target dentry must already
// have been dropped by the caller.
func dMove(d *Dentry, newParent *Dentry, name string) {
	dDrop(d)
	old := d.parent
	d.parent = Dget(newParent)
	d.name = name
	dAdd(d)
	Dput(old)
}

// child returns the hashed child named name, or nil (d_lookup).
func (d *Dentry) child(name string) *Dentry { return d.children.get(name) }

// CachedChild returns d's hashed child called name if the dentry cache
// holds it (positive or negative), without a lookup, or nil.
func (d *Dentry) CachedChild(name string) *Dentry { return d.children.get(name) }

// CachedChildren returns the hashed children the dentry cache holds for
// d, by name.
func (d *Dentry) CachedChildren() []*Dentry {
	out := d.children.all()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// isAncestor reports whether a is a proper ancestor of d within one tree
// (models fs/dcache.c:is_subdir for distinct dentries).
func isAncestor(a, d *Dentry) bool {
	for e := d; !e.IsRoot(); {
		e = e.parent
		if e == a {
			return true
		}
	}
	return false
}

// shrinkDcache frees every unused dentry under root, children first (models
// fs/dcache.c:shrink_dcache_parent). Dentries somebody still references are
// kept, and so are their ancestors.
func shrinkDcache(root *Dentry) {
	var walk func(d *Dentry)
	walk = func(d *Dentry) {
		kids := d.children.all()
		sort.Slice(kids, func(i, j int) bool { return kids[i].name < kids[j].name })
		for _, c := range kids {
			walk(c)
			if c.refs == 0 && c.children.len() == 0 {
				p := dentryKill(c)
				if p != d {
					Bug("shrink_dcache: parent mismatch")
				}
				Dput(p)
			}
		}
	}
	walk(root)
}

// dchildren is a dentry's hashed children: Linux finds them in one global
// hash table keyed by parent and name (d_hash); the simulator keeps them
// on their parent, by name. A directory of a few cached names keeps them
// in a short list, searched in order, and a bigger one in a map: a path
// walk through small directories so hashes no name.
type dchildren struct {
	few []*Dentry          // when m is nil: at most smallDirChildren
	m   map[string]*Dentry // from the (smallDirChildren+1)th child on
}

// smallDirChildren is the most children dchildren keeps in a list.
const smallDirChildren = 8

func (c *dchildren) get(name string) *Dentry {
	if c.m != nil {
		return c.m[name]
	}
	for _, d := range c.few {
		if d.name == name {
			return d
		}
	}
	return nil
}

func (c *dchildren) put(d *Dentry) {
	switch {
	case c.m != nil:
		c.m[d.name] = d
	case len(c.few) < smallDirChildren:
		c.few = append(c.few, d)
	default:
		c.m = make(map[string]*Dentry, 2*smallDirChildren)
		for _, e := range c.few {
			c.m[e.name] = e
		}
		c.m[d.name] = d
		c.few = nil
	}
}

func (c *dchildren) del(d *Dentry) {
	if c.m != nil {
		if c.m[d.name] != d {
			Bug("d_drop: %s is not hashed under its parent", d.describe())
		}
		delete(c.m, d.name)
		return
	}
	for i, e := range c.few {
		if e == d {
			c.few = slices.Delete(c.few, i, i+1)
			return
		}
	}
	Bug("d_drop: %s is not hashed under its parent", d.describe())
}

func (c *dchildren) len() int {
	if c.m != nil {
		return len(c.m)
	}
	return len(c.few)
}

// all returns the children, in no particular order.
func (c *dchildren) all() []*Dentry {
	if c.m == nil {
		return slices.Clone(c.few)
	}
	out := make([]*Dentry, 0, len(c.m))
	for _, d := range c.m {
		out = append(out, d)
	}
	return out
}
