package vfs

import (
	"fmt"
	"strings"
)

// Violation is one broken invariant, named as in the package documentation
// (V1, V2, ...; filesystems use their own prefixes, T1 for tmpfs).
type Violation struct {
	Name   string
	Detail string
}

func (v Violation) String() string { return v.Name + ": " + v.Detail }

// DirentWalker is an optional super operation that lets the invariant
// checker see every directory entry of a superblock with the inode it names.
// Without it the name-counting invariants (V1–V3) are skipped for that
// superblock, as they are once the filesystem failed (ForceReadOnly).
type DirentWalker interface {
	WalkDirents(sb *Superblock, fn func(dir *Inode, name string, child *Inode))
}

// SuperChecker is an optional super operation: a filesystem's own
// invariants, run by CheckInvariants after the generic ones.
type SuperChecker interface {
	CheckSuper(sb *Superblock) []Violation
}

// CheckInvariants returns every violated invariant, each named (see the
// Invariants section of the package documentation). It only observes. It
// must run between system calls, when no task is inside the kernel: the
// reference-count invariants assume no transient references.
func (k *Kernel) CheckInvariants() []Violation {
	c := &checker{k: k}
	c.collect()
	c.checkRefs()
	c.checkInodes()
	c.checkStacks()
	for _, sb := range k.supers {
		c.checkNames(sb)
		if sc, ok := sb.Ops.(SuperChecker); ok {
			c.out = append(c.out, sc.CheckSuper(sb)...)
		}
	}
	for _, x := range k.checkers {
		c.out = append(c.out, x.fn()...)
	}
	return c.out
}

// InvariantError joins violations into one error (nil for none).
func InvariantError(vs []Violation) error {
	if len(vs) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d invariant violations:", len(vs))
	for _, v := range vs {
		b.WriteString("\n\t")
		b.WriteString(v.String())
	}
	return fmt.Errorf("%s", b.String())
}

type checker struct {
	k       *Kernel
	out     []Violation
	dentry  []*Dentry
	inodes  []*Inode
	mounts  []*Mount
	files   []*File
	nss     []*MountNamespace
	fss     []*FSStruct
	fdts    []*FilesStruct
	expectD map[*Dentry]int64
	expectI map[*Inode]int64
	expectM map[*Mount]int64
	expectF map[*File]int64
	expectS map[*Superblock]int64
	expectN map[*MountNamespace]int64
}

func (c *checker) add(name, format string, args ...any) {
	c.out = append(c.out, Violation{name, fmt.Sprintf(format, args...)})
}

// collect sorts the registry by kind and derives every expected reference
// count from the ownership graph.
func (c *checker) collect() {
	k := c.k
	c.expectD = map[*Dentry]int64{}
	c.expectI = map[*Inode]int64{}
	c.expectM = map[*Mount]int64{}
	c.expectF = map[*File]int64{}
	c.expectS = map[*Superblock]int64{}
	c.expectN = map[*MountNamespace]int64{}
	for o := range k.liveObjects() {
		switch o := o.(type) {
		case *Dentry:
			c.dentry = append(c.dentry, o)
		case *Inode:
			c.inodes = append(c.inodes, o)
		case *Mount:
			c.mounts = append(c.mounts, o)
		case *File:
			c.files = append(c.files, o)
		case *MountNamespace:
			c.nss = append(c.nss, o)
		case *FSStruct:
			c.fss = append(c.fss, o)
		case *FilesStruct:
			c.fdts = append(c.fdts, o)
		}
	}
	for _, d := range c.dentry {
		if !d.IsRoot() {
			c.expectD[d.parent]++
		}
		if d.inode != nil {
			c.expectI[d.inode]++
		}
	}
	for _, sb := range k.supers {
		if sb.root != nil {
			c.expectD[sb.root]++
		}
	}
	for _, m := range c.mounts {
		c.expectS[m.sb]++
		c.expectD[m.root]++
		if m.attached {
			c.expectM[m]++
		}
		if m.parent != nil && m.parent != m {
			c.expectM[m.parent]++
			c.expectD[m.mountpoint]++
		}
	}
	for _, f := range c.files {
		c.expectD[f.path.Dentry]++
		c.expectM[f.path.Mnt]++
	}
	for _, fs := range c.fss {
		for _, p := range []Path{fs.root, fs.pwd} {
			c.expectD[p.Dentry]++
			c.expectM[p.Mnt]++
		}
	}
	for _, fdt := range c.fdts {
		for _, f := range fdt.fds {
			if f != nil {
				c.expectF[f]++
			}
		}
	}
	for _, t := range k.tasks {
		if t.ownsMntNS {
			c.expectN[t.mntns]++
		}
	}
	for _, i := range c.inodes {
		if ns, ok := i.Private.(Namespace); ok && i.Sb.fsType.Name() == "proc" {
			if mns, ok := ns.(*MountNamespace); ok {
				c.expectN[mns]++ // an open /proc/PID/ns/mnt
			}
		}
	}
	if ops := k.nsops; ops != nil {
		for _, ns := range c.nss {
			c.expectN[ns] += int64(ops.MntNSRefs(ns))
		}
	}
}

// checkRefs: V4–V9, V11, V15, V18.
func (c *checker) checkRefs() {
	for _, d := range c.dentry {
		if d.refs != c.expectD[d] {
			c.add("V5", "dentry %s has d_count %d, its owners account for %d", d.describe(), d.refs, c.expectD[d])
		}
		if d.inode != nil && d.inode.Freed() {
			c.add("V4", "positive dentry %s names freed inode %d", d.describe(), d.inode.Ino)
		}
		if d.refs == 0 && (!d.hashed || d.inode == nil) && !d.IsRoot() {
			c.add("V11", "unused dentry %s should have been freed", d.describe())
		}
	}
	for _, i := range c.inodes {
		if i.refs != c.expectI[i] {
			c.add("V6", "inode %d (%s) has i_count %d, its dentries account for %d", i.Ino, i.Sb.describe(), i.refs, c.expectI[i])
		}
		for _, d := range i.aliases {
			if d.inode != i {
				c.add("V18", "inode %d (%s) lists dentry %s as an alias, which does not name it", i.Ino, i.Sb.describe(), d.describe())
			}
			if d.lookupDir != canLookup(i) {
				c.add("V18", "dentry %s is marked lookupDir %v, its inode %d (%s) %v", d.describe(), d.lookupDir, i.Ino, i.Sb.describe(), canLookup(i))
			}
			if _, rv := i.Ops.(Revalidater); d.revalidates != rv {
				c.add("V18", "dentry %s is marked revalidates %v, its inode %d (%s) %v", d.describe(), d.revalidates, i.Ino, i.Sb.describe(), rv)
			}
		}
	}
	aliases := map[*Inode]int64{}
	for _, d := range c.dentry {
		if d.inode != nil {
			aliases[d.inode]++
		} else if d.lookupDir || d.revalidates {
			c.add("V18", "negative dentry %s is marked lookupDir or revalidates", d.describe())
		}
	}
	for _, i := range c.inodes {
		if int64(len(i.aliases)) != aliases[i] {
			c.add("V18", "inode %d (%s) has %d aliases listed, %d dentries name it", i.Ino, i.Sb.describe(), len(i.aliases), aliases[i])
		}
	}
	for _, m := range c.mounts {
		if m.refs != c.expectM[m] {
			c.add("V7", "mount %s has mnt_count %d, its owners account for %d", m.describe(), m.refs, c.expectM[m])
		}
	}
	for _, f := range c.files {
		if f.refs != c.expectF[f] {
			c.add("V8", "file %s has f_count %d, descriptors account for %d", f.describe(), f.refs, c.expectF[f])
		}
	}
	for _, sb := range c.k.supers {
		if sb.refs != c.expectS[sb] {
			c.add("V9", "superblock %s has %d active references, %d mounts", sb.describe(), sb.refs, c.expectS[sb])
		}
	}
	for _, ns := range c.nss {
		if ns.refs != c.expectN[ns] {
			c.add("V15", "%s has %d references; tasks, nsproxies and open namespace files account for %d", ns.describe(), ns.refs, c.expectN[ns])
		}
	}
	users := map[any]int64{}
	for _, t := range c.k.tasks {
		users[t.fs]++
		users[t.files]++
	}
	for _, fs := range c.fss {
		if fs.refs != users[fs] {
			c.add("V16", "%s has %d users, %d tasks use it", fs.describe(), fs.refs, users[fs])
		}
	}
	for _, fdt := range c.fdts {
		if fdt.refs != users[fdt] {
			c.add("V17", "%s has %d users, %d tasks use it", fdt.describe(), fdt.refs, users[fdt])
		}
	}
}

// checkInodes: V10, V12, V13, V14.
func (c *checker) checkInodes() {
	zero := map[*Superblock]int64{}
	for _, i := range c.inodes {
		if i.nlink == 0 {
			zero[i.Sb]++
			if i.refs == 0 {
				c.add("V10", "inode %d of %s has nlink 0 and i_count 0 but was not evicted", i.Ino, i.Sb.describe())
			}
		}
		if i.state&I_LINKABLE != 0 && i.nlink != 0 {
			c.add("V12", "inode %d of %s is I_LINKABLE with nlink %d", i.Ino, i.Sb.describe(), i.nlink)
		}
		if c.k.scheduler == nil && (i.rwsem.holder != nil || i.rwsem.readers != 0) {
			c.add("V14", "inode %d of %s: i_rwsem held between system calls", i.Ino, i.Sb.describe())
		}
	}
	for _, sb := range c.k.supers {
		if sb.removeCount != zero[sb] {
			c.add("V13", "%s has s_remove_count %d, %d in-core inodes have nlink 0", sb.describe(), sb.removeCount, zero[sb])
		}
	}
}

// checkNames: V1–V3, for superblocks whose filesystem can list its
// directory entries.
func (c *checker) checkNames(sb *Superblock) {
	w, ok := sb.Ops.(DirentWalker)
	if !ok || sb.failed {
		return
	}
	names := map[*Inode]uint32{}
	type key struct {
		dir  *Inode
		name string
	}
	entries := map[key]*Inode{}
	w.WalkDirents(sb, func(dir *Inode, name string, child *Inode) {
		names[child]++
		entries[key{dir, name}] = child
	})
	for _, i := range sb.Inodes() {
		n := names[i]
		if !i.Mode.IsDir() && i.nlink != n {
			c.add("V1", "inode %d of %s has nlink %d but %d names", i.Ino, sb.describe(), i.nlink, n)
		}
		if i.nlink > 0 && n == 0 && (sb.root == nil || i != sb.root.inode) && !i.IsDeadDir() {
			c.add("V2", "inode %d of %s has nlink %d but no name reaches it", i.Ino, sb.describe(), i.nlink)
		}
	}
	for _, d := range c.dentry {
		if d.sb != sb || !d.hashed || d.IsRoot() {
			continue
		}
		if got := entries[key{d.parent.inode, d.name}]; got != d.inode {
			c.add("V3", "cached dentry %s does not match its directory entry", d.describe())
		}
	}
}

// checkStacks: V19, the mount stacks of mountstack.go.
func (c *checker) checkStacks() {
	members := map[*mountStack]int{}
	var order []*mountStack // first seen, so the report is deterministic
	for _, m := range c.mounts {
		s := m.stack
		hung := m.parent != nil && m.parent != m
		if s == nil {
			if hung {
				c.add("V19", "mount %s has a mountpoint but no stack", m.describe())
			}
			continue
		}
		if !hung {
			c.add("V19", "mount %s has no mountpoint but is in a stack", m.describe())
			continue
		}
		if members[s] == 0 {
			order = append(order, s)
		}
		members[s]++
		onRoot := m.mountpoint == m.parent.root
		if m != s.bottom && (!onRoot || m.parent.stack != s) {
			c.add("V19", "mount %s is in a stack but not on the root of the mount below it in that stack", m.describe())
		}
		if m == s.bottom && onRoot && m.parent.stack != nil {
			c.add("V19", "mount %s is the bottom of a stack but sits on the root of %s, which is in a stack", m.describe(), m.parent.describe())
		}
		above := c.k.mountHash[mountpoint{m, m.root}]
		if m == s.top && above != nil {
			c.add("V19", "mount %s tops a stack but %s is mounted on its root", m.describe(), above.describe())
		}
		if m != s.top && (above == nil || above.stack != s) {
			c.add("V19", "mount %s is below the top of its stack but the mount on its root is not in that stack", m.describe())
		}
	}
	for _, s := range order {
		if n := members[s]; n != s.size {
			c.add("V19", "the mount stack topped by %s counts %d mounts, %d are in it", s.top.describe(), s.size, n)
		}
	}
}
