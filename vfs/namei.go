package vfs

import "strings"

// Limits of the path walk (include/uapi/linux/limits.h, include/linux/namei.h).
const (
	// NAME_MAX is the longest name tmpfs (and ext4, btrfs) accept; longer
	// names fail with ENAMETOOLONG in the filesystem's lookup.
	NAME_MAX = 255
	// PATH_MAX counts the terminating NUL: a path of 4096 bytes or more
	// fails with ENAMETOOLONG before any lookup.
	PATH_MAX = 4096
	// MAXSYMLINKS bounds the symlinks one lookup may follow (ELOOP).
	MAXSYMLINKS = 40
)

// cString checks strings a system call takes as C strings (paths, a
// symlink's target, mount's source, type and data). Linux reads up to the
// first NUL, so a Go string with a NUL inside cannot be passed whole: Go's
// syscall package refuses it with EINVAL before making the call
// (syscall.ByteSliceFromString), and so does the simulator, before the
// call does anything — so that a script gets the same answer from both.
func cString(ss ...string) error {
	for _, s := range ss {
		if strings.IndexByte(s, 0) >= 0 {
			return EINVAL
		}
	}
	return nil
}

// lookupFlags are the LOOKUP_* flags of fs/namei.c.
type lookupFlags uint

const (
	// lookupFollow follows a symlink in the last component (LOOKUP_FOLLOW).
	lookupFollow lookupFlags = 1 << iota
	// lookupDirectory requires the result to be a directory
	// (LOOKUP_DIRECTORY); a trailing slash sets it, with lookupFollow.
	lookupDirectory
	// lookupEmpty allows an empty path, meaning the dirfd itself
	// (LOOKUP_EMPTY, from AT_EMPTY_PATH).
	lookupEmpty
	// lookupLinkatEmpty applies linkat's credential rule to an empty path
	// (LOOKUP_LINKAT_EMPTY).
	lookupLinkatEmpty
)

// lastType classifies the last component (LAST_NORM, LAST_ROOT, ...).
type lastType uint8

const (
	lastNorm lastType = iota
	lastRoot
	lastDot
	lastDotDot
)

// nameidata is loosely analogous to Linux's struct nameidata: the state of
// one path walk. path is the current position and holds references, but
// in RCU mode; root is the task's root, borrowed.
//
// A walk starts in RCU mode (LOOKUP_RCU), as Linux's path_lookupat first
// tries: while every directory it passes is in the dentry cache and asks
// for no revalidation, it moves from dentry to dentry, and across mounts,
// holding no references (walkRCU). Anything else — a
// cache miss (which takes the directory's lock, a preemption point), a
// symlink, "..", a revalidating filesystem — first legitimizes the walk
// (unlazy, Linux's try_to_unlazy): it takes references on the current
// position and goes on in ref-walk mode, and so does the end of the walk
// of the components before the last. Linux's RCU walk is safe because
// seqcounts detect a concurrent rename; the simulator's is because nothing
// else runs in the middle of it: a task is only preempted at a lock or a
// marked preemption point (lock.go), and RCU mode ends before either.
type nameidata struct {
	t          *Task
	path       Path
	rcu        bool // LOOKUP_RCU: path holds no references
	root       Path
	flags      lookupFlags
	last       string
	lastType   lastType
	trailing   bool // the last component was followed by '/'
	totalLinks int
}

// release drops the walk's references.
func (nd *nameidata) release() {
	if nd.path.Mnt != nil && !nd.rcu {
		PathPut(nd.path)
	}
	nd.path, nd.rcu = Path{}, false
}

// unlazy models fs/namei.c:try_to_unlazy: it leaves RCU mode, taking
// references on the walk's current position (it always succeeds here:
// nothing can have changed under an RCU walk, see nameidata).
func (nd *nameidata) unlazy() {
	if nd.rcu {
		nd.rcu = false
		nd.path = PathGet(nd.path)
	}
}

// walkRCU models fs/namei.c:lookup_fast and step_into in RCU mode: it moves
// the walk onto comp's cached dentry, crossing what is mounted on it
// (__follow_mount_rcu), without taking references. It reports false, and
// does nothing, where RCU mode cannot go on: comp is not cached, is a
// symlink, or the directory's filesystem revalidates its dentries.
func (nd *nameidata) walkRCU(comp string) bool {
	parent := nd.path.Dentry
	d := parent.child(comp)
	if d == nil || d.inode.Mode.IsSymlink() {
		return false
	}
	if parent.revalidates {
		return false
	}
	p := Path{nd.path.Mnt, d}
	if d.mounted != 0 {
		if m := nd.t.k.lookupMnt(p.Mnt, d); m != nil {
			top := m.stack.top
			p = Path{top, top.root}
		}
	}
	nd.path = p
	return true
}

// setPath moves the walk to p, taking over p's references.
func (nd *nameidata) setPath(p Path) {
	if nd.rcu {
		Bug("setPath in RCU mode: unlazy first")
	}
	PathPut(nd.path)
	nd.path = p
}

// canLookup models include/linux/dcache.h:d_can_lookup: a directory with a
// lookup operation.
func canLookup(i *Inode) bool {
	if i == nil || !i.Mode.IsDir() {
		return false
	}
	_, ok := i.Ops.(Lookuper)
	return ok
}

// pathInit models fs/namei.c:path_init plus getname's length check: where
// the walk of name starts. It fills nd, which the caller owns (so that a
// walk allocates nothing).
func (t *Task) pathInit(nd *nameidata, dfd int, name string, flags lookupFlags) error {
	if err := cString(name); err != nil {
		return err
	}
	if len(name) >= PATH_MAX {
		return ENAMETOOLONG
	}
	if name == "" && flags&lookupEmpty == 0 {
		return ENOENT
	}
	*nd = nameidata{t: t, root: t.fs.root, flags: flags, lastType: lastRoot, rcu: true}
	switch {
	case name != "" && name[0] == '/':
		nd.path = t.fs.root
	case dfd == AT_FDCWD:
		nd.path = t.fs.pwd
	default:
		f, err := t.fget(dfd)
		if err != nil {
			return err
		}
		if name != "" && !canLookup(f.inode) {
			return ENOTDIR
		}
		if name == "" && flags&lookupLinkatEmpty != 0 &&
			f.cred != t.cred && !t.cred.Capable(CAP_DAC_READ_SEARCH) {
			// The 6.10 rule: flink() of a file opened by somebody else
			// needs CAP_DAC_READ_SEARCH; it fails as if the name did not
			// exist.
			return ENOENT
		}
		nd.path = f.path
	}
	return nil
}

// linkPathWalk models fs/namei.c:link_path_walk: it walks every component of
// name but the last, following symlinks and crossing mounts, and leaves the
// last component in nd.last for the caller. Search permission is checked on
// each directory passed, including the last component's parent.
func (nd *nameidata) linkPathWalk(name string) error {
	name = skipSlashes(name)
	if name == "" {
		nd.last, nd.lastType, nd.trailing = "", lastRoot, false
		return nil
	}
	for {
		if err := nd.t.permission(nd.path.Dentry.inode, MAY_EXEC); err != nil {
			return err
		}
		// The component up to the next slash (hash_name, without the
		// hash), and what follows the slashes after it.
		n := 0
		for n < len(name) && name[n] != '/' {
			n++
		}
		comp, slash := name[:n], n < len(name)
		typ := lastNorm
		if comp[0] == '.' {
			switch comp {
			case ".":
				typ = lastDot
			case "..":
				typ = lastDotDot
			}
		}
		rest := skipSlashes(name[n:])
		if rest == "" {
			nd.last, nd.lastType, nd.trailing = comp, typ, slash
			return nil
		}
		name = rest
		if err := nd.walkIntermediate(comp, typ); err != nil {
			return err
		}
		if !nd.path.Dentry.lookupDir {
			return ENOTDIR
		}
	}
}

// skipSlashes returns s without its leading slashes.
func skipSlashes(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}

// walkIntermediate models fs/namei.c:walk_component(nd, WALK_MORE): it steps
// into a component that is not the last, always following a symlink there.
func (nd *nameidata) walkIntermediate(comp string, typ lastType) error {
	if nd.rcu {
		if typ == lastDot || typ == lastNorm && nd.walkRCU(comp) {
			return nil
		}
		nd.unlazy()
	}
	switch typ {
	case lastDot:
		return nil
	case lastDotDot:
		return nd.followDotDot()
	}
	d, err := nd.t.k.lookupCached(nd.path.Dentry, comp)
	if err != nil {
		return err
	}
	link, isLink := nd.stepInto(d, true)
	if !isLink {
		return nil
	}
	body, jumped, err := nd.pickLink(link)
	if err != nil || jumped {
		return err
	}
	if err := nd.linkPathWalk(body); err != nil {
		return err
	}
	if nd.lastType == lastRoot {
		return nil
	}
	return nd.walkIntermediate(nd.last, nd.lastType)
}

// lookupLast models fs/namei.c:lookup_last together with the loop of
// path_lookupat: it resolves the last component, following a final symlink
// when the walk asks to (a trailing slash asks to, and also demands a
// directory), and loops over the symlink body's own last component.
func (nd *nameidata) lookupLast() error {
	nd.unlazy()
	for {
		if nd.lastType == lastNorm && nd.trailing {
			nd.flags |= lookupFollow | lookupDirectory
		}
		switch nd.lastType {
		case lastRoot, lastDot:
			return nil
		case lastDotDot:
			return nd.followDotDot()
		}
		d, err := nd.t.k.lookupCached(nd.path.Dentry, nd.last)
		if err != nil {
			return err
		}
		link, isLink := nd.stepInto(d, nd.flags&lookupFollow != 0)
		if !isLink {
			return nil
		}
		body, jumped, err := nd.pickLink(link)
		if err != nil || jumped {
			return err
		}
		if err := nd.linkPathWalk(body); err != nil {
			return err
		}
	}
}

// stepInto models fs/namei.c:step_into: it moves the walk onto the dentry d
// (taking over the caller's reference), crossing any mounts on it. If d is a
// symlink to follow, the walk stays in the directory containing it and the
// link's path is returned (with references, and true) for pickLink.
func (nd *nameidata) stepInto(d *Dentry, follow bool) (Path, bool) {
	p := nd.t.k.followMounts(Path{Mntget(nd.path.Mnt), d})
	if follow && p.Dentry.inode.Mode.IsSymlink() {
		return p, true
	}
	nd.setPath(p)
	return Path{}, false
}

// pickLink models fs/namei.c:pick_link: count the link against MAXSYMLINKS
// and read its body. A magic link (/proc/self/fd/N) instead jumps the walk
// straight to its target (nd_jump_link) and reports jumped. An absolute body
// restarts the walk at the task's root.
func (nd *nameidata) pickLink(link Path) (body string, jumped bool, err error) {
	defer PathPut(link)
	nd.totalLinks++
	if nd.totalLinks > MAXSYMLINKS {
		return "", false, ELOOP
	}
	inode := link.Dentry.inode
	body = inode.Link
	if inode.getLink != nil {
		jump, text, err := inode.getLink(nd.t)
		if err != nil {
			return "", false, err
		}
		if jump != nil {
			nd.setPath(*jump)
			nd.lastType, nd.last, nd.trailing = lastRoot, "", false
			return "", true, nil
		}
		body = text
	}
	if body == "" {
		return "", false, ENOENT
	}
	if body[0] == '/' {
		nd.setPath(PathGet(nd.root))
	}
	return body, false, nil
}

// followDotDot models fs/namei.c:follow_dotdot and handle_dots' step_into:
// ".." never leaves the task's root; from a mount's root it climbs to the
// mountpoint below (chooseMountpoint) and takes that dentry's parent. At
// the root, or where there is nothing to climb to, it stays on the
// dentry it is on. Either way the walk then crosses whatever is mounted
// on the dentry it reached (step_into, traverse_mounts): ".." at a root
// that something was mounted on lands on the top of that mount (checked
// on Linux 6.18: after mount --bind /tmp/a /, ls /.. lists /tmp/a).
func (nd *nameidata) followDotDot() error {
	k := nd.t.k
	if nd.path != nd.root {
		if nd.path.Dentry == nd.path.Mnt.root {
			mp, ok := k.chooseMountpoint(nd.path.Mnt, nd.root)
			if !ok {
				nd.setPath(k.followMounts(PathGet(nd.path))) // in_root
				return nil
			}
			nd.setPath(PathGet(mp))
		}
		nd.setPath(k.followMounts(Path{Mntget(nd.path.Mnt), Dget(nd.path.Dentry.parent)}))
		return nil
	}
	nd.setPath(k.followMounts(PathGet(nd.path))) // in_root
	return nil
}

// chooseMountpoint models fs/namei.c:choose_mountpoint: from the root of
// mount m, down through the mounts it is mounted on, to the first
// mountpoint that is not itself a mount's root; false when the walk meets
// the task's root or a mount with no parent first. Linux takes one step
// per mount of a stack; the simulator jumps to the stack's bottom
// (mountstack.go) unless the task's root is on a mount of that stack,
// where it walks, as Linux does, so as to stop there.
func (k *Kernel) chooseMountpoint(m *Mount, root Path) (Path, bool) {
	for m.parent != nil && m.parent != m {
		if s := m.stack; s.bottom != m && root.Mnt.stack != s {
			m = s.bottom
		}
		k.stats.MountSteps++
		mp := m.mountpoint
		m = m.parent
		if root.Mnt == m && root.Dentry == mp {
			return Path{}, false
		}
		if mp != m.root {
			return Path{m, mp}, true
		}
	}
	return Path{}, false
}

// followMounts models fs/namei.c:traverse_mounts: while something is
// mounted on p, move to the root of the topmost mount. Linux climbs a
// stack of mounts one lookup per mount; the simulator goes to the top of
// the stack the first mount is in (mountstack.go), which is where that
// loop ends. It takes over p's references and returns the result with
// references.
func (k *Kernel) followMounts(p Path) Path {
	if p.Dentry.mounted == 0 {
		return p
	}
	m := k.lookupMnt(p.Mnt, p.Dentry)
	if m == nil {
		return p
	}
	top := m.stack.top
	np := Path{Mntget(top), Dget(top.root)}
	PathPut(p)
	return np
}

// lookupCached models fs/namei.c:lookup_fast falling back to lookup_slow: the
// child of parent named name from the dentry cache, or from the filesystem's
// Lookup under the directory's i_rwsem (shared). It returns a referenced
// positive dentry or an errno (ENOENT, ENAMETOOLONG, ...).
func (k *Kernel) lookupCached(parent *Dentry, name string) (*Dentry, error) {
	if d := cachedChild(parent, name); d != nil {
		return Dget(d), nil
	}
	dir := parent.inode
	k.InodeLockShared(dir, "lookup_slow")
	defer k.InodeUnlockShared(dir, "lookup_slow")
	if d := cachedChild(parent, name); d != nil {
		return Dget(d), nil
	}
	return k.lookupSlowLocked(parent, name)
}

// Revalidater is implemented by the Ops of a directory whose cached
// children can go stale (d_revalidate): a child it refuses is dropped from
// the cache (d_invalidate; its users keep it) and looked up afresh.
type Revalidater interface {
	Revalidate(dir *Inode, d *Dentry) bool
}

// cachedChild is parent's cached child called name, revalidated.
func cachedChild(parent *Dentry, name string) *Dentry {
	d := parent.child(name)
	if d == nil {
		return nil
	}
	if !parent.revalidates {
		return d
	}
	if rv := parent.inode.Ops.(Revalidater); !rv.Revalidate(parent.inode, d) {
		dDrop(d)
		return nil
	}
	return d
}

// lookupSlowLocked asks the filesystem for name in parent and caches the
// positive result. Preconditions: parent's i_rwsem is held.
func (k *Kernel) lookupSlowLocked(parent *Dentry, name string) (*Dentry, error) {
	dir := parent.inode
	if dir.IsDeadDir() {
		return nil, ENOENT
	}
	lk, ok := dir.Ops.(Lookuper)
	if !ok {
		return nil, ENOTDIR
	}
	inode, err := lk.Lookup(dir, name)
	if err != nil {
		return nil, err
	}
	d := dAlloc(parent, name)
	d.inode = inode
	inode.addAlias(d)
	dAdd(d)
	return d, nil
}

// lookupForCreate models fs/namei.c:lookup_one_qstr_excl: with the parent
// locked exclusively, the existing dentry for name (positive, referenced) or
// a new negative unhashed one for the caller to instantiate.
func (k *Kernel) lookupForCreate(parent *Dentry, name string) (*Dentry, error) {
	if parent.inode.rwsem.holder != k.current {
		Bug("lookup_one_qstr_excl without the parent's i_rwsem")
	}
	if d := parent.child(name); d != nil {
		return Dget(d), nil
	}
	d, err := k.lookupSlowLocked(parent, name)
	if err == ENOENT && !parent.inode.IsDeadDir() {
		return dAlloc(parent, name), nil
	}
	return d, err
}

// lookupPath models fs/namei.c:filename_lookup (path_lookupat): the full
// lookup of name relative to dfd. It returns the result with references.
func (t *Task) lookupPath(dfd int, name string, flags lookupFlags) (Path, error) {
	var nd nameidata
	err := t.pathInit(&nd, dfd, name, flags)
	if err != nil {
		return Path{}, err
	}
	if err = nd.linkPathWalk(name); err == nil {
		err = nd.lookupLast()
	}
	if err == nil && nd.flags&lookupDirectory != 0 && !nd.path.Dentry.lookupDir {
		err = ENOTDIR
	}
	if err != nil {
		nd.release()
		return Path{}, err
	}
	return nd.path, nil
}

// lookupParent models fs/namei.c:filename_parentat: the walk stops at the
// last component's directory. It fills nd, which the caller owns (so that
// the walk allocates nothing); on success nd holds a reference on that
// directory (release it) and describes the last component.
func (t *Task) lookupParent(nd *nameidata, dfd int, name string) error {
	if err := t.pathInit(nd, dfd, name, 0); err != nil {
		return err
	}
	if err := nd.linkPathWalk(name); err != nil {
		nd.release()
		return err
	}
	nd.unlazy()
	return nil
}

// dPath models fs/d_path.c:d_path: the path of p as seen from root (the
// namespace root when root is the zero Path), with " (deleted)" appended
// for an unlinked dentry.
func (k *Kernel) dPath(p Path, root Path) string {
	s, _ := k.dPathFrom(p, root)
	return s
}

// dPathFrom is dPath that also reports whether the walk up reached root
// (prepend_path's "unreachable").
func (k *Kernel) dPathFrom(p Path, root Path) (string, bool) {
	if p.Mnt == nil {
		return "<released>", false
	}
	var parts []string
	d, m := p.Dentry, p.Mnt
	reachable := root.Mnt == nil
	for {
		if root.Mnt != nil && d == root.Dentry && m == root.Mnt {
			reachable = true
			break
		}
		if d == m.root {
			if m.parent == nil || m.parent == m {
				break
			}
			d, m = m.mountpoint, m.parent
			continue
		}
		if d.IsRoot() {
			// prepend_path's "escaped": a root that is not the
			// mount's (a disconnected dentry, or one moved out of a
			// bind mount's subtree) gives "/" alone.
			parts = nil
			break
		}
		parts = append(parts, d.name)
		d = d.parent
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	s := b.String()
	if s == "" {
		s = "/"
	}
	if p.Dentry.Unlinked() {
		s += " (deleted)"
	}
	return s, reachable
}

// DPath returns the path of p as the task sees it (d_path against the
// task's root), as /proc/self/fd/N shows it.
func (t *Task) DPath(p Path) string { return t.k.dPath(p, t.fs.root) }

// KernPath models fs/namei.c:kern_path(name, LOOKUP_FOLLOW, &path), the
// in-kernel lookup of a name: from t's root (an absolute name) or working
// directory, following every mount on the way (a name lands on the topmost
// mount of an overmounted directory) and a final symlink. The caller owns
// the returned Path's references (PathPut).
//
// Errors: those of the path walk (ENOENT, ENOTDIR, ELOOP, EACCES, ...).
func (t *Task) KernPath(name string) (Path, error) {
	t.enter()
	p, err := t.lookupPath(AT_FDCWD, name, lookupFollow)
	if err != nil {
		return Path{}, pathErr("kern_path", name, err)
	}
	return p, nil
}

// createCtx is the state filename_create hands to mkdir, mknod, symlink and
// link: the parent directory (locked), the new negative dentry, and the
// write access taken on the mount. done models fs/namei.c:done_path_create.
type createCtx struct {
	t        *Task
	nd       nameidata
	d        *Dentry
	mntWrite bool
}

// dir returns the locked parent directory's inode.
func (c *createCtx) dir() *Inode { return c.nd.path.Dentry.inode }

func (c *createCtx) done() {
	c.t.k.InodeUnlock(c.dir(), "done_path_create")
	Dput(c.d)
	if c.mntWrite {
		mntDropWrite(c.nd.path.Mnt)
	}
	c.nd.release()
}

// filenameCreate models fs/namei.c:filename_create: it looks up the parent
// of name, locks it, and fills c (the caller's, so that nothing is
// allocated) with a negative dentry for the new name; call c.done after.
//
// Errors, in order: those of the parent walk; EEXIST for a last component
// that is ".", ".." or "/"; EEXIST when the name exists; ENOENT for a
// trailing slash on a name that is not a directory being made (wantDir);
// ENOENT when the directory was removed; EROFS on a read-only mount —
// reported last, so that a read-only mount still says EEXIST for an
// existing name.
func (t *Task) filenameCreate(c *createCtx, dfd int, name string, wantDir bool) error {
	nd := &c.nd
	if err := t.lookupParent(nd, dfd, name); err != nil {
		return err
	}
	if nd.lastType != lastNorm {
		nd.release()
		return EEXIST
	}
	roErr := mntWantWrite(nd.path.Mnt)
	c.t, c.mntWrite = t, roErr == nil
	t.k.InodeLock(nd.path.Dentry.inode, "filename_create")
	d, err := t.k.lookupForCreate(nd.path.Dentry, nd.last)
	switch {
	case err != nil:
	case d.inode != nil:
		err = EEXIST
	case nd.trailing && !wantDir:
		err = ENOENT
	default:
		err = roErr
	}
	c.d = d
	if err != nil {
		c.done()
		return err
	}
	return nil
}
