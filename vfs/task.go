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
// needs: credentials (task->cred), root and working directory
// (task->fs, struct fs_struct), the file descriptor table (task->files,
// struct files_struct), and the mount namespace (task->nsproxy->mnt_ns).
//
// System calls are methods named after them. Each returns the Linux errno as
// its error, wrapped once in a *PathError or *LinkError naming the
// system call and path(s).
//
// Differences from Linux:
//   - a task is a single thread with its own fs_struct and files_struct
//     (no CLONE_FS or CLONE_FILES sharing);
//   - there is no exec, so O_CLOEXEC is accepted and ignored;
//   - there are no signals: a write to a fifo without readers returns EPIPE
//     without SIGPIPE.
type Task struct {
	k     *Kernel
	tid   int
	cred  *Cred
	root  Path
	cwd   Path
	umask FileMode
	fds   []*File
	mntns *MountNamespace
	// nextFD is files_struct.next_fd: no descriptor below it is free, so
	// allocation searches from there.
	nextFD int
	// nofile is the task's RLIMIT_NOFILE (see Setrlimit).
	nofile Rlimit
	dead   bool
}

func (t *Task) String() string { return fmt.Sprintf("task %d", t.tid) }

// newTask creates a task. With a parent it inherits the parent's root, cwd,
// umask, files and namespace (fork); without one it starts at the root of ns.
func (k *Kernel) newTask(parent *Task, cred *Cred, ns *MountNamespace) *Task {
	t := &Task{k: k, tid: k.nextTID, cred: cred, umask: 0o022, nofile: defaultNofile}
	k.nextTID++
	if parent != nil {
		t.root = PathGet(parent.root)
		t.cwd = PathGet(parent.cwd)
		t.umask = parent.umask
		t.nofile = parent.nofile
		t.nextFD = parent.nextFD
		t.fds = make([]*File, len(parent.fds))
		for i, f := range parent.fds {
			if f != nil {
				t.fds[i] = Fget(f)
			}
		}
		t.mntns = getMntNS(parent.mntns)
	} else {
		root := Path{ns.root, ns.root.root}
		t.root = PathGet(root)
		t.cwd = PathGet(root)
		t.mntns = getMntNS(ns)
	}
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
func (t *Task) Root() Path { return t.root }
func (t *Task) Cwd() Path  { return t.cwd }

// enter marks the start of a system call: the task becomes current.
func (t *Task) enter() {
	if t.dead {
		Bug("%s: system call after exit", t)
	}
	t.k.current = t
	t.k.stats.Syscalls++
}

// Fork models fork(2): a new task with a copy of t's descriptor table (the
// copies share open files), the same credentials, root, cwd and mount
// namespace.
func (t *Task) Fork() *Task {
	t.enter()
	return t.k.newTask(t, t.cred, nil)
}

// Exit models kernel/exit.c:do_exit for the VFS parts: every descriptor is
// closed, the root and cwd are released, and the task leaves its mount
// namespace (the last task to leave a namespace unmounts its tree).
func (t *Task) Exit() {
	t.enter()
	for fd := range t.fds {
		if f := t.fds[fd]; f != nil {
			t.freeFD(fd)
			Fput(f)
		}
	}
	PathPut(t.root)
	PathPut(t.cwd)
	t.root, t.cwd = Path{}, Path{}
	putMntNS(t.mntns)
	t.mntns = nil
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
	if fd == len(t.fds) {
		t.fds = append(t.fds, f)
	} else {
		t.fds[fd] = f
	}
	t.nextFD = fd + 1
	return fd, nil
}

// lowestFreeFD returns the lowest descriptor number not in use, searching
// from the next_fd hint.
func (t *Task) lowestFreeFD() int {
	for fd := t.nextFD; fd < len(t.fds); fd++ {
		if t.fds[fd] == nil {
			return fd
		}
	}
	return len(t.fds)
}

// freeFD empties descriptor slot fd (fs/file.c:__put_unused_fd).
func (t *Task) freeFD(fd int) {
	t.fds[fd] = nil
	if fd < t.nextFD {
		t.nextFD = fd
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
	if fd < 0 || fd >= len(t.fds) || t.fds[fd] == nil {
		return nil, EBADF
	}
	return t.fds[fd], nil
}

// File returns the open file behind fd, for kernel-side users (tests, and
// the planned checkpoint code). The caller does not own a reference; use
// Fget to keep it.
func (t *Task) File(fd int) (*File, error) { return t.fget(fd) }

// FDs returns the open descriptors in ascending order.
func (t *Task) FDs() []int {
	var out []int
	for fd, f := range t.fds {
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
	old := t.umask
	t.umask = mask & 0o777
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
	old := t.cwd
	t.cwd = p
	PathPut(old)
	return nil
}

// Getcwd models getcwd(2).
//
// Errors:
//   - ENOENT: the working directory was removed.
func (t *Task) Getcwd() (string, error) {
	t.enter()
	if t.cwd.Dentry.Unlinked() {
		return "", pathErr("getcwd", "", ENOENT)
	}
	s, reachable := t.k.dPathFrom(t.cwd, t.root)
	if !reachable {
		s = "(unreachable)" + s // a cwd on a detached mount
	}
	return s, nil
}
