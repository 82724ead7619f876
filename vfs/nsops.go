package vfs

import (
	"fmt"
	"slices"
)

// Namespace operations: what the VFS needs from, and offers to, the package
// that models kernel/nsproxy.c (package nsproxy). Linux keeps a task's
// namespaces in task->nsproxy, and the mount namespace's reference is the
// nsproxy's; vfs knows only the mount namespace, so the rest is the
// package's, installed with SetNamespaceOps.

// Namespace is a namespace as /proc/PID/ns/NAME shows it and setns(2)
// takes it (struct ns_common with its proc_ns_operations).
type Namespace interface {
	// NSType is the namespace's CLONE_NEW* flag.
	NSType() uint64
	// NSName is its name in /proc/PID/ns: "mnt", "uts", ...
	NSName() string
	// Inum is its proc inode number (ns_common.inum).
	Inum() uint64
	// NSGet takes a reference (an open namespace file's), NSPut drops it.
	NSGet()
	NSPut()
}

// NamespaceOps are the namespace operations a Kernel calls at clone and
// exit, and asks for the leak and invariant checks.
type NamespaceOps interface {
	// AdoptTask gives a task that existed before the operations were
	// installed its namespaces: it must take its own reference on the
	// task's mount namespace (the task's own is then dropped).
	AdoptTask(t *Task)
	// CopyNamespaces gives child, cloned from parent with flags, its
	// namespaces (models kernel/nsproxy.c:copy_namespaces) and installs
	// its mount namespace with SetMntNS.
	CopyNamespaces(flags uint64, parent, child *Task) error
	// ExitNamespaces models kernel/nsproxy.c:exit_task_namespaces.
	ExitNamespaces(t *Task)
	// MntNSRefs returns how many references the operations' objects hold
	// on ns (for invariant V15).
	MntNSRefs(ns *MountNamespace) int
	// Namespaces returns t's namespaces, for /proc/PID/ns, in the order
	// the directory lists them.
	Namespaces(t *Task) []Namespace
	// Unshare, Setns and KernSetns carry out Task's methods of the same
	// names.
	Unshare(t *Task, flags uint64) error
	Setns(t *Task, fd int, nstype uint64) error
	KernSetns(t *Task, ns Namespace) error
}

// Unshare models unshare(2) (kernel/fork.c:ksys_unshare): CLONE_FS and
// CLONE_FILES give t its own fs_struct and descriptor table; CLONE_NEW*
// flags, new namespaces, which need namespace operations (EINVAL
// without).
//
// Errors: EINVAL for unknown flags (or CLONE_NEW* without namespace
// operations), EPERM for CLONE_NEW* without CAP_SYS_ADMIN.
func (t *Task) Unshare(flags uint64) error {
	t.enter()
	if ops := t.k.nsops; ops != nil {
		return pathErr("unshare", "", ops.Unshare(t, flags))
	}
	if flags&^uint64(CLONE_FS|CLONE_FILES) != 0 {
		return pathErr("unshare", "", EINVAL)
	}
	if flags&CLONE_FS != 0 {
		t.UnshareFS()
	}
	if flags&CLONE_FILES != 0 {
		t.UnshareFiles()
	}
	return nil
}

// Setns models setns(2) with a namespace file (kernel/nsproxy.c:setns):
// EBADF, EINVAL (not a namespace file, nstype mismatch, a shared
// fs_struct for a mount namespace), EPERM (capabilities). Without
// namespace operations every call is EINVAL.
func (t *Task) Setns(fd int, nstype uint64) error {
	t.enter()
	ops := t.k.nsops
	if ops == nil {
		return pathErr("setns", fdName(fd), EINVAL)
	}
	return pathErr("setns", fdName(fd), ops.Setns(t, fd, nstype))
}

// KernSetns models seed patch 09's kern_setns: t enters namespace ns,
// with setns(2)'s checks, without a descriptor (checkpoint knows the
// namespace of the file it relinks).
func (t *Task) KernSetns(ns Namespace) error {
	ops := t.k.nsops
	if ops == nil {
		return EINVAL
	}
	return ops.KernSetns(t, ns)
}

// SetNamespaceOps installs the namespace operations. Every live task is
// adopted (AdoptTask) and stops holding its mount namespace itself.
func (k *Kernel) SetNamespaceOps(ops NamespaceOps) {
	if k.nsops != nil {
		Bug("SetNamespaceOps: namespace operations installed twice")
	}
	k.nsops = ops
	for _, t := range k.tasks {
		if t.ownsMntNS {
			ops.AdoptTask(t)
			t.ownsMntNS = false
			PutMntNS(t.mntns)
		}
	}
}

// NamespaceOps returns the installed namespace operations, or nil.
func (k *Kernel) NamespaceOps() NamespaceOps { return k.nsops }

// SetMntNS makes ns the mount namespace t works in, as switching
// task->nsproxy does. The reference is the caller's (the nsproxy's); t
// takes none.
func (t *Task) SetMntNS(ns *MountNamespace) {
	if t.ownsMntNS {
		Bug("%s: SetMntNS on a task that holds its namespace itself", t)
	}
	t.mntns = ns
}

// NSType implements Namespace: CLONE_NEWNS.
func (ns *MountNamespace) NSType() uint64 { return CLONE_NEWNS }

// NSName implements Namespace: "mnt".
func (ns *MountNamespace) NSName() string { return "mnt" }

// Inum implements Namespace.
func (ns *MountNamespace) Inum() uint64 { return ns.inum }

// NSGet implements Namespace (get_mnt_ns).
func (ns *MountNamespace) NSGet() { GetMntNS(ns) }

// NSPut implements Namespace (put_mnt_ns).
func (ns *MountNamespace) NSPut() { PutMntNS(ns) }

// AllocInum models fs/proc/generic.c:proc_alloc_inum: the next namespace
// inode number of this kernel (from 0xF0000000, PROC_DYNAMIC_FIRST).
func (k *Kernel) AllocInum() uint64 {
	k.nextInum++
	return 0xF0000000 + k.nextInum
}

// CopyMntNS models fs/namespace.c:copy_mnt_ns for CLONE_NEWNS: a new
// mount namespace holding a copy of old's whole mount tree — new mounts
// over the same superblocks and dentries, in the same order — and t's
// root and working directory, when they are on mounts of old, moved onto
// the copies (t's fs_struct must be t's alone: unshare_fs or a clone
// without CLONE_FS saw to it). The caller owns the new namespace's
// reference.
func (t *Task) CopyMntNS(old *MountNamespace) *MountNamespace {
	k := t.k
	if t.fs.refs != 1 {
		Bug("copy_mnt_ns: %s's fs_struct is shared", t)
	}
	ns := k.newMntNS()
	copies := map[*Mount]*Mount{}
	root := k.copyTreeMap(old.root, old.root.root, copies)
	root.parent = root
	ns.root = root
	// The copies join the namespace in the order they were made (copy_tree
	// walks the tree depth first), which is the order of their ids: 6.18
	// keeps a namespace's mounts sorted by creation (mnt_id_unique), and
	// mountinfo lists them so.
	for _, m := range old.mounts {
		if c := copies[m]; c != nil {
			c.ns = ns
			c.attached = true
			ns.mounts = append(ns.mounts, c)
		}
	}
	slices.SortFunc(ns.mounts, func(a, b *Mount) int { return a.id - b.id })
	move := func(p Path) (Path, bool) {
		if c := copies[p.Mnt]; c != nil {
			return PathGet(Path{c, p.Dentry}), true
		}
		return Path{}, false
	}
	if p, ok := move(t.fs.root); ok {
		t.fs.setRoot(p)
	}
	if p, ok := move(t.fs.pwd); ok {
		t.fs.setPwd(p)
	}
	if k.Tracing() {
		k.Tracef("fs/namespace.c:copy_mnt_ns", "%s -> %s (%d mounts)", old.describe(), ns.describe(), len(ns.mounts))
	}
	return ns
}

// copyTreeMap is copyTree that records each copy.
func (k *Kernel) copyTreeMap(m *Mount, root *Dentry, copies map[*Mount]*Mount) *Mount {
	m.sb.refs++
	clone := k.newMount(m.sb, root)
	clone.readonly = m.readonly
	copies[m] = clone
	for _, c := range m.children {
		if c.mountpoint != root && !isAncestor(root, c.mountpoint) {
			continue
		}
		k.linkMnt(k.copyTreeMap(c, c.root, copies), Path{clone, c.mountpoint})
	}
	return clone
}

// MntnsInstall models fs/namespace.c:mntns_install for setns(2) (and the
// seed's kern_setns): it checks that t may enter ns and moves t's root and
// working directory to ns's root. The caller's nsproxy then takes the
// namespace (SetMntNS).
//
// Errors, in order:
//   - EPERM: t lacks CAP_SYS_ADMIN (in ns's user namespace and its own) or
//     CAP_SYS_CHROOT.
//   - EINVAL: t's fs_struct is shared with another task (CLONE_FS).
func (t *Task) MntnsInstall(ns *MountNamespace) error {
	if !t.NsCapable(CAP_SYS_ADMIN) || !t.Capable(CAP_SYS_CHROOT) || !t.Capable(CAP_SYS_ADMIN) {
		return EPERM
	}
	if t.fs.refs != 1 {
		return EINVAL
	}
	root := Path{ns.root, ns.root.root}
	t.fs.setRoot(PathGet(root))
	t.fs.setPwd(PathGet(root))
	return nil
}

// UnshareFS models kernel/fork.c:unshare_fs for unshare(CLONE_FS) (and
// CLONE_NEWNS, which implies it): a task sharing its fs_struct gets a copy
// of its own.
func (t *Task) UnshareFS() {
	if t.fs.refs > 1 {
		old := t.fs
		t.fs = copyFSStruct(old)
		putFSStruct(old)
	}
}

// UnshareFiles models kernel/fork.c:unshare_fd for unshare(CLONE_FILES).
func (t *Task) UnshareFiles() {
	if t.files.refs > 1 {
		old := t.files
		t.files = dupFD(old)
		putFiles(old)
	}
}

// FSStruct returns the task's fs_struct; Files its descriptor table.
func (t *Task) FSStruct() *FSStruct    { return t.fs }
func (t *Task) Files() *FilesStruct    { return t.files }
func (t *Task) Dead() bool             { return t.dead }
func (t *Task) OwnsMntNS() bool        { return t.ownsMntNS }
func (ns *MountNamespace) Refs() int64 { return ns.refs }

// Capable models kernel/capability.c:capable: whether t's credentials
// carry cap. Every capability check of the simulator goes through
// Cred.Capable, which this and NsCapable call.
func (t *Task) Capable(cap Capability) bool { return t.cred.Capable(cap) }

// NsCapable models kernel/capability.c:ns_capable. The simulator has one
// user namespace, so it is Capable.
func (t *Task) NsCapable(cap Capability) bool { return t.cred.Capable(cap) }

// Object is a reference-counted kernel object of a package above vfs (an
// nsproxy, a namespace, a checkpoint's deferred work), accounted by the
// Kernel like its own: Shutdown reports one still alive as a leak, by
// kind and description. Embed it and call Track once.
type Object struct {
	kobj
	k        *Kernel
	kindName string
	desc     func() string
}

func (o *Object) kind() string     { return o.kindName }
func (o *Object) describe() string { return o.desc() }

// Track registers o with k, with one reference.
func (k *Kernel) Track(o *Object, kind string, describe func() string) {
	o.k, o.kindName, o.desc = k, kind, describe
	o.refs = 1
	k.register(o, &o.kobj)
}

// Refs returns o's reference count.
func (o *Object) Refs() int64 { return o.refs }

// ObjectID returns o's registry id.
func (o *Object) ObjectID() uint64 { return o.id }

// Get takes a reference.
func (o *Object) Get() {
	if o.refs <= 0 {
		Bug("%s: reference on a freed object", o.describe())
	}
	o.refs++
}

// Put drops a reference and reports whether it was the last, in which
// case o is no longer tracked (the caller frees what it holds).
func (o *Object) Put() bool {
	if o.refs <= 0 {
		Bug("%s: put with no references", o.describe())
	}
	o.refs--
	if o.refs > 0 {
		return false
	}
	o.k.unregister(&o.kobj)
	return true
}

type checkerEntry struct {
	name string
	fn   func() []Violation
}

// AddChecker registers an invariant check of a package above vfs: it runs
// with CheckInvariants, its violations reported with the kernel's own.
func (k *Kernel) AddChecker(name string, fn func() []Violation) {
	k.checkers = append(k.checkers, checkerEntry{name, fn})
}

func (ns *MountNamespace) String() string { return fmt.Sprintf("mnt:[%d]", ns.inum) }

// NamespaceFiles returns how many /proc/PID/ns entries (in-core proc
// inodes, each holding a reference) refer to ns.
func (k *Kernel) NamespaceFiles(ns Namespace) int {
	n := 0
	for o := range k.liveObjects() {
		if i, ok := o.(*Inode); ok && i.Private == ns && i.Sb.fsType.Name() == "proc" {
			n++
		}
	}
	return n
}

// Namespace returns the mount namespace m is attached in (nil for a
// detached mount).
func (m *Mount) Namespace() *MountNamespace { return m.ns }

// InstallFile puts f in descriptor slot fd of t's table, taking a new
// reference, closing what the slot held (models fs/file.c:fd_install as
// the restart code uses it to give a restored file its old number).
// EBADF for a negative fd or one not below RLIMIT_NOFILE.
func (t *Task) InstallFile(fd int, f *File) error {
	if fd < 0 || uint64(fd) >= t.nofile.Cur {
		return EBADF
	}
	fdt := t.files
	for len(fdt.fds) <= fd {
		fdt.fds = append(fdt.fds, nil)
	}
	old := fdt.fds[fd]
	fdt.fds[fd] = Fget(f)
	if old != nil {
		Fput(old)
	}
	return nil
}

// ShareFiles makes t use other's descriptor table (what clone with
// CLONE_FILES gives; the restart code rebuilds sharing with it).
func (t *Task) ShareFiles(other *Task) {
	if t.files == other.files {
		return
	}
	old := t.files
	t.files = getFiles(other.files)
	putFiles(old)
}

// ShareFS makes t use other's fs_struct (CLONE_FS's sharing).
func (t *Task) ShareFS(other *Task) {
	if t.fs == other.fs {
		return
	}
	old := t.fs
	t.fs = getFSStruct(other.fs)
	putFSStruct(old)
}

// Ext returns the value a package above vfs keeps on k under key (nil
// when none); SetExt sets it. The kernel does not look at them.
func (k *Kernel) Ext(key any) any { return k.ext[key] }

// SetExt keeps v on k under key.
func (k *Kernel) SetExt(key, v any) {
	if k.ext == nil {
		k.ext = map[any]any{}
	}
	k.ext[key] = v
}

// Root, Pwd and Umask return the fs_struct's root, working directory and
// umask (the caller does not own references).
func (fs *FSStruct) Root() Path      { return fs.root }
func (fs *FSStruct) Pwd() Path       { return fs.pwd }
func (fs *FSStruct) Umask() FileMode { return fs.umask }
func (fs *FilesStruct) FDs() []int {
	var out []int
	for fd, f := range fs.fds {
		if f != nil {
			out = append(out, fd)
		}
	}
	return out
}

// File returns the file in slot fd, or nil.
func (fs *FilesStruct) File(fd int) *File {
	if fd < 0 || fd >= len(fs.fds) {
		return nil
	}
	return fs.fds[fd]
}

// PipeData returns a copy of the bytes buffered in a fifo's pipe (what
// checkpoint saves of it, seed patch 05), or nil.
func (i *Inode) PipeData() []byte {
	if i.pipe == nil {
		return nil
	}
	return append([]byte(nil), i.pipe.buf...)
}

// SetRootPwd sets the task's root and working directory to root and pwd
// (taking new references), as set_fs_root and set_fs_pwd do.
func (t *Task) SetRootPwd(root, pwd Path) {
	t.fs.setRoot(PathGet(root))
	t.fs.setPwd(PathGet(pwd))
}

// SetCred replaces the file's credentials (f_cred), as the restart code
// gives a reopened file the credentials it had at checkpoint.
func (f *File) SetCred(c *Cred) { f.cred = c }

// RelinkDir returns the relink directory (s_relink_dir, set by the
// relink= mount option) of the filesystem path is on, "" when none is set.
func (t *Task) RelinkDir(path string) (string, error) {
	sb, err := t.SuperblockOf(path)
	if err != nil {
		return "", err
	}
	return sb.RelinkDir(), nil
}
