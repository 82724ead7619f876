package script

import (
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

var _ Sys = (*vfs.Task)(nil)

// Runner executes ops as one task against a filesystem mounted at Root.
// Paths in ops are relative to Root, as the oracle's are to its mount.
// Ops that only the simulator has (chattr, bind, remount-ro, umount, setuid,
// orphans) need T to be a *vfs.Task.
type Runner struct {
	T    Sys
	Root string

	fds   map[string]int
	order []string // fd names in the order they were opened
}

// NewRunner returns a runner for t on the filesystem mounted at root.
func NewRunner(t Sys, root string) *Runner {
	return &Runner{T: t, Root: root, fds: map[string]int{}}
}

// Fork returns a runner for t — typically a task forked from r's, whose
// descriptor table is a copy of it — that knows r's descriptor names.
func (r *Runner) Fork(t Sys) *Runner {
	c := &Runner{T: t, Root: r.Root, fds: make(map[string]int, len(r.fds)), order: append([]string(nil), r.order...)}
	for n, fd := range r.fds {
		c.fds[n] = fd
	}
	return c
}

// FD returns the descriptor an fd name stands for.
func (r *Runner) FD(name string) (int, bool) {
	fd, ok := r.fds[name]
	return fd, ok
}

// FDNames returns the names of the open descriptors, in the order they were
// opened.
func (r *Runner) FDNames() []string {
	var out []string
	for _, n := range r.order {
		if _, ok := r.fds[n]; ok && !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// p maps a script path to the task's namespace, keeping trailing slashes
// (they matter) the way the oracle's root + "/" + path does.
func (r *Runner) p(s string) string { return r.Root + "/" + s }

// Run executes every op and returns the steps.
func (r *Runner) Run(ops []Op) []Step {
	out := make([]Step, 0, len(ops))
	for _, op := range ops {
		out = append(out, r.Step(op))
	}
	return out
}

// Step executes one op.
func (r *Runner) Step(op Op) Step {
	src := op.Src
	if src == "" {
		src = op.String()
	}
	st := Step{Line: op.Line, Op: src}
	t := r.T
	if specs[op.Name].usesFD {
		if _, ok := r.fds[op.FD]; !ok {
			st.Errno = "EBADF"
			return st
		}
	}
	fd := r.fds[op.FD]
	var err error
	switch op.Name {
	case "open":
		err = r.record(op.Out)(t.Open(r.p(op.Path), op.openFlags(), 0o644))
	case "openat":
		err = r.record(op.Out)(t.Openat(fd, op.Path, op.openFlags(), 0o644))
	case "mkdirat":
		err = t.Mkdirat(fd, op.Path, 0o755)
	case "dup":
		err = r.record(op.Out)(t.Dup(fd))
	case "close":
		err = t.Close(fd)
		delete(r.fds, op.FD)
	case "ftruncate":
		err = t.Ftruncate(fd, op.N)
	case "write":
		_, err = t.Write(fd, []byte(op.Text))
	case "pwrite":
		_, err = t.Pwrite(fd, []byte(op.Text), op.Off)
	case "read", "pread":
		buf := make([]byte, op.N)
		var n int
		if op.Name == "read" {
			n, err = t.Read(fd, buf)
		} else {
			n, err = t.Pread(fd, buf, op.Off)
		}
		if err == nil {
			st.Ret = string(buf[:n])
		}
	case "lseek":
		var pos int64
		pos, err = t.Lseek(fd, op.Off, int(op.N))
		if err == nil {
			st.Ret = pos
		}
	case "link":
		err = t.Link(r.p(op.Path), r.p(op.Path2))
	case "linkat-empty":
		err = t.Linkat(fd, "", vfs.AT_FDCWD, r.p(op.Path), vfs.AT_EMPTY_PATH)
	case "linkat-proc":
		err = t.Linkat(vfs.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), vfs.AT_FDCWD, r.p(op.Path), vfs.AT_SYMLINK_FOLLOW)
	case "linkat-proc-nofollow":
		err = t.Linkat(vfs.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), vfs.AT_FDCWD, r.p(op.Path), 0)
	case "unlink":
		err = t.Unlink(r.p(op.Path))
	case "rmdir":
		err = t.Rmdir(r.p(op.Path))
	case "mkdir":
		err = t.Mkdir(r.p(op.Path), 0o755)
	case "rename":
		err = t.Rename(r.p(op.Path), r.p(op.Path2))
	case "rename-noreplace", "rename-exchange":
		flags := uint(vfs.RENAME_NOREPLACE)
		if op.Name == "rename-exchange" {
			flags = vfs.RENAME_EXCHANGE
		}
		err = t.Renameat2(vfs.AT_FDCWD, r.p(op.Path), vfs.AT_FDCWD, r.p(op.Path2), flags)
	case "mkfifo":
		err = t.Mkfifo(r.p(op.Path), 0o644)
	case "symlink":
		err = t.Symlink(op.Text, r.p(op.Path))
	case "fstat", "stat", "lstat":
		var s vfs.Stat_t
		switch op.Name {
		case "fstat":
			s, err = t.Fstat(fd)
		case "stat":
			s, err = t.Stat(r.p(op.Path))
		default:
			s, err = t.Lstat(r.p(op.Path))
		}
		if err == nil {
			st.Ret = map[string]any{"type": s.Mode.TypeName(), "nlink": uint64(s.Nlink), "size": s.Size}
		}
	case "cat":
		var b string
		b, err = r.cat(r.p(op.Path))
		if err == nil {
			st.Ret = b
		}
	case "tree":
		st.Ret = r.Tree()
	case "orphans":
		// The oracle syncs before reading the device.
		if t, ok := r.T.(*vfs.Task); ok {
			t.Sync()
		}
		if o := r.orphans(); o != nil {
			st.Ret = o
		}
	case "ino":
		var s vfs.Stat_t
		s, err = t.Lstat(r.p(op.Path))
		if err == nil {
			st.Ret = s.Ino
		}
	case "readlink":
		var s string
		s, err = t.Readlink(r.p(op.Path))
		if err == nil {
			st.Ret = s
		}
	case "readlink-fd":
		var s string
		s, err = t.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		if err == nil {
			st.Ret = s
		}
	case "ls":
		var names []string
		names, err = r.ls(r.p(op.Path))
		if err == nil {
			st.Ret = names
		}
	case "chdir":
		err = t.Chdir(r.p(op.Path))
	case "chmod":
		err = t.Chmod(r.p(op.Path), vfs.FileMode(op.N))
	case "chattr":
		err = r.chattr(r.task(op), fd, op.Text)
	case "bind":
		err = r.task(op).Mount(r.p(op.Path), r.p(op.Path2), "", vfs.MS_BIND, "")
	case "remount-ro":
		err = r.task(op).Mount("", r.p(op.Path), "", vfs.MS_REMOUNT|vfs.MS_BIND|vfs.MS_RDONLY, "")
	case "umount":
		err = r.task(op).Umount(r.p(op.Path), 0)
	case "setuid":
		r.task(op).SetCred(vfs.UserCred(uint32(op.N), uint32(op.N)))
	case "orphan-slots":
		st.Ret = r.orphanSlots()
	case "drop_caches":
		r.task(op).Kernel().DropCaches()
	case "sync":
		if t, ok := r.T.(*vfs.Task); ok {
			t.Sync()
		} else if s, ok := r.T.(interface{ Sync() }); ok {
			s.Sync()
		}
	case "subvol":
		err = r.subvol(op.Path)
	case "snapshot", "snapshot-ro":
		err = r.snapshot(op.Path, op.Path2, op.Name == "snapshot-ro")
	case "subvol-orphans":
		var names []string
		names, err = r.subvolOrphans(op.Path)
		if err == nil {
			st.Ret = names
		}
	case "crash", "remount", "check", "dmesg", "fault":
		panic("script: op " + op.Name + " needs a Machine")
	default:
		panic("script: no runner for op " + op.Name)
	}
	st.Errno = vfs.ErrnoName(err)
	return st
}

// openFlags returns the op's open flags; every open is non-blocking, as in
// the oracle, so a fifo never stalls a script.
func (op Op) openFlags() int {
	flags := vfs.O_NONBLOCK
	for _, f := range op.Flags {
		flags |= openFlags[f]
	}
	return flags
}

// record returns a function that names a new descriptor, in open order.
func (r *Runner) record(name string) func(int, error) error {
	return func(fd int, err error) error {
		if err == nil {
			r.fds[name] = fd
			r.order = append(r.order, name)
		}
		return err
	}
}

func (r *Runner) cat(p string) (string, error) {
	t := r.T
	fd, err := t.Open(p, vfs.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer t.Close(fd)
	var b strings.Builder
	buf := make([]byte, 8192)
	for {
		n, err := t.Read(fd, buf)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return b.String(), nil
		}
		b.Write(buf[:n])
	}
}

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

// task returns the simulated task behind the runner, for ops only the
// simulator has.
func (r *Runner) task(op Op) *vfs.Task {
	t, ok := r.T.(*vfs.Task)
	if !ok {
		panic("script: op " + op.Name + " needs the simulator")
	}
	return t
}

func (r *Runner) chattr(t *vfs.Task, fd int, spec string) error {
	f, err := t.File(fd)
	if err != nil {
		return err
	}
	flags := f.Inode().Flags & (vfs.S_APPEND | vfs.S_IMMUTABLE)
	if len(spec) != 2 || (spec[0] != '+' && spec[0] != '-') {
		return vfs.EINVAL
	}
	var bit vfs.InodeFlags
	switch spec[1] {
	case 'i':
		bit = vfs.S_IMMUTABLE
	case 'a':
		bit = vfs.S_APPEND
	default:
		return vfs.EINVAL
	}
	if spec[0] == '+' {
		flags |= bit
	} else {
		flags &^= bit
	}
	return t.SetInodeFlags(fd, flags)
}

// Tree lists every path under the root but lost+found, depth first in name
// order, as the oracle's tree does.
func (r *Runner) Tree() []Node {
	out := []Node{}
	label := map[uint64]string{}
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
			if rel == "" && n == "lost+found" {
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

// orphans returns the filesystem's on-disk orphan list, each inode named by
// the first-opened fd name still open on it (or "ino:N"), or nil for a
// filesystem without one.
func (r *Runner) orphans() []string {
	t, ok := r.T.(*vfs.Task)
	if !ok {
		// The real kernel: its executor reads the device as the oracle does.
		h, ok := r.T.(interface {
			OnDiskOrphans() ([]uint64, bool, error)
		})
		if !ok {
			return nil
		}
		inos, ok, err := h.OnDiskOrphans()
		if err != nil {
			panic("script: reading the real orphan list: " + err.Error())
		}
		if !ok {
			return nil
		}
		out := []string{}
		for _, ino := range inos {
			out = append(out, r.holder(ino))
		}
		return out
	}
	sb, err := t.SuperblockOf(r.Root)
	if err != nil {
		return nil
	}
	ol, ok := sb.Ops.(vfs.OrphanLister)
	if !ok {
		return nil
	}
	out := []string{}
	for _, ino := range ol.OnDiskOrphans(sb) {
		out = append(out, r.holder(ino))
	}
	return out
}

func (r *Runner) orphanSlots() []string {
	out := []string{}
	sb := mountedAt(r.task(Op{Name: "orphan-slots"}), r.Root)
	if sb == nil {
		return out
	}
	if l, ok := sb.Ops.(vfs.OrphanFileLister); ok {
		for _, s := range l.OrphanFileSlots(sb) {
			out = append(out, fmt.Sprintf("%d:%d=%s", s.Block, s.Slot, r.holder(s.Ino)))
		}
	}
	return out
}

func (r *Runner) holder(ino uint64) string {
	for _, name := range r.order {
		fd, ok := r.fds[name]
		if !ok {
			continue
		}
		if s, err := r.T.Fstat(fd); err == nil && s.Ino == ino {
			return name
		}
	}
	return "ino:" + strconv.FormatUint(ino, 10)
}
