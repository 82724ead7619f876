package vfs

import "fmt"

// AT_* flags and AT_FDCWD (include/uapi/linux/fcntl.h).
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_EMPTY_PATH       = 0x1000
)

// Task is analogous to Linux's struct task_struct, reduced to what the VFS
// needs: credentials (task->cred), root, working directory and umask
// (task->fs, an FSStruct), the file descriptor table (task->files, a
// FilesStruct), and the mount namespace (task->nsproxy->mnt_ns).
//
// System calls are methods named after them. Each returns the Linux errno as
// its error, wrapped once in a *PathError or *LinkError naming the
// system call and path(s).
//
// The mount namespace reference: without namespace operations installed
// (Kernel.SetNamespaceOps) the task holds one reference on its namespace
// itself; with them (package nsproxy) the task's nsproxy holds it and the
// task only points at the namespace its nsproxy names.
//
// Differences from Linux:
//   - a task is a single-threaded process (no thread groups; CLONE_FS and
//     CLONE_FILES share the structures, nothing else is shared);
//   - there is no exec, so O_CLOEXEC is accepted and ignored;
//   - there are no signals: a write to a fifo without readers returns EPIPE
//     without SIGPIPE.
type Task struct {
	k     *Kernel
	tid   int
	cred  *Cred
	fs    *FSStruct
	files *FilesStruct
	mntns *MountNamespace
	// ownsMntNS: the task holds the reference on mntns (no namespace
	// operations installed).
	ownsMntNS bool
	// NS is the task's nsproxy as the namespace operations keep it (nil
	// without them); vfs does not look inside.
	NS any
	// nofile is the task's RLIMIT_NOFILE (see Setrlimit).
	nofile Rlimit
	dead   bool
	// comm is the task's name (task_struct.comm), inherited at fork.
	comm string
}

// TaskCommLen is TASK_COMM_LEN: a task's name holds at most 15 bytes (and
// the NUL).
const TaskCommLen = 16

// Comm returns the task's name (models get_task_comm), "" unless set.
func (t *Task) Comm() string { return t.comm }

// SetComm names the task, cut to TaskCommLen-1 bytes (models
// set_task_comm, as prctl(PR_SET_NAME) does).
func (t *Task) SetComm(name string) {
	if len(name) > TaskCommLen-1 {
		name = name[:TaskCommLen-1]
	}
	t.comm = name
}

func (t *Task) String() string { return fmt.Sprintf("task %d", t.tid) }

// newTask creates the first task of a namespace: at the root of ns, with
// an empty descriptor table, holding a reference on ns.
func (k *Kernel) newTask(cred *Cred, ns *MountNamespace) *Task {
	root := Path{ns.root, ns.root.root}
	t := &Task{k: k, tid: k.nextTID, cred: cred, nofile: defaultNofile}
	k.nextTID++
	t.fs = k.newFSStruct(root, root, 0o022)
	t.files = k.newFilesStruct()
	t.mntns = GetMntNS(ns)
	t.ownsMntNS = true
	k.tasks = append(k.tasks, t)
	return t
}

// Kernel returns the kernel the task runs on.
func (t *Task) Kernel() *Kernel { return t.k }

// Tid returns the task id (the init task is 1).
func (t *Task) Tid() int { return t.tid }

// Cred returns the task's current credentials.
func (t *Task) Cred() *Cred { return t.cred }

// SetCred installs new credentials (models kernel/cred.c:commit_creds, as
// after setuid(2)). Files opened before keep the old ones.
func (t *Task) SetCred(c *Cred) { t.cred = c }

// MountNamespace returns the task's mount namespace.
func (t *Task) MountNamespace() *MountNamespace { return t.mntns }

// Root and Cwd return the task's root and working directory; the caller
// does not own references.
func (t *Task) Root() Path { return t.fs.root }
func (t *Task) Cwd() Path  { return t.fs.pwd }

// enter marks the start of a system call: the task becomes current.
func (t *Task) enter() {
	if t.dead {
		Bug("%s: system call after exit", t)
	}
	t.k.current = t
	t.k.stats.Syscalls++
}

// Fork models fork(2): Clone without flags — a new task with a copy of t's
// descriptor table (the copies share open files) and of its fs_struct, the
// same credentials and namespaces.
func (t *Task) Fork() *Task {
	c, err := t.Clone(0)
	if err != nil {
		Bug("fork: %v", err) // without flags nothing can fail
	}
	return c
}

// Clone flags (include/uapi/linux/sched.h).
const (
	CLONE_NEWTIME   = 0x00000080
	CLONE_FS        = 0x00000200
	CLONE_FILES     = 0x00000400
	CLONE_NEWNS     = 0x00020000
	CLONE_SYSVSEM   = 0x00040000
	CLONE_NEWCGROUP = 0x02000000
	CLONE_NEWUTS    = 0x04000000
	CLONE_NEWIPC    = 0x08000000
	CLONE_NEWPID    = 0x20000000
	CLONE_NEWNET    = 0x40000000
)

// CLONE_NEWALL are the namespace flags.
const CLONE_NEWALL = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME

// Clone models kernel/fork.c:copy_process for what the VFS keeps: the
// child shares t's fs_struct with CLONE_FS (else gets a copy, copy_fs) and
// its descriptor table with CLONE_FILES (else a copy, copy_files), has the
// same credentials, and gets its namespaces from the namespace operations
// (copy_namespaces: CLONE_NEW* flags make new ones). Without namespace
// operations installed the child shares t's mount namespace and CLONE_NEW*
// flags are EINVAL.
//
// Errors: as copy_namespaces (EPERM without CAP_SYS_ADMIN for CLONE_NEW*,
// EINVAL for CLONE_NEWIPC with CLONE_SYSVSEM).
func (t *Task) Clone(flags uint64) (*Task, error) {
	t.enter()
	k := t.k
	if flags&CLONE_NEWNS != 0 && flags&CLONE_FS != 0 {
		return nil, EINVAL // copy_process: a new mount namespace needs its own fs_struct
	}
	c := &Task{k: k, tid: k.nextTID, cred: t.cred, nofile: t.nofile, comm: t.comm}
	if flags&CLONE_FS != 0 {
		c.fs = getFSStruct(t.fs)
	} else {
		c.fs = copyFSStruct(t.fs)
	}
	if flags&CLONE_FILES != 0 {
		c.files = getFiles(t.files)
	} else {
		c.files = dupFD(t.files)
	}
	if ops := k.nsops; ops != nil {
		if err := ops.CopyNamespaces(flags, t, c); err != nil {
			putFSStruct(c.fs)
			putFiles(c.files)
			return nil, err
		}
	} else {
		if flags&CLONE_NEWALL != 0 {
			putFSStruct(c.fs)
			putFiles(c.files)
			return nil, EINVAL
		}
		c.mntns = GetMntNS(t.mntns)
		c.ownsMntNS = true
	}
	k.nextTID++
	k.tasks = append(k.tasks, c)
	return c, nil
}

// Exit models kernel/exit.c:do_exit for the VFS parts: the task's
// descriptor table and fs_struct lose a user (the last user closes every
// descriptor, releases root and pwd), and the task leaves its namespaces
// (exit_task_namespaces; the last user of a mount namespace unmounts its
// tree).
func (t *Task) Exit() {
	t.enter()
	putFiles(t.files)
	putFSStruct(t.fs)
	t.files, t.fs = nil, nil
	if t.ownsMntNS {
		PutMntNS(t.mntns)
	} else if ops := t.k.nsops; ops != nil {
		ops.ExitNamespaces(t)
	}
	t.mntns = nil
	t.ownsMntNS = false
	t.dead = true
	for i, x := range t.k.tasks {
		if x == t {
			t.k.tasks = append(t.k.tasks[:i], t.k.tasks[i+1:]...)
			break
		}
	}
	if t.k.init == t {
		t.k.init = nil
	}
	t.k.current = nil
}

// Tasks returns the live tasks in creation order.
func (k *Kernel) Tasks() []*Task { return append([]*Task(nil), k.tasks...) }

// installFD puts f in the lowest free descriptor slot (models
// fs/file.c:get_unused_fd_flags + fd_install), taking over the caller's
// reference. The slot must be below the soft RLIMIT_NOFILE, as in
// fs/file.c:alloc_fd; descriptors at or above a lowered limit stay open.
func (t *Task) installFD(f *File) (int, error) {
	fd := t.lowestFreeFD()
	if uint64(fd) >= t.nofile.Cur {
		return -1, EMFILE
	}
	if fd == len(t.files.fds) {
		t.files.fds = append(t.files.fds, f)
	} else {
		t.files.fds[fd] = f
	}
	t.files.nextFD = fd + 1
	return fd, nil
}

// lowestFreeFD returns the lowest descriptor number not in use, searching
// from the next_fd hint.
func (t *Task) lowestFreeFD() int {
	for fd := t.files.nextFD; fd < len(t.files.fds); fd++ {
		if t.files.fds[fd] == nil {
			return fd
		}
	}
	return len(t.files.fds)
}

// freeFD empties descriptor slot fd (fs/file.c:__put_unused_fd).
func (t *Task) freeFD(fd int) {
	t.files.fds[fd] = nil
	if fd < t.files.nextFD {
		t.files.nextFD = fd
	}
}

// fdAvailable reports whether installFD would find a slot.
func (t *Task) fdAvailable() bool { return uint64(t.lowestFreeFD()) < t.nofile.Cur }

// fgetIO returns the file behind fd for an operation an O_PATH descriptor
// cannot do (read, write, seek, truncate, ioctl, ...): EBADF for those.
func (t *Task) fgetIO(fd int) (*File, error) {
	f, err := t.fget(fd)
	if err == nil && f.flags&O_PATH != 0 {
		return nil, EBADF
	}
	return f, err
}

// fget returns the file behind fd without taking a reference (models
// fdget for an unshared table).
func (t *Task) fget(fd int) (*File, error) {
	if fd < 0 || fd >= len(t.files.fds) || t.files.fds[fd] == nil {
		return nil, EBADF
	}
	return t.files.fds[fd], nil
}

// File returns the open file behind fd, for kernel-side users (tests, and
// the planned checkpoint code). The caller does not own a reference; use
// Fget to keep it.
func (t *Task) File(fd int) (*File, error) { return t.fget(fd) }

// FDs returns the open descriptors in ascending order.
func (t *Task) FDs() []int {
	var out []int
	for fd, f := range t.files.fds {
		if f != nil {
			out = append(out, fd)
		}
	}
	return out
}

// Close models close(2).
//
// Errors:
//   - EBADF: fd is not open.
func (t *Task) Close(fd int) error {
	t.enter()
	f, err := t.fget(fd)
	if err != nil {
		return pathErr("close", fmt.Sprint(fd), err)
	}
	t.freeFD(fd)
	Fput(f)
	return nil
}

// Dup models dup(2): a new descriptor sharing fd's open file.
//
// Errors:
//   - EBADF: fd is not open.
//   - EMFILE: no descriptor is free.
func (t *Task) Dup(fd int) (int, error) {
	t.enter()
	f, err := t.fget(fd)
	if err != nil {
		return -1, pathErr("dup", fmt.Sprint(fd), err)
	}
	nfd, err := t.installFD(Fget(f))
	if err != nil {
		Fput(f)
		return -1, pathErr("dup", fmt.Sprint(fd), err)
	}
	return nfd, nil
}

// Umask models umask(2) and returns the previous mask.
func (t *Task) Umask(mask FileMode) FileMode {
	t.enter()
	old := t.fs.umask
	t.fs.umask = mask & 0o777
	return old
}

// Chdir models chdir(2).
//
// Errors: as path lookup, plus ENOTDIR for a non-directory and EACCES
// without search permission.
func (t *Task) Chdir(path string) error {
	t.enter()
	p, err := t.lookupPath(AT_FDCWD, path, lookupFollow|lookupDirectory)
	if err == nil {
		if err = t.permission(p.Dentry.inode, MAY_EXEC); err != nil {
			PathPut(p)
		}
	}
	if err != nil {
		return pathErr("chdir", path, err)
	}
	t.fs.setPwd(p)
	return nil
}

// Getcwd models getcwd(2).
//
// Errors:
//   - ENOENT: the working directory was removed.
//   - ENAMETOOLONG: its path does not fit in PATH_MAX bytes with its NUL.
func (t *Task) Getcwd() (string, error) {
	t.enter()
	if t.fs.pwd.Dentry.Unlinked() {
		return "", pathErr("getcwd", "", ENOENT)
	}
	s, reachable := t.k.dPathFrom(t.fs.pwd, t.fs.root)
	if !reachable {
		s = "(unreachable)" + s // a cwd on a detached mount
	}
	if len(s) >= PATH_MAX {
		// The path is built in a PATH_MAX page, NUL included.
		return "", pathErr("getcwd", "", ENAMETOOLONG)
	}
	return s, nil
}

// Dup2 models dup2(2): newfd becomes a descriptor of oldfd's open file,
// closing what newfd had; dup2 of a descriptor onto itself only checks it.
//
// Errors:
//   - EBADF: oldfd is not open, or newfd is negative or not below
//     RLIMIT_NOFILE.
func (t *Task) Dup2(oldfd, newfd int) (int, error) {
	t.enter()
	if oldfd == newfd {
		if _, err := t.fget(oldfd); err != nil {
			return -1, pathErr("dup2", fmt.Sprint(oldfd), err)
		}
		return newfd, nil
	}
	if err := t.doDup3(oldfd, newfd); err != nil {
		return -1, pathErr("dup2", fmt.Sprint(oldfd), err)
	}
	return newfd, nil
}

// Dup3 models dup3(2): dup2 that refuses equal descriptors and flags other
// than O_CLOEXEC (accepted and ignored: there is no exec).
//
// Errors:
//   - EINVAL: flags other than O_CLOEXEC, or oldfd == newfd.
//   - EBADF: as Dup2.
func (t *Task) Dup3(oldfd, newfd, flags int) (int, error) {
	t.enter()
	if flags&^O_CLOEXEC != 0 || oldfd == newfd {
		return -1, pathErr("dup3", fmt.Sprint(oldfd), EINVAL)
	}
	if err := t.doDup3(oldfd, newfd); err != nil {
		return -1, pathErr("dup3", fmt.Sprint(oldfd), err)
	}
	return newfd, nil
}

// doDup3 models fs/file.c:ksys_dup3 and do_dup2: newfd is range-checked
// against RLIMIT_NOFILE, then installed with oldfd's file; the file newfd
// had is closed after.
func (t *Task) doDup3(oldfd, newfd int) error {
	if newfd < 0 || uint64(newfd) >= t.nofile.Cur {
		return EBADF
	}
	f, err := t.fget(oldfd)
	if err != nil {
		return EBADF
	}
	fdt := t.files
	for len(fdt.fds) <= newfd {
		fdt.fds = append(fdt.fds, nil)
	}
	old := fdt.fds[newfd]
	fdt.fds[newfd] = Fget(f)
	if old != nil {
		Fput(old)
	}
	return nil
}
