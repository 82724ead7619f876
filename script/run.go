package script

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

var openFlags = map[string]int{
	"rdonly":    vfs.O_RDONLY,
	"wronly":    vfs.O_WRONLY,
	"rdwr":      vfs.O_RDWR,
	"creat":     vfs.O_CREAT,
	"excl":      vfs.O_EXCL,
	"trunc":     vfs.O_TRUNC,
	"tmpfile":   vfs.O_TMPFILE,
	"nonblock":  vfs.O_NONBLOCK,
	"directory": vfs.O_DIRECTORY,
	"append":    vfs.O_APPEND,
	"nofollow":  vfs.O_NOFOLLOW,
}

// Step is the result of one op, in the oracle's shape: the same JSON field
// names and order, the same omissions.
type Step struct {
	Line   int    `json:"line"`
	Op     string `json:"op"`
	Ret    any    `json:"ret,omitempty"`
	Errno  string `json:"errno,omitempty"`
	Detail any    `json:"detail,omitempty"`
	// Err is set when the op could not be carried out at all (it needs a
	// Machine, or a capability the kernel or filesystem lacks, such as a
	// fault it cannot inject): a failure of the script, which tools report
	// (with Line and Op) and stop on, never a result. It is not part of the
	// JSON.
	Err error `json:"-"`
}

// Node is one entry of a tree listing. Inode is a label ("i1", "i2", ...)
// given in order of first appearance, so names sharing an inode share a
// label.
type Node struct {
	Path  string `json:"path"`
	Type  string `json:"type"`
	Nlink uint64 `json:"nlink"`
	Size  int64  `json:"size"`
	Inode string `json:"inode"`
}

// Sys is the system-call surface a Runner drives. *vfs.Task implements it
// for the simulator; the kernel-differential tests implement it with real
// system calls, so one runner produces both sides of a comparison. Errors
// must carry a vfs.Errno (the Linux number).
type Sys interface {
	Open(path string, flags int, mode vfs.FileMode) (int, error)
	Openat(dirfd int, path string, flags int, mode vfs.FileMode) (int, error)
	Close(fd int) error
	Dup(fd int) (int, error)
	Read(fd int, p []byte) (int, error)
	Write(fd int, p []byte) (int, error)
	Pread(fd int, p []byte, off int64) (int, error)
	Pwrite(fd int, p []byte, off int64) (int, error)
	Ftruncate(fd int, length int64) error
	Lseek(fd int, off int64, whence int) (int64, error)
	Link(oldpath, newpath string) error
	Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error
	Unlink(path string) error
	Rmdir(path string) error
	Mkdir(path string, mode vfs.FileMode) error
	Mkdirat(dirfd int, path string, mode vfs.FileMode) error
	Rename(oldpath, newpath string) error
	Renameat2(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error
	Mkfifo(path string, mode vfs.FileMode) error
	Symlink(target, linkpath string) error
	Fstat(fd int) (vfs.Stat_t, error)
	Stat(path string) (vfs.Stat_t, error)
	Lstat(path string) (vfs.Stat_t, error)
	Readlink(path string) (string, error)
	ReadDir(fd int) ([]vfs.Dirent, error)
	Chdir(path string) error
	Chmod(path string, mode vfs.FileMode) error
}

// The optional parts of a Sys, io/fs style: an op that needs one asks for
// it with a type assertion (Need), so a Sys offers what its kernel can do.
// *vfs.Task has them all; the real-kernel executor of the differential
// tests has Syncer, OrphanReader and Subvolumes.
type (
	// Syncer is sync(2).
	Syncer interface{ Sync() }
	// OrphanReader reads the on-disk orphan list of the filesystem path is
	// on, after a sync, as the oracle reads the device; ok is false for a
	// filesystem without one.
	OrphanReader interface {
		OnDiskOrphans(path string) (inos []uint64, ok bool, err error)
	}
	// OrphanFileReader reads the occupied slots of an ext4 orphan file.
	OrphanFileReader interface {
		OrphanFileSlots(path string) ([]vfs.OrphanSlot, error)
	}
	// Subvolumes makes btrfs subvolumes and snapshots and reads a
	// subvolume's orphan items (see vfs.Subvolumer).
	Subvolumes interface {
		SubvolCreate(dirfd int, name string) error
		SnapshotCreate(dirfd int, name string, srcfd int, readonly bool) error
		SubvolOrphans(fd int) ([]uint64, error)
	}
	// Mounter is mount(2) and umount2(2).
	Mounter interface {
		Mount(source, target, fstype string, flags vfs.MountFlags, data string) error
		Umount(target string, flags int) error
	}
	// CredSetter replaces the task's credentials (setresuid and friends).
	CredSetter interface{ SetCred(c *vfs.Cred) }
	// InodeFlagger is FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (chattr).
	InodeFlagger interface {
		InodeFlags(fd int) (vfs.InodeFlags, error)
		SetInodeFlags(fd int, flags vfs.InodeFlags) error
	}
	// CacheDropper is echo 3 > /proc/sys/vm/drop_caches.
	CacheDropper interface{ DropCaches() }
	// FaultInjector makes the filesystem path is on fail on demand (see
	// vfs.FaultInjector).
	FaultInjector interface {
		InjectFault(path, kind string, n int) error
	}
)

var (
	_ Sys              = (*vfs.Task)(nil)
	_ Syncer           = (*vfs.Task)(nil)
	_ OrphanReader     = (*vfs.Task)(nil)
	_ OrphanFileReader = (*vfs.Task)(nil)
	_ Subvolumes       = (*vfs.Task)(nil)
	_ Mounter          = (*vfs.Task)(nil)
	_ CredSetter       = (*vfs.Task)(nil)
	_ InodeFlagger     = (*vfs.Task)(nil)
	_ CacheDropper     = (*vfs.Task)(nil)
	_ FaultInjector    = (*vfs.Task)(nil)
)

// Need returns the runner's Sys as the optional interface I, or an error
// (not an errno: the op cannot run on this Sys at all) naming the op and
// what it needs.
func Need[I any](r *Runner, op Op) (I, error) {
	i, ok := r.T.(I)
	if !ok {
		var zero I
		return zero, fmt.Errorf("op %s needs a kernel with %T, which %T lacks", op.Name, &zero, r.T)
	}
	return i, nil
}

// Runner executes ops as one task against a filesystem mounted at Root.
// Paths in ops are relative to Root, as the oracle's are to its mount.
// Ops that need more than Sys ask for an optional interface (Need), and
// the machine-level ops (crash, remount, check, ...) need the Machine the
// runner belongs to.
type Runner struct {
	T    Sys
	Root string

	m     *Machine // the machine the runner is the init task's runner of, or nil
	names *fdNames // the current task's descriptor names
	tasks []*runTask
	cur   *runTask
	// handles are the file handles name-to-handle stored, by name, when
	// the runner has no machine to keep them (ops_fhandle.go).
	handles map[string]vfs.FileHandle
}

// fdNames are the script's names for the descriptors of one descriptor
// table (shared by tasks cloned with CLONE_FILES, as the table is).
type fdNames struct {
	fds   map[string]int
	order []string // fd names in the order they were opened
}

func (n *fdNames) copy() *fdNames {
	c := &fdNames{fds: make(map[string]int, len(n.fds)), order: append([]string(nil), n.order...)}
	for k, v := range n.fds {
		c.fds[k] = v
	}
	return c
}

// runTask is one task a script drives, by name.
type runTask struct {
	name  string
	sys   Sys
	names *fdNames
}

// FirstTask is the name of a runner's first task (as T switches to a
// task by name).
const FirstTask = "init"

// NewRunner returns a runner for t on the filesystem mounted at root.
func NewRunner(t Sys, root string) *Runner {
	r := &Runner{T: t, Root: root}
	r.cur = &runTask{name: FirstTask, sys: t, names: &fdNames{fds: map[string]int{}}}
	r.tasks = []*runTask{r.cur}
	r.names = r.cur.names
	return r
}

// Fork returns a runner for t — typically a task forked from r's, whose
// descriptor table is a copy of it — that knows r's descriptor names. It
// belongs to no Machine: machine-level ops fail in it.
func (r *Runner) Fork(t Sys) *Runner {
	c := NewRunner(t, r.Root)
	c.cur.names = r.names.copy()
	c.names = c.cur.names
	return c
}

// AddTask adds a task the script can switch to by name (the op as): a
// clone of the current one, whose descriptor names it copies, or shares
// when the clone shares the descriptor table (CLONE_FILES).
func (r *Runner) AddTask(name string, t Sys, sharesFiles bool) error {
	if r.task(name) != nil {
		return fmt.Errorf("a task is already called %q", name)
	}
	names := r.names.copy()
	if sharesFiles {
		names = r.names
	}
	r.tasks = append(r.tasks, &runTask{name: name, sys: t, names: names})
	return nil
}

func (r *Runner) task(name string) *runTask {
	for _, t := range r.tasks {
		if t.name == name {
			return t
		}
	}
	return nil
}

// SwitchTask makes the task called name the one the following ops run as.
func (r *Runner) SwitchTask(name string) error {
	t := r.task(name)
	if t == nil {
		return fmt.Errorf("no task is called %q (tasks: %s)", name, strings.Join(r.TaskNames(), ", "))
	}
	r.cur, r.T, r.names = t, t.sys, t.names
	return nil
}

// RemoveTask forgets the task called name (it exited); the first task
// becomes current if it was.
func (r *Runner) RemoveTask(name string) {
	for i, t := range r.tasks {
		if t.name == name {
			r.tasks = append(r.tasks[:i], r.tasks[i+1:]...)
			if r.cur == t {
				r.SwitchTask(r.tasks[0].name)
			}
			return
		}
	}
}

// TaskNames returns the tasks' names, the first task first.
func (r *Runner) TaskNames() []string {
	var out []string
	for _, t := range r.tasks {
		out = append(out, t.name)
	}
	return out
}

// CurrentTask returns the name of the task ops run as ("" when there is
// none: the container was killed).
func (r *Runner) CurrentTask() string {
	if r.cur == nil {
		return ""
	}
	return r.cur.name
}

// TaskInfo is a task as the runner knows it, for a package that takes the
// script's tasks away and gives them back (checkpoint and restart).
type TaskInfo struct {
	Name string
	Sys  Sys
	// FDs and Order are the task's descriptor names (name to number, and
	// the names in the order they were opened).
	FDs   map[string]int
	Order []string
	// Table is the same number for tasks that share their descriptor
	// table (and so their names).
	Table int
}

// Tasks returns the runner's tasks, the first task first, with copies of
// their descriptor names.
func (r *Runner) Tasks() []TaskInfo {
	var out []TaskInfo
	tables := map[*fdNames]int{}
	for _, t := range r.tasks {
		id, ok := tables[t.names]
		if !ok {
			id = len(tables) + 1
			tables[t.names] = id
		}
		c := t.names.copy()
		out = append(out, TaskInfo{Name: t.name, Sys: t.sys, FDs: c.fds, Order: c.order, Table: id})
	}
	return out
}

// SetTasks replaces the runner's tasks (none: the container is gone, and
// only ops that need no task run until tasks are set again), current
// being the one ops run as (the first when empty).
func (r *Runner) SetTasks(ts []TaskInfo, current string) error {
	r.tasks, r.cur, r.T, r.names = nil, nil, nil, nil
	tables := map[int]*fdNames{}
	for _, ti := range ts {
		names := tables[ti.Table]
		if names == nil || ti.Table == 0 {
			names = &fdNames{fds: map[string]int{}, order: append([]string(nil), ti.Order...)}
			for k, v := range ti.FDs {
				names.fds[k] = v
			}
			tables[ti.Table] = names
		}
		if r.task(ti.Name) != nil {
			return fmt.Errorf("two tasks called %q", ti.Name)
		}
		r.tasks = append(r.tasks, &runTask{name: ti.Name, sys: ti.Sys, names: names})
	}
	if len(r.tasks) == 0 {
		return nil
	}
	if current == "" {
		current = r.tasks[0].name
	}
	return r.SwitchTask(current)
}

// TaskSys returns the Sys of the task called name.
func (r *Runner) TaskSys(name string) (Sys, bool) {
	t := r.task(name)
	if t == nil {
		return nil, false
	}
	return t.sys, true
}

// Machine returns the machine the runner drives, or nil for a runner
// made with NewRunner or Fork.
func (r *Runner) Machine() *Machine { return r.m }

// FD returns the descriptor an fd name stands for.
func (r *Runner) FD(name string) (int, bool) {
	fd, ok := r.names.fds[name]
	return fd, ok
}

// FDNames returns the names of the open descriptors, in the order they were
// opened.
func (r *Runner) FDNames() []string {
	var out []string
	for _, n := range r.names.order {
		if _, ok := r.names.fds[n]; ok && !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Path maps a script path to the task's namespace, keeping trailing
// slashes (they matter) the way the oracle's root + "/" + path does.
func (r *Runner) Path(s string) string { return r.Root + "/" + s }

// p is Path.
func (r *Runner) p(s string) string { return r.Path(s) }

// Run executes every op and returns the steps.
func (r *Runner) Run(ops []Op) []Step {
	out := make([]Step, 0, len(ops))
	for _, op := range ops {
		out = append(out, r.Step(op))
	}
	return out
}

// Step executes one op with its registered handler.
func (r *Runner) Step(op Op) Step {
	src := op.Src
	if src == "" {
		src = op.String()
	}
	st := Step{Line: op.Line, Op: src}
	spec, ok := Lookup(op.Name)
	if !ok {
		st.Err = fmt.Errorf("unknown op %q", op.Name)
		return st
	}
	if r.cur == nil && !spec.NoTask {
		st.Err = fmt.Errorf("no task runs: the container was killed (restart it first)")
		return st
	}
	fd := -1
	if spec.UsesFD {
		if fd, ok = r.names.fds[op.FD]; !ok {
			st.Errno = "EBADF"
			return st
		}
	}
	ret, err := spec.Run(r, op, fd)
	var errno vfs.Errno
	switch {
	case err == nil:
	case errors.As(err, &errno):
		st.Errno = errno.Name()
	default:
		st.Err = err
	}
	st.Ret = ret
	return st
}

// Forget drops the runner's name for a descriptor (after the op closed
// it), so an op naming it later answers EBADF.
func (r *Runner) Forget(name string) { delete(r.names.fds, name) }

// openFlags returns the op's open flags; every open is non-blocking, as in
// the oracle, so a fifo never stalls a script.
func (op Op) openFlags() int {
	flags := vfs.O_NONBLOCK
	for _, f := range op.Flags {
		flags |= openFlags[f]
	}
	return flags
}

// RelinkDirer names the relink directory (s_relink_dir) of the filesystem
// path is on, "" when none is set; Tree hides it.
type RelinkDirer interface {
	RelinkDir(path string) (string, error)
}

var _ RelinkDirer = (*vfs.Task)(nil)

// Record names descriptor fd (just opened by an op) name, in open order,
// when err is nil, and returns err.
func (r *Runner) Record(name string, fd int, err error) error {
	if err == nil {
		r.names.fds[name] = fd
		r.names.order = append(r.names.order, name)
	}
	return err
}

func (r *Runner) cat(p string) (string, error) {
	t := r.T
	fd, err := t.Open(p, vfs.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer t.Close(fd)
	var b strings.Builder
	buf := make([]byte, 64<<10)
	var total int64
	for {
		n, err := t.Read(fd, buf)
		if err != nil {
			return "", err
		}
		if n == 0 {
			break
		}
		if keep := MaxCatBytes - b.Len(); keep > 0 {
			b.Write(buf[:min(n, keep)])
		}
		total += int64(n)
		if total > MaxCatBytes {
			// Past the cap a regular file's length is its size: reading
			// a sparse terabyte to count it would take hours. (Anything
			// else is read on, to count what it gives.)
			if st, err := t.Fstat(fd); err == nil && st.Mode.IsRegular() && st.Size >= total {
				total = st.Size
				break
			}
		}
	}
	if total > MaxCatBytes {
		fmt.Fprintf(&b, CatCutFormat, total-MaxCatBytes, total)
	}
	return b.String(), nil
}

// MaxCatBytes is the most of a file's contents cat returns: a longer
// file's first MaxCatBytes bytes, then CatCutFormat's note of how much was
// left out. It bounds the memory one op takes and the size of its output
// line (read and pread are bounded by MaxReadCount).
const MaxCatBytes = 1 << 20

// CatCutFormat is the note cat appends to a longer file's first
// MaxCatBytes bytes: the bytes left out and the file's whole length.
const CatCutFormat = "[relinksim: %d more bytes not shown, of %d]"

// ls lists the names getdents returns for a directory, in its order.
func (r *Runner) ls(p string) ([]string, error) {
	t := r.T
	fd, err := t.Open(p, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer t.Close(fd)
	ents, err := t.ReadDir(fd)
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name)
	}
	return names, err
}

// Tree lists every path under the root but lost+found (and the relink
// directory), depth first in name order, as the oracle's tree does.
func (r *Runner) Tree() []Node {
	out := []Node{}
	label := map[uint64]string{}
	// The superblock's relink directory (relink=, where checkpoint relinks
	// unlinked files) is hidden like lost+found.
	relinkDir := ""
	if rd, ok := r.T.(RelinkDirer); ok {
		if d, err := rd.RelinkDir(r.Root); err == nil && d != "" {
			relinkDir = path.Clean(d)
		}
	}
	var walk func(rel string)
	walk = func(rel string) {
		names, err := r.ls(r.p(rel))
		if err != nil {
			return
		}
		var kids []string
		for _, n := range names {
			if n != "." && n != ".." {
				kids = append(kids, n)
			}
		}
		sort.Strings(kids)
		for _, n := range kids {
			rp := path.Join(rel, n)
			if rel == "" && n == "lost+found" || rp == relinkDir {
				continue
			}
			s, err := r.T.Lstat(r.p(rp))
			if err != nil {
				continue
			}
			l, ok := label[s.Ino]
			if !ok {
				l = fmt.Sprintf("i%d", len(label)+1)
				label[s.Ino] = l
			}
			out = append(out, Node{rp, s.Mode.TypeName(), uint64(s.Nlink), s.Size, l})
			if s.Mode.IsDir() {
				walk(rp)
			}
		}
	}
	walk("")
	return out
}

func (r *Runner) holder(ino uint64) string {
	for _, name := range r.names.order {
		fd, ok := r.names.fds[name]
		if !ok {
			continue
		}
		if s, err := r.T.Fstat(fd); err == nil && s.Ino == ino {
			return name
		}
	}
	return "ino:" + strconv.FormatUint(ino, 10)
}
