package vfs

import (
	"sort"
	"strconv"
)

// procType is a minimal procfs, the part of fs/proc the relink story needs:
//
//	/proc/self            symlink to the caller's pid directory
//	/proc/<pid>/cwd       magic link to the task's working directory
//	/proc/<pid>/fd/<n>    magic links to the task's open files
//	/proc/<pid>/ns/<ns>   the task's namespaces (mnt, and with package
//	                      nsproxy uts, ipc, net, pid, cgroup, time), which
//	                      setns(2) takes as descriptors
//
// Following /proc/self/fd/N does not walk the text it reads as: it jumps
// to the open file itself (nd_jump_link), so linkat(AT_FDCWD,
// "/proc/self/fd/N", ..., AT_SYMLINK_FOLLOW) reaches a file whose last name
// is gone — the way a 2011 kernel could relink one from user space. Without
// AT_SYMLINK_FOLLOW linkat tries to link the proc link itself and gets
// EXDEV. readlink shows the d_path of the file, " (deleted)" included, or
// fails with ENAMETOOLONG when that does not fit in PATH_MAX bytes with
// its NUL (do_proc_readlink's buffer), while following the link works.
//
// Differences from Linux: no other files (mountinfo and mounts are
// Task.Mountinfo and Task.MountInfo); access to another task's fd
// directory is allowed to root and to the same uid (no ptrace rules). A
// namespace entry is not a magic link into nsfs but a file of proc whose
// inode number is the namespace's (so fstat compares namespaces as on
// Linux, but st_dev is proc's and readlink answers EINVAL); the inode
// holds a reference on the namespace while it exists (as an nsfs dentry
// does).
type procType struct{}

func (procType) Name() string         { return "proc" }
func (procType) RequiresDevice() bool { return false }

func (procType) FillSuper(sb *Superblock, data string) error {
	if data != "" {
		return EINVAL
	}
	sb.DropUnused = true
	ps := &procSuper{}
	sb.Private = ps
	sb.Ops = ps
	root := sb.NewInode(1, S_IFDIR|0o555)
	root.SetNlink(2)
	root.Ops = procRootOps{}
	sb.SetRoot(MakeRoot(root))
	return nil
}

type procSuper struct{ nextIno uint64 }

// EvictInode implements InodeEvicter: a namespace entry drops its
// namespace's reference.
func (*procSuper) EvictInode(i *Inode) {
	if ns, ok := i.Private.(Namespace); ok {
		i.Private = nil
		ns.NSPut()
	}
}

// taskNamespaces returns t's namespaces as /proc/PID/ns lists them.
func taskNamespaces(t *Task) []Namespace {
	if ops := t.k.nsops; ops != nil {
		return ops.Namespaces(t)
	}
	return []Namespace{t.mntns}
}

func procInode(dir *Inode, mode FileMode) *Inode {
	ps := dir.Sb.Private.(*procSuper)
	ps.nextIno++
	return dir.Sb.NewInode(1000+ps.nextIno, mode)
}

// procRootOps serves /proc: "self" and one directory per live task.
type procRootOps struct{}

func (procRootOps) Lookup(dir *Inode, name string) (*Inode, error) {
	k := dir.Sb.k
	if name == "self" {
		i := procInode(dir, S_IFLNK|0o777)
		i.getLink = func(t *Task) (*Path, string, error) { return nil, strconv.Itoa(t.tid), nil }
		return i, nil
	}
	tid, err := strconv.Atoi(name)
	if err != nil {
		return nil, ENOENT
	}
	for _, t := range k.tasks {
		if t.tid == tid {
			i := procInode(dir, S_IFDIR|0o555)
			i.UID, i.GID = t.cred.UID, t.cred.GID
			i.SetNlink(3)
			i.Ops = procPidOps{t}
			return i, nil
		}
	}
	return nil, ENOENT
}

func (procRootOps) IterateDir(dir *Inode, pos int64, emit func(Dirent) bool) error {
	ents := []Dirent{{Name: ".", Ino: dir.Ino, Type: S_IFDIR}, {Name: "..", Ino: dir.Ino, Type: S_IFDIR}, {Name: "self", Type: S_IFLNK}}
	for _, t := range dir.Sb.k.tasks {
		ents = append(ents, Dirent{Name: strconv.Itoa(t.tid), Type: S_IFDIR})
	}
	return emitFrom(ents, pos, emit)
}

// emitFrom reports ents from index pos, each entry's Off being the next
// index.
func emitFrom(ents []Dirent, pos int64, emit func(Dirent) bool) error {
	for i := pos; i < int64(len(ents)); i++ {
		e := ents[i]
		e.Off = i + 1
		if !emit(e) {
			break
		}
	}
	return nil
}

// procPidOps serves /proc/<pid>: "fd" and "ns".
type procPidOps struct{ t *Task }

func (o procPidOps) Lookup(dir *Inode, name string) (*Inode, error) {
	if o.t.dead {
		return nil, ENOENT
	}
	switch name {
	case "fd":
		i := procInode(dir, S_IFDIR|0o500)
		i.UID, i.GID = dir.UID, dir.GID
		i.SetNlink(2)
		i.Ops = procFdOps{o.t}
		return i, nil
	case "cwd":
		// proc_cwd_link: a magic link to the task's working directory.
		owner := o.t
		i := procInode(dir, S_IFLNK|0o777)
		i.UID, i.GID = dir.UID, dir.GID
		i.getLink = func(caller *Task) (*Path, string, error) {
			if caller != owner && caller.cred.UID != 0 && caller.cred.UID != owner.cred.UID {
				return nil, "", EACCES
			}
			if owner.dead {
				return nil, "", ENOENT
			}
			p := PathGet(owner.fs.pwd)
			return &p, caller.DPath(owner.fs.pwd), nil
		}
		return i, nil
	case "ns":
		i := procInode(dir, S_IFDIR|0o511)
		i.UID, i.GID = dir.UID, dir.GID
		i.SetNlink(2)
		i.Ops = procNsOps{o.t}
		return i, nil
	}
	return nil, ENOENT
}

func (o procPidOps) IterateDir(dir *Inode, pos int64, emit func(Dirent) bool) error {
	return emitFrom([]Dirent{{Name: ".", Ino: dir.Ino, Type: S_IFDIR}, {Name: "..", Type: S_IFDIR}, {Name: "cwd", Type: S_IFLNK}, {Name: "fd", Type: S_IFDIR}, {Name: "ns", Type: S_IFDIR}}, pos, emit)
}

// procNsOps serves /proc/<pid>/ns (models fs/proc/namespaces.c): one entry
// per namespace of the task, holding a reference on it.
type procNsOps struct{ t *Task }

func (o procNsOps) Lookup(dir *Inode, name string) (*Inode, error) {
	if o.t.dead {
		return nil, ENOENT
	}
	for _, ns := range taskNamespaces(o.t) {
		if ns.NSName() == name {
			i := dir.Sb.NewInode(ns.Inum(), S_IFREG|0o444)
			i.UID, i.GID = dir.UID, dir.GID
			ns.NSGet()
			i.Private = ns
			return i, nil
		}
	}
	return nil, ENOENT
}

// Revalidate implements Revalidater: an entry names the namespace the
// task is in now (proc_ns_get_link looks it up at every open), so a cached
// one for a namespace the task has left since (unshare, setns) is stale.
func (o procNsOps) Revalidate(dir *Inode, d *Dentry) bool {
	if o.t.dead || d.inode == nil {
		return false
	}
	for _, ns := range taskNamespaces(o.t) {
		if ns.NSName() == d.name {
			return d.inode.Private == ns
		}
	}
	return false
}

func (o procNsOps) IterateDir(dir *Inode, pos int64, emit func(Dirent) bool) error {
	ents := []Dirent{{Name: ".", Ino: dir.Ino, Type: S_IFDIR}, {Name: "..", Type: S_IFDIR}}
	for _, ns := range taskNamespaces(o.t) {
		ents = append(ents, Dirent{Name: ns.NSName(), Ino: ns.Inum(), Type: S_IFREG})
	}
	return emitFrom(ents, pos, emit)
}

// NamespaceOf returns the namespace a descriptor of /proc/PID/ns/NAME is
// open on (what proc_ns_file and get_proc_ns give setns(2)), or EINVAL
// for any other file.
func (t *Task) NamespaceOf(fd int) (Namespace, error) {
	f, err := t.fget(fd)
	if err != nil {
		return nil, err
	}
	ns, ok := f.inode.Private.(Namespace)
	if !ok || f.inode.Sb.fsType.Name() != "proc" {
		return nil, EINVAL
	}
	return ns, nil
}

// procFdOps serves /proc/<pid>/fd: one magic link per open descriptor.
type procFdOps struct{ t *Task }

func (o procFdOps) Lookup(dir *Inode, name string) (*Inode, error) {
	fd, err := strconv.Atoi(name)
	if err != nil || strconv.Itoa(fd) != name {
		return nil, ENOENT
	}
	owner := o.t
	f, err := owner.fget(fd)
	if err != nil {
		return nil, ENOENT
	}
	mode := S_IFLNK
	if f.mode&fmodeRead != 0 {
		mode |= 0o500
	}
	if f.mode&fmodeWrite != 0 {
		mode |= 0o300
	}
	i := procInode(dir, mode)
	i.UID, i.GID = dir.UID, dir.GID
	// proc_fd_link: the link follows the file the descriptor holds at
	// follow time.
	i.getLink = func(caller *Task) (*Path, string, error) {
		if caller != owner && caller.cred.UID != 0 && caller.cred.UID != owner.cred.UID {
			return nil, "", EACCES
		}
		f, err := owner.fget(fd)
		if err != nil {
			return nil, "", ENOENT
		}
		p := PathGet(f.path)
		return &p, caller.DPath(f.path), nil
	}
	return i, nil
}

func (o procFdOps) IterateDir(dir *Inode, pos int64, emit func(Dirent) bool) error {
	ents := []Dirent{{Name: ".", Ino: dir.Ino, Type: S_IFDIR}, {Name: "..", Type: S_IFDIR}}
	fds := o.t.FDs()
	sort.Ints(fds)
	for _, fd := range fds {
		ents = append(ents, Dirent{Name: strconv.Itoa(fd), Type: S_IFLNK})
	}
	return emitFrom(ents, pos, emit)
}
