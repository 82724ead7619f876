package hostkernel

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// Real tasks for the namespace ops. A script that unshares, setns's, forks
// or mounts must not do so in the test process: its namespaces and mounts
// would leak into the test and, through propagation, into the machine. So
// every task of such a script is a worker process, a re-execution of the
// test binary (WorkerEnv selects the worker; the test's TestMain calls
// MaybeWorker first), driven over a unix socket with a small gob protocol,
// one request and one response per system call. The first worker starts in
// a throwaway mount namespace of its own, with / made private (MS_REC |
// MS_PRIVATE), so that nothing it mounts propagates anywhere; a worker for
// a forked task joins its parent's mount namespace (setns through
// /proc/PID/ns/mnt), takes copies of its parent's descriptors at the same
// numbers (pidfd_getfd, which duplicates the open file description as fork
// does, then dup3) and its working directory; one for clone(CLONE_NEWNS)
// then unshares a new mount namespace, as copy_mnt_ns does for a child.
//
// A worker's system calls all run on its main thread, the thread-group
// leader, locked to the main goroutine; it unshares its fs_struct from the
// Go runtime's other threads (unshare(CLONE_NEWNS) implies CLONE_FS), so
// setns(CLONE_NEWNS) is not refused for a shared fs_struct, and /proc/PID
// names it.
//
// What processes cannot model: tasks sharing a descriptor table
// (CLONE_FILES) or an fs_struct (CLONE_FS). Cloning with either is an error
// of the executor (never a result), and the generator does not draw them
// for the real kernel (scriptgen.GenConfig.Host).

// WorkerEnv is the environment variable that makes the test binary a worker.
const WorkerEnv = "RELINKSIM_HOSTKERNEL_WORKER"

// ctlFD is where a worker keeps its end of the control socket: far above
// the descriptors a script opens, so a copied descriptor never lands on it.
const ctlFD = 1000

func init() {
	if os.Getenv(WorkerEnv) != "" {
		// Keep the main goroutine on the main thread, the thread-group
		// leader: /proc/PID and pidfd_getfd name its descriptor table.
		runtime.LockOSThread()
	}
}

// MaybeWorker turns the process into a worker when WorkerEnv says so, and
// never returns then; otherwise it does nothing. Call it first in the
// TestMain of a package whose tests use Session.
func MaybeWorker() {
	if os.Getenv(WorkerEnv) == "" {
		return
	}
	os.Exit(worker())
}

type request struct {
	Op          string
	Path, Path2 string
	FD, FD2     int
	Flags       int
	Mode        uint32
	Off, N      int64
	U64         uint64
	Data        []byte
	Bool        bool
	PID         int
	FSType      string
	MountData   string
	Pin         bool // pin the worker to CPU
	CPU         int
}

type response struct {
	Errno   int    // the call's errno, 0 for none
	Fail    string // the worker could not carry the request out: not a result
	Int     int
	I64     int64
	U64     uint64
	Data    []byte
	Str     string
	Strs    []string
	Stat    vfs.Stat_t
	Dirents []vfs.Dirent
}

// rawConn reads and writes a descriptor with plain system calls: no
// os.File, so the worker's runtime opens no poller descriptors of its own.
type rawConn int

func (c rawConn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(c), p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c rawConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Write(int(c), p[done:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

func worker() int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "hostkernel worker: "+format+"\n", args...)
		return 3
	}
	// The control socket arrives as descriptor 3; move it out of the way.
	if _, err := unix.FcntlInt(3, unix.F_DUPFD_CLOEXEC, ctlFD); err != nil {
		return fail("moving the control socket: %v", err)
	}
	unix.Close(3)
	// Let the runtime open whatever it opens lazily (its poller starts
	// with the first timer) now, at the same numbers in every worker, so
	// none lands later between a script's descriptors.
	time.Sleep(time.Microsecond)
	// Close what the worker inherited without O_CLOEXEC from whatever ran
	// the test (a /dev/null, a pipe): not the runtime's, not a script's.
	for _, fd := range otherFDs(os.Getpid()) {
		if l := fdLink(os.Getpid(), fd); l == "/dev/null" || strings.HasPrefix(l, "pipe:") || strings.HasPrefix(l, "socket:") {
			unix.Close(fd)
		}
	}
	conn := rawConn(ctlFD)
	dec, enc := gob.NewDecoder(conn), gob.NewEncoder(conn)
	w := &workerState{}
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if err == io.EOF {
				return 0
			}
			return fail("reading a request: %v", err)
		}
		resp := w.do(&req)
		if err := enc.Encode(resp); err != nil {
			return fail("writing a response: %v", err)
		}
		if req.Op == "exit" {
			return 0
		}
	}
}

type workerState struct {
	t Task
}

func fromErr(r *response, err error) {
	if err == nil {
		return
	}
	var e vfs.Errno
	if errors.As(err, &e) {
		r.Errno = int(e)
		return
	}
	r.Fail = err.Error()
}

func (w *workerState) do(q *request) (r response) {
	t := w.t
	var err error
	switch q.Op {
	case "start", "adopt":
		if q.Pin {
			var set unix.CPUSet
			set.Set(q.CPU)
			if err := unix.SchedSetaffinity(0, &set); err != nil {
				r.Fail = fmt.Sprintf("pinning to CPU %d: %v", q.CPU, err)
				return r
			}
		}
	}
	switch q.Op {
	case "start":
		// The first task: a throwaway mount namespace where nothing
		// propagates to the machine's.
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			r.Fail = fmt.Sprintf("unshare(CLONE_NEWNS): %v", err)
			return r
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			r.Fail = fmt.Sprintf("making / private: %v", err)
			return r
		}
		r.Int = unix.Gettid()
	case "adopt":
		r.Int = unix.Gettid()
		if f := adopt(q.PID, q.U64); f != "" {
			r.Fail = f
			return r
		}
		if q.U64 != 0 {
			err = unix.Unshare(int(q.U64))
		}
	case "exit":
	case "open":
		r.Int, err = t.Open(q.Path, q.Flags, vfs.FileMode(q.Mode))
	case "openat":
		r.Int, err = t.Openat(q.FD, q.Path, q.Flags, vfs.FileMode(q.Mode))
	case "close":
		err = t.Close(q.FD)
	case "dup":
		r.Int, err = t.Dup(q.FD)
	case "read":
		buf := make([]byte, q.N)
		r.Int, err = t.Read(q.FD, buf)
		r.Data = buf[:max(r.Int, 0)]
	case "write":
		r.Int, err = t.Write(q.FD, q.Data)
	case "pread":
		buf := make([]byte, q.N)
		r.Int, err = t.Pread(q.FD, buf, q.Off)
		r.Data = buf[:max(r.Int, 0)]
	case "pwrite":
		r.Int, err = t.Pwrite(q.FD, q.Data, q.Off)
	case "ftruncate":
		err = t.Ftruncate(q.FD, q.Off)
	case "lseek":
		r.I64, err = t.Lseek(q.FD, q.Off, q.Flags)
	case "link":
		err = t.Link(q.Path, q.Path2)
	case "linkat":
		err = t.Linkat(q.FD, q.Path, q.FD2, q.Path2, q.Flags)
	case "unlink":
		err = t.Unlink(q.Path)
	case "rmdir":
		err = t.Rmdir(q.Path)
	case "mkdir":
		err = t.Mkdir(q.Path, vfs.FileMode(q.Mode))
	case "mkdirat":
		err = t.Mkdirat(q.FD, q.Path, vfs.FileMode(q.Mode))
	case "rename":
		err = t.Rename(q.Path, q.Path2)
	case "renameat2":
		err = t.Renameat2(q.FD, q.Path, q.FD2, q.Path2, uint(q.U64))
	case "mkfifo":
		err = t.Mkfifo(q.Path, vfs.FileMode(q.Mode))
	case "symlink":
		err = t.Symlink(q.Path, q.Path2)
	case "fstat":
		r.Stat, err = t.Fstat(q.FD)
	case "stat":
		r.Stat, err = t.Stat(q.Path)
	case "lstat":
		r.Stat, err = t.Lstat(q.Path)
	case "readlink":
		r.Str, err = t.Readlink(q.Path)
	case "readdir":
		r.Dirents, err = t.ReadDir(q.FD)
	case "chdir":
		err = t.Chdir(q.Path)
	case "chmod":
		err = t.Chmod(q.Path, vfs.FileMode(q.Mode))
	case "mount":
		err = t.Mount(q.Path, q.Path2, q.FSType, vfs.MountFlags(q.U64), q.MountData)
	case "umount":
		err = t.Umount(q.Path, q.Flags)
	case "subvol-create":
		err = t.SubvolCreate(q.FD, q.Path)
	case "snapshot-create":
		err = t.SnapshotCreate(q.FD, q.Path, q.FD2, q.Bool)
	case "ino-lookup":
		a := btrfsInoLookupArgs{objectid: 256}
		err = ioctlPtr(q.FD, btrfsIocInoLookup, unsafe.Pointer(&a))
		r.U64 = a.treeid
	case "unshare":
		// The worker's descriptor table is shared with the Go runtime's
		// threads: unshare(CLONE_FILES) would give the main thread a
		// copy and leave the old table (and every file in it) alive in
		// the others. A task of a script is a process of one thread, whose
		// table nobody shares, and for it unshare_fd copies nothing: so
		// the flag is left out (it is valid, so no error is lost).
		err = errno(unix.Unshare(int(q.U64 &^ unix.CLONE_FILES)))
	case "setns":
		err = errno(unix.Setns(q.FD, int(q.U64)))
	case "read-proc":
		// /proc/thread-self: this thread's namespace and root.
		var b []byte
		b, err = os.ReadFile("/proc/thread-self/" + q.Path)
		r.Strs = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		err = errno(err)
	default:
		if ok, e := w.doFileHandle(q, &r); ok {
			err = e
		} else {
			r.Fail = fmt.Sprintf("unknown request %q", q.Op)
		}
	}
	fromErr(&r, err)
	return r
}

// adopt makes the worker a copy of task pid as fork(2) makes a child: the
// same mount namespace, working directory and descriptors (the same open
// file descriptions, at the same numbers).
func adopt(pid int, flags uint64) string {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Sprintf("unshare(CLONE_FS): %v", err)
	}
	nsfd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Sprintf("opening the parent's mount namespace: %v", err)
	}
	err = unix.Setns(nsfd, unix.CLONE_NEWNS)
	unix.Close(nsfd)
	if err != nil {
		return fmt.Sprintf("setns into the parent's mount namespace: %v", err)
	}
	if err := unix.Chdir(fmt.Sprintf("/proc/%d/cwd", pid)); err != nil {
		return fmt.Sprintf("chdir to the parent's working directory: %v", err)
	}
	low, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Sprintf("pidfd_open(%d): %v", pid, err)
	}
	// Out of the way of the descriptors it copies.
	pidfd, err := unix.FcntlInt(uintptr(low), unix.F_DUPFD_CLOEXEC, ctlFD+1)
	unix.Close(low)
	if err != nil {
		return fmt.Sprintf("moving the pidfd: %v", err)
	}
	defer unix.Close(pidfd)
	fds, err := scriptFDs(pid)
	if err != nil {
		return err.Error()
	}
	for _, fd := range fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			return fmt.Sprintf("the parent's descriptor %d is taken in the child (%s)", fd, fdLink(os.Getpid(), fd))
		}
		got, err := unix.PidfdGetfd(pidfd, fd, 0)
		if err != nil {
			return fmt.Sprintf("pidfd_getfd(%d): %v", fd, err)
		}
		if got != fd {
			if err := unix.Dup3(got, fd, unix.O_CLOEXEC); err != nil {
				return fmt.Sprintf("dup3(%d, %d): %v", got, fd, err)
			}
			unix.Close(got)
		}
	}
	return ""
}

// otherFDs lists pid's descriptors but 0 to 2 and the control socket.
func otherFDs(pid int) []int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	var fds []int
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 && fd < ctlFD {
			fds = append(fds, fd)
		}
	}
	return fds
}

// scriptFDs lists the descriptors of pid a script opened: all but 0 to 2,
// the control socket and the runtime's own (its poller's anonymous
// inodes, the cgroup files it reads its CPU quota from; a script opens
// files, fifos by name and namespace files only).
func scriptFDs(pid int) ([]int, error) {
	var fds []int
	for _, fd := range otherFDs(pid) {
		l := fdLink(pid, fd)
		if l == "" || strings.HasPrefix(l, "socket:") || strings.HasPrefix(l, "pipe:") || strings.HasPrefix(l, "anon_inode:") ||
			strings.HasPrefix(l, "/sys/fs/cgroup/") || strings.HasPrefix(l, "/proc/") {
			continue
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

func fdLink(pid, fd int) string {
	l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
	return l
}

// Session is the real tasks of one script: worker processes, the first in
// a throwaway mount namespace. Close kills them all.
type Session struct {
	// Task describes the filesystem under test (its device and type):
	// orphans are read from the device by the test process.
	Task  Task
	cpu   int // the CPU every worker is pinned to, or -1
	procs []*Proc
	err   error
}

// Proc is one real task, a worker process: the real kernel's Sys for a
// script task, with the namespace ops (unshare, setns, fork, clone, exit,
// mountinfo).
type Proc struct {
	s      *Session
	tid    int
	cmd    *exec.Cmd
	sock   *os.File
	enc    *gob.Encoder
	dec    *gob.Decoder
	stderr *bytes.Buffer
	dead   bool
}

// NewSession starts the first task of a script on the filesystem t
// describes, in a mount namespace of its own. With cpu >= 0 every task
// runs pinned to that CPU (ext4's per-CPU counters steer its allocations).
func NewSession(t Task, cpu int) (*Session, *Proc, error) {
	s := &Session{Task: t, cpu: cpu}
	p, err := s.spawn()
	if err != nil {
		return nil, nil, err
	}
	var r response
	if err := p.roundTrip(&request{Op: "start", Pin: cpu >= 0, CPU: cpu}, &r); err != nil {
		s.Close()
		return nil, nil, err
	}
	p.tid = r.Int
	return s, p, nil
}

// Err returns the first failure of the executor (a worker that died, a
// request it could not carry out): a script that met one proves nothing.
func (s *Session) Err() error { return s.err }

func (s *Session) spawn() (*Proc, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "ctl"), os.NewFile(uintptr(fds[1]), "ctl-worker")
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), WorkerEnv+"=1")
	cmd.ExtraFiles = []*os.File{theirs}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		mine.Close()
		theirs.Close()
		return nil, fmt.Errorf("starting a worker: %w", err)
	}
	theirs.Close()
	p := &Proc{s: s, cmd: cmd, sock: mine, enc: gob.NewEncoder(mine), dec: gob.NewDecoder(mine), stderr: &stderr}
	s.procs = append(s.procs, p)
	return p, nil
}

// Close kills every worker still running and waits for them: their
// namespaces, mounts and descriptors are gone when it returns.
func (s *Session) Close() error {
	for _, p := range s.procs {
		p.kill()
	}
	s.procs = nil
	return nil
}

func (p *Proc) kill() {
	if p.dead {
		return
	}
	p.dead = true
	p.sock.Close()
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// roundTrip sends one request and reads its response; a failure of the
// transport or of the worker is recorded in the session and returned.
func (p *Proc) roundTrip(q *request, r *response) error {
	fail := func(err error) error {
		err = fmt.Errorf("real task %d, request %s: %w", p.tid, q.Op, err)
		if p.s.err == nil {
			p.s.err = err
		}
		return err
	}
	if p.dead {
		return fail(errors.New("the task has exited"))
	}
	if err := p.enc.Encode(q); err != nil {
		return fail(fmt.Errorf("%v (worker stderr: %s)", err, p.stderr))
	}
	if err := p.dec.Decode(r); err != nil {
		return fail(fmt.Errorf("%v (worker stderr: %s)", err, p.stderr))
	}
	if r.Fail != "" {
		return fail(errors.New(r.Fail))
	}
	return nil
}

// call runs q and returns its response and errno (or a failure of the
// executor, which is not a vfs.Errno).
func (p *Proc) call(q request) (response, error) {
	var r response
	if err := p.roundTrip(&q, &r); err != nil {
		return r, err
	}
	if r.Errno != 0 {
		return r, vfs.Errno(r.Errno)
	}
	return r, nil
}

func (p *Proc) errOnly(q request) error {
	_, err := p.call(q)
	return err
}

// Tid is the worker's process id (script.Tider: /proc/PID names it).
func (p *Proc) Tid() int { return p.tid }

// CloneSys forks the task (script.SysCloner): a new worker with a copy of
// this one's descriptors, working directory and mount namespace; with
// CLONE_NEWNS it then unshares a mount namespace of its own. Sharing a
// descriptor table or fs_struct (CLONE_FILES, CLONE_FS) and the other
// namespaces cannot be had between processes: an error, not a result.
func (p *Proc) CloneSys(flags uint64) (script.Sys, error) {
	if flags&^uint64(vfs.CLONE_NEWNS) != 0 {
		return nil, fmt.Errorf("hostkernel: clone flags %#x: the real kernel's executor models fork and clone(CLONE_NEWNS) only (tasks are processes: they cannot share a descriptor table or fs_struct)", flags)
	}
	if p.dead {
		return nil, fmt.Errorf("hostkernel: clone from an exited task")
	}
	c, err := p.s.spawn()
	if err != nil {
		if p.s.err == nil {
			p.s.err = err
		}
		return nil, err
	}
	var r response
	q := request{Op: "adopt", PID: p.tid, U64: flags, Pin: p.s.cpu >= 0, CPU: p.s.cpu}
	if err := c.roundTrip(&q, &r); err != nil {
		c.kill()
		return nil, err
	}
	c.tid = r.Int
	if r.Errno != 0 {
		// clone(2) failed: there is no child.
		c.kill()
		return nil, vfs.Errno(r.Errno)
	}
	return c, nil
}

// Exit ends the task: the worker exits and is waited for, so its
// descriptors are closed and its namespaces left when Exit returns
// (script.Exiter).
func (p *Proc) Exit() {
	var r response
	if err := p.roundTrip(&request{Op: "exit"}, &r); err != nil {
		return
	}
	p.dead = true
	p.sock.Close()
	if err := p.cmd.Wait(); err != nil && p.s.err == nil {
		p.s.err = fmt.Errorf("real task %d exited: %v (stderr: %s)", p.tid, err, p.stderr)
	}
}

// Mountinfo reads the task's /proc/thread-self/mountinfo
// (script.Mountinfoer).
func (p *Proc) Mountinfo() []string {
	r, err := p.call(request{Op: "read-proc", Path: "mountinfo"})
	if err != nil {
		if p.s.err == nil {
			p.s.err = fmt.Errorf("reading mountinfo: %w", err)
		}
		return nil
	}
	return r.Strs
}

// MountInfo reads the task's /proc/thread-self/mounts
// (script.MountLister).
func (p *Proc) MountInfo() []string {
	r, err := p.call(request{Op: "read-proc", Path: "mounts"})
	if err != nil {
		if p.s.err == nil {
			p.s.err = fmt.Errorf("reading mounts: %w", err)
		}
		return nil
	}
	return r.Strs
}

// Unshare is unshare(2) (script.Unsharer).
func (p *Proc) Unshare(flags uint64) error {
	return p.errOnly(request{Op: "unshare", U64: flags})
}

// Setns is setns(2) (script.Setnser).
func (p *Proc) Setns(fd int, nstype uint64) error {
	return p.errOnly(request{Op: "setns", FD: fd, U64: nstype})
}

func (p *Proc) Open(path string, flags int, mode vfs.FileMode) (int, error) {
	r, err := p.call(request{Op: "open", Path: path, Flags: flags, Mode: uint32(mode)})
	return r.Int, err
}

func (p *Proc) Openat(dirfd int, path string, flags int, mode vfs.FileMode) (int, error) {
	r, err := p.call(request{Op: "openat", FD: dirfd, Path: path, Flags: flags, Mode: uint32(mode)})
	return r.Int, err
}

func (p *Proc) Close(fd int) error { return p.errOnly(request{Op: "close", FD: fd}) }

func (p *Proc) Dup(fd int) (int, error) {
	r, err := p.call(request{Op: "dup", FD: fd})
	return r.Int, err
}

func (p *Proc) Read(fd int, b []byte) (int, error) {
	r, err := p.call(request{Op: "read", FD: fd, N: int64(len(b))})
	copy(b, r.Data)
	return r.Int, err
}

func (p *Proc) Write(fd int, b []byte) (int, error) {
	r, err := p.call(request{Op: "write", FD: fd, Data: b})
	return r.Int, err
}

func (p *Proc) Pread(fd int, b []byte, off int64) (int, error) {
	r, err := p.call(request{Op: "pread", FD: fd, N: int64(len(b)), Off: off})
	copy(b, r.Data)
	return r.Int, err
}

func (p *Proc) Pwrite(fd int, b []byte, off int64) (int, error) {
	r, err := p.call(request{Op: "pwrite", FD: fd, Data: b, Off: off})
	return r.Int, err
}

func (p *Proc) Ftruncate(fd int, length int64) error {
	return p.errOnly(request{Op: "ftruncate", FD: fd, Off: length})
}

func (p *Proc) Lseek(fd int, off int64, whence int) (int64, error) {
	r, err := p.call(request{Op: "lseek", FD: fd, Off: off, Flags: whence})
	return r.I64, err
}

func (p *Proc) Link(oldpath, newpath string) error {
	return p.errOnly(request{Op: "link", Path: oldpath, Path2: newpath})
}

func (p *Proc) Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	return p.errOnly(request{Op: "linkat", FD: olddirfd, Path: oldpath, FD2: newdirfd, Path2: newpath, Flags: flags})
}

func (p *Proc) Unlink(path string) error { return p.errOnly(request{Op: "unlink", Path: path}) }
func (p *Proc) Rmdir(path string) error  { return p.errOnly(request{Op: "rmdir", Path: path}) }

func (p *Proc) Mkdir(path string, mode vfs.FileMode) error {
	return p.errOnly(request{Op: "mkdir", Path: path, Mode: uint32(mode)})
}

func (p *Proc) Mkdirat(dirfd int, path string, mode vfs.FileMode) error {
	return p.errOnly(request{Op: "mkdirat", FD: dirfd, Path: path, Mode: uint32(mode)})
}

func (p *Proc) Rename(oldpath, newpath string) error {
	return p.errOnly(request{Op: "rename", Path: oldpath, Path2: newpath})
}

func (p *Proc) Renameat2(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
	return p.errOnly(request{Op: "renameat2", FD: olddirfd, Path: oldpath, FD2: newdirfd, Path2: newpath, U64: uint64(flags)})
}

func (p *Proc) Mkfifo(path string, mode vfs.FileMode) error {
	return p.errOnly(request{Op: "mkfifo", Path: path, Mode: uint32(mode)})
}

func (p *Proc) Symlink(target, linkpath string) error {
	return p.errOnly(request{Op: "symlink", Path: target, Path2: linkpath})
}

func (p *Proc) Fstat(fd int) (vfs.Stat_t, error) {
	r, err := p.call(request{Op: "fstat", FD: fd})
	return r.Stat, err
}

func (p *Proc) Stat(path string) (vfs.Stat_t, error) {
	r, err := p.call(request{Op: "stat", Path: path})
	return r.Stat, err
}

func (p *Proc) Lstat(path string) (vfs.Stat_t, error) {
	r, err := p.call(request{Op: "lstat", Path: path})
	return r.Stat, err
}

func (p *Proc) Readlink(path string) (string, error) {
	r, err := p.call(request{Op: "readlink", Path: path})
	return r.Str, err
}

func (p *Proc) ReadDir(fd int) ([]vfs.Dirent, error) {
	r, err := p.call(request{Op: "readdir", FD: fd})
	return r.Dirents, err
}

func (p *Proc) Chdir(path string) error { return p.errOnly(request{Op: "chdir", Path: path}) }

func (p *Proc) Chmod(path string, mode vfs.FileMode) error {
	return p.errOnly(request{Op: "chmod", Path: path, Mode: uint32(mode)})
}

// Sync is sync(2), from the test process: it syncs every filesystem.
func (p *Proc) Sync() { unix.Sync() }

// OnDiskOrphans reads the device's orphans from the test process, as
// Task.OnDiskOrphans does.
func (p *Proc) OnDiskOrphans(path string) ([]uint64, bool, error) {
	return p.s.Task.OnDiskOrphans(path)
}

func (p *Proc) Mount(source, target, fstype string, flags vfs.MountFlags, data string) error {
	return p.errOnly(request{Op: "mount", Path: source, Path2: target, FSType: fstype, U64: uint64(flags), MountData: data})
}

func (p *Proc) Umount(target string, flags int) error {
	return p.errOnly(request{Op: "umount", Path: target, Flags: flags})
}

// MountSource mounts the filesystem under test's source again, in the
// task's mount namespace (script.SourceMounter).
func (p *Proc) MountSource(target string, flags vfs.MountFlags, data string) error {
	if p.s.Task.Source == "" || p.s.Task.FSType == "" {
		return fmt.Errorf("hostkernel.Proc: no Source and FSType to mount")
	}
	return p.Mount(p.s.Task.Source, target, p.s.Task.FSType, flags, data)
}

func (p *Proc) SubvolCreate(dirfd int, name string) error {
	return p.errOnly(request{Op: "subvol-create", FD: dirfd, Path: name})
}

func (p *Proc) SnapshotCreate(dirfd int, name string, srcfd int, readonly bool) error {
	return p.errOnly(request{Op: "snapshot-create", FD: dirfd, Path: name, FD2: srcfd, Bool: readonly})
}

// SubvolOrphans looks the subvolume's tree id up in the worker and reads
// its orphan items from the device in the test process.
func (p *Proc) SubvolOrphans(fd int) ([]uint64, error) {
	if p.s.Task.OrphanDev == "" || p.s.Task.OrphanFS != "btrfs" {
		return nil, errno(unix.ENOTTY)
	}
	r, err := p.call(request{Op: "ino-lookup", FD: fd})
	if err != nil {
		return nil, err
	}
	return BtrfsOrphanItems(p.s.Task.OrphanDev, r.U64)
}

var (
	_ script.Sys           = (*Proc)(nil)
	_ script.Syncer        = (*Proc)(nil)
	_ script.OrphanReader  = (*Proc)(nil)
	_ script.Subvolumes    = (*Proc)(nil)
	_ script.Mounter       = (*Proc)(nil)
	_ script.SourceMounter = (*Proc)(nil)
	_ script.MountLister   = (*Proc)(nil)
	_ script.Mountinfoer   = (*Proc)(nil)
	_ script.Unsharer      = (*Proc)(nil)
	_ script.Setnser       = (*Proc)(nil)
	_ script.Tider         = (*Proc)(nil)
	_ script.Exiter        = (*Proc)(nil)
	_ script.SysCloner     = (*Proc)(nil)
)
