package script

import (
	"fmt"
	"sort"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// Tasks: a script starts as one task (FirstTask) and can clone more,
// switch between them and end them. Each task has its own descriptor names
// unless it shares its table (CLONE_FILES).

// Cloner is clone(2) for the task ops (*vfs.Task has it).
type Cloner interface {
	Clone(flags uint64) (*vfs.Task, error)
}

// SysCloner is clone(2) for a Sys that is not a simulated task (the real
// kernel's executor, whose tasks are processes): the child as a Sys. The
// task ops prefer it to Cloner.
type SysCloner interface {
	CloneSys(flags uint64) (Sys, error)
}

// Exiter ends a task (exit(2)).
type Exiter interface{ Exit() }

// Mountinfoer reads the task's /proc/self/mountinfo, one line per mount.
type Mountinfoer interface{ Mountinfo() []string }

var (
	_ Cloner      = (*vfs.Task)(nil)
	_ Exiter      = (*vfs.Task)(nil)
	_ Mountinfoer = (*vfs.Task)(nil)
)

// CloneFlags are the names the clone and unshare ops take, comma-separated.
var CloneFlags = map[string]uint64{
	"files":   vfs.CLONE_FILES,
	"fs":      vfs.CLONE_FS,
	"mnt":     vfs.CLONE_NEWNS,
	"uts":     vfs.CLONE_NEWUTS,
	"ipc":     vfs.CLONE_NEWIPC,
	"net":     vfs.CLONE_NEWNET,
	"pid":     vfs.CLONE_NEWPID,
	"cgroup":  vfs.CLONE_NEWCGROUP,
	"time":    vfs.CLONE_NEWTIME,
	"sysvsem": vfs.CLONE_SYSVSEM,
}

// ParseCloneFlags reads comma-separated CloneFlags names ("none" for 0).
func ParseCloneFlags(s string) (uint64, error) {
	if s == "none" {
		return 0, nil
	}
	var flags uint64
	for _, w := range strings.Split(s, ",") {
		f, ok := CloneFlags[w]
		if !ok {
			names := make([]string, 0, len(CloneFlags))
			for n := range CloneFlags {
				names = append(names, n)
			}
			sort.Strings(names)
			return 0, fmt.Errorf("unknown flag %q (want none, or some of %s)", w, strings.Join(names, ","))
		}
		flags |= f
	}
	return flags, nil
}

func checkCloneFlags(arg int) func(op Op) (int, string) {
	return func(op Op) (int, string) {
		if _, err := ParseCloneFlags(op.Text); err != nil {
			return arg, err.Error()
		}
		return 0, ""
	}
}

// cloneOp is fork and clone.
func cloneOp(r *Runner, op Op, fd int) (any, error) {
	var flags uint64
	if op.Name == "clone" {
		flags, _ = ParseCloneFlags(op.Text)
	}
	if r.task(op.Out) != nil {
		return nil, fmt.Errorf("a task is already called %q", op.Out)
	}
	var child Sys
	if sc, ok := r.T.(SysCloner); ok {
		c, err := sc.CloneSys(flags)
		if err != nil {
			return nil, err
		}
		child = c
	} else {
		c, err := Need[Cloner](r, op)
		if err != nil {
			return nil, err
		}
		t, err := c.Clone(flags)
		if err != nil {
			return nil, err
		}
		child = t
	}
	return nil, r.AddTask(op.Out, child, flags&vfs.CLONE_FILES != 0)
}

func init() {
	for _, s := range []OpSpec{
		{Name: "fork", Group: "task", Args: []Arg{ArgOut}, Usage: "fork -> T",
			Help: "fork(2): a new task T, with a copy of the current task's descriptors (and their names) and fs_struct, in its namespaces",
			Run:  cloneOp},
		{Name: "clone", Group: "task", Args: []Arg{ArgWord, ArgOut}, Usage: "clone FLAGS -> T", Check: checkCloneFlags(0), Example: "clone files,mnt -> T",
			Help: "clone(2) with FLAGS, comma-separated: files (share the descriptor table), fs (share root, cwd, umask), mnt uts ipc net pid cgroup time (new namespaces: CLONE_NEW*), sysvsem; or none",
			Run:  cloneOp},
		{Name: "as", Group: "task", Args: []Arg{ArgWord}, Usage: "as T",
			Help: "the following ops run as task T (the first task is init)",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				return nil, r.SwitchTask(op.Text)
			}},
		{Name: "exit", Group: "task", Args: []Arg{ArgWord}, Usage: "exit T",
			Help: "task T exits: its descriptor table, fs_struct and nsproxy lose a user; ops run as init if T was current",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				if op.Text == FirstTask {
					return nil, fmt.Errorf("the first task, %s, cannot exit", FirstTask)
				}
				sys, ok := r.TaskSys(op.Text)
				if !ok {
					return nil, fmt.Errorf("no task is called %q (tasks: %s)", op.Text, strings.Join(r.TaskNames(), ", "))
				}
				e, ok := sys.(Exiter)
				if !ok {
					return nil, fmt.Errorf("op exit needs a task with Exit, which %T lacks", sys)
				}
				e.Exit()
				r.RemoveTask(op.Text)
				return nil, nil
			}},
		{Name: "mountinfo", Group: "namespace",
			Help: "the current task's /proc/self/mountinfo for the mounts at or under the filesystem root (/mnt): mount ids, parents and devices as labels (m1, d1, ...) by first appearance, mount points relative to the root",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				mi, err := Need[Mountinfoer](r, op)
				if err != nil {
					return nil, err
				}
				return NormalizeMountinfo(mi.Mountinfo(), r.Root), nil
			}},
	} {
		Register(s)
	}
}

// NormalizeMountinfo keeps the mountinfo lines of mounts at or under root
// and rewrites what differs between kernels and runs: mount ids and parent
// ids become m1, m2, ... and major:minor d1, d2, ... by first appearance;
// mount points are made relative to root ("." for root itself); a source
// under /dev becomes its device label. What remains — the mount's root in
// its filesystem, the options, the type — is compared as it is.
func NormalizeMountinfo(lines []string, root string) []string {
	out := []string{}
	ids, devs := map[string]string{}, map[string]string{}
	label := func(m map[string]string, prefix, k string) string {
		if l, ok := m[k]; ok {
			return l
		}
		l := fmt.Sprintf("%s%d", prefix, len(m)+1)
		m[k] = l
		return l
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 10 {
			continue
		}
		mp := f[4]
		rel, ok := strings.CutPrefix(mp, root)
		if !ok || rel != "" && !strings.HasPrefix(rel, "/") {
			continue
		}
		rel = strings.TrimPrefix(rel, "/")
		if rel == "" {
			rel = "."
		}
		sep := 6
		for sep < len(f) && f[sep] != "-" {
			sep++
		}
		if sep+3 >= len(f)+1 {
			continue
		}
		dev := label(devs, "d", f[2])
		src := f[sep+2]
		if strings.HasPrefix(src, "/dev/") {
			src = dev
		}
		parts := []string{label(ids, "m", f[0]), label(ids, "m", f[1]), dev, f[3], rel, f[5]}
		parts = append(parts, f[6:sep]...)
		parts = append(parts, "-", f[sep+1], src)
		parts = append(parts, f[sep+3:]...)
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// The namespace system calls, for a Sys that has them (*vfs.Task: through
// the namespace operations package nsproxy installs).
type (
	// Unsharer is unshare(2).
	Unsharer interface{ Unshare(flags uint64) error }
	// Setnser is setns(2) with a descriptor of /proc/PID/ns/NAME.
	Setnser interface {
		Setns(fd int, nstype uint64) error
	}
	// Tider names the task's process id (for /proc/PID paths).
	Tider interface{ Tid() int }
)

var (
	_ Unsharer = (*vfs.Task)(nil)
	_ Setnser  = (*vfs.Task)(nil)
	_ Tider    = (*vfs.Task)(nil)
)

// nsTypes are setns' nstype names.
var nsTypes = map[string]uint64{
	"mnt": vfs.CLONE_NEWNS, "uts": vfs.CLONE_NEWUTS, "ipc": vfs.CLONE_NEWIPC, "net": vfs.CLONE_NEWNET,
	"pid": vfs.CLONE_NEWPID, "cgroup": vfs.CLONE_NEWCGROUP, "time": vfs.CLONE_NEWTIME,
}

func setnsOp(r *Runner, op Op, fd int) (any, error) {
	s, err := Need[Setnser](r, op)
	if err != nil {
		return nil, err
	}
	var nstype uint64
	if op.Name == "setns-type" {
		nt, ok := nsTypes[op.Text]
		if !ok {
			return nil, fmt.Errorf("unknown namespace type %q (want mnt, uts, ipc, net, pid, cgroup or time)", op.Text)
		}
		nstype = nt
	}
	return nil, s.Setns(fd, nstype)
}

func init() {
	for _, s := range []OpSpec{
		{Name: "unshare", Group: "namespace", Args: []Arg{ArgWord}, Usage: "unshare FLAGS", Check: checkCloneFlags(0), Example: "unshare mnt",
			Help: "unshare(2) with FLAGS as clone takes them (mnt implies fs)",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				u, err := Need[Unsharer](r, op)
				if err != nil {
					return nil, err
				}
				flags, _ := ParseCloneFlags(op.Text)
				return nil, u.Unshare(flags)
			}},
		{Name: "open-ns", Group: "namespace", Args: []Arg{ArgPath, ArgWord, ArgOut}, Usage: "open-ns TASK NS -> FD", Example: "open-ns init mnt -> N",
			Help: "open /proc/PID/ns/NS of task TASK (NS: mnt, uts, ipc, net, pid, pid_for_children, cgroup, time, time_for_children) read-only, for setns",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				sys, ok := r.TaskSys(op.Path)
				if !ok {
					return nil, fmt.Errorf("no task is called %q (tasks: %s)", op.Path, strings.Join(r.TaskNames(), ", "))
				}
				tid, ok := sys.(Tider)
				if !ok {
					return nil, fmt.Errorf("op open-ns needs a task with Tid, which %T lacks", sys)
				}
				nfd, err := r.T.Open(fmt.Sprintf("/proc/%d/ns/%s", tid.Tid(), op.Text), vfs.O_RDONLY, 0)
				return nil, r.Record(op.Out, nfd, err)
			}},
		{Name: "setns", Group: "namespace", Args: []Arg{ArgFD}, UsesFD: true,
			Help: "setns(2) into the namespace FD (from open-ns) is open on, nstype 0", Run: setnsOp},
		{Name: "setns-type", Group: "namespace", Args: []Arg{ArgFD, ArgWord}, UsesFD: true, Usage: "setns-type FD NSTYPE", Example: "setns-type N uts",
			Help: "setns(2) with nstype NSTYPE (mnt, uts, ipc, net, pid, cgroup, time): EINVAL unless FD's namespace is of that type", Run: setnsOp},
	} {
		Register(s)
	}
}
