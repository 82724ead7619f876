package nsproxy

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// Nsproxy is analogous to Linux's struct nsproxy (include/linux/nsproxy.h):
// the set of namespaces a task works in. Its count is the number of tasks
// sharing it; it holds one reference on each namespace it names.
type Nsproxy struct {
	vfs.Object
	ops *Ops
	seq int
	Mnt *vfs.MountNamespace
	// UTS, IPC, PIDForChildren, Cgroup, Net and TimeForChildren, in
	// create_new_namespaces' order; Time is the time namespace the task
	// itself runs in (time_ns), which a clone with CLONE_NEWTIME leaves
	// for the children.
	UTS, IPC, PIDForChildren, Cgroup, Net, Time, TimeForChildren *Simple
}

// simples returns the nsproxy's simple-namespace slots.
func (p *Nsproxy) simples() []**Simple {
	return []**Simple{&p.UTS, &p.IPC, &p.PIDForChildren, &p.Cgroup, &p.Net, &p.Time, &p.TimeForChildren}
}

func (p *Nsproxy) describe() string {
	var parts []string
	for _, s := range p.simples() {
		if *s != nil {
			parts = append(parts, (*s).String())
		}
	}
	mnt := "none"
	if p.Mnt != nil {
		mnt = p.Mnt.String()
	}
	return fmt.Sprintf("nsproxy %d (%s %s)", p.seq, mnt, strings.Join(parts, " "))
}

func (p *Nsproxy) String() string { return p.describe() }

// Count returns the number of tasks sharing the nsproxy.
func (p *Nsproxy) Count() int64 { return p.Refs() }

// Ops are the namespace operations of one kernel (vfs.NamespaceOps): the
// live nsproxies, and the functions of kernel/nsproxy.c.
type Ops struct {
	k    *vfs.Kernel
	live []*Nsproxy // in creation order
	seq  int
}

var _ vfs.NamespaceOps = (*Ops)(nil)

// Enable installs namespace operations on k (once; a second call returns
// the installed ones): the tasks that exist get an initial nsproxy
// (init_nsproxy) holding their mount namespace and one of each other
// namespace.
func Enable(k *vfs.Kernel) *Ops {
	if o, ok := k.NamespaceOps().(*Ops); ok {
		return o
	}
	o := &Ops{k: k}
	k.SetNamespaceOps(o)
	k.AddChecker("nsproxy", o.check)
	return o
}

// For returns k's namespace operations, enabling them if needed.
func For(k *vfs.Kernel) *Ops { return Enable(k) }

// alloc models kernel/nsproxy.c:create_nsproxy: an empty nsproxy with a
// count of one.
func (o *Ops) alloc() *Nsproxy {
	o.seq++
	p := &Nsproxy{ops: o, seq: o.seq}
	o.k.Track(&p.Object, "nsproxy", p.describe)
	o.live = append(o.live, p)
	return p
}

// AdoptTask implements vfs.NamespaceOps: a task of the kernel as it was
// before namespace operations gets the nsproxy of the first adopted task
// in the same mount namespace, or a new one (the initial namespaces).
func (o *Ops) AdoptTask(t *vfs.Task) {
	for _, p := range o.live {
		if p.Mnt == t.MountNamespace() {
			p.Get()
			t.NS = p
			return
		}
	}
	p := o.alloc()
	p.Mnt = vfs.GetMntNS(t.MountNamespace())
	p.UTS = newSimple(o.k, vfs.CLONE_NEWUTS, "uts")
	p.IPC = newSimple(o.k, vfs.CLONE_NEWIPC, "ipc")
	p.PIDForChildren = newSimple(o.k, vfs.CLONE_NEWPID, "pid")
	p.Cgroup = newSimple(o.k, vfs.CLONE_NEWCGROUP, "cgroup")
	p.Net = newSimple(o.k, vfs.CLONE_NEWNET, "net")
	p.Time = newSimple(o.k, vfs.CLONE_NEWTIME, "time")
	p.TimeForChildren = p.Time
	p.Time.Get()
	t.NS = p
}

// Of returns t's nsproxy (task->nsproxy), nil for an exiting task.
func Of(t *vfs.Task) *Nsproxy {
	p, _ := t.NS.(*Nsproxy)
	return p
}

// createNewNamespaces models kernel/nsproxy.c:create_new_namespaces: a
// new nsproxy whose every namespace is a copy (its CLONE_NEW* flag set) or
// the one t's nsproxy has, with a new reference. The mount namespace copy
// moves t's root and working directory (t's fs_struct must be its own).
func (o *Ops) createNewNamespaces(flags uint64, t *vfs.Task, from *Nsproxy) *Nsproxy {
	p := o.alloc()
	if flags&vfs.CLONE_NEWNS != 0 {
		p.Mnt = t.CopyMntNS(from.Mnt) // copy_mnt_ns
	} else {
		p.Mnt = vfs.GetMntNS(from.Mnt)
	}
	src := []*Simple{from.UTS, from.IPC, from.PIDForChildren, from.Cgroup, from.Net}
	dst := []**Simple{&p.UTS, &p.IPC, &p.PIDForChildren, &p.Cgroup, &p.Net}
	for i, kd := range kinds[:5] {
		if flags&kd.flag != 0 {
			*dst[i] = newSimple(o.k, kd.flag, kd.name)
		} else {
			src[i].Get()
			*dst[i] = src[i]
		}
	}
	// copy_time_ns: a new time namespace is for the children; the task
	// keeps running in its own.
	from.Time.Get()
	p.Time = from.Time
	if flags&vfs.CLONE_NEWTIME != 0 {
		p.TimeForChildren = newSimple(o.k, vfs.CLONE_NEWTIME, "time")
	} else {
		from.TimeForChildren.Get()
		p.TimeForChildren = from.TimeForChildren
	}
	return p
}

// putNsproxy models put_nsproxy: the last task's reference frees it
// (free_nsproxy), dropping its reference on every namespace.
func (o *Ops) putNsproxy(p *Nsproxy) {
	if !p.Put() {
		return
	}
	if p.Mnt != nil {
		vfs.PutMntNS(p.Mnt)
		p.Mnt = nil
	}
	for _, s := range p.simples() {
		if *s != nil {
			(*s).Put()
			*s = nil
		}
	}
	for i, x := range o.live {
		if x == p {
			o.live = append(o.live[:i], o.live[i+1:]...)
			break
		}
	}
}

// CopyNamespaces implements vfs.NamespaceOps (models
// kernel/nsproxy.c:copy_namespaces): without CLONE_NEW* flags the child
// shares its parent's nsproxy; with them it needs CAP_SYS_ADMIN (EPERM)
// and gets new namespaces of those kinds (CLONE_NEWIPC with CLONE_SYSVSEM
// is EINVAL).
func (o *Ops) CopyNamespaces(flags uint64, parent, child *vfs.Task) error {
	old := Of(parent)
	if old == nil {
		vfs.Bug("copy_namespaces: %s has no nsproxy (it exited)", parent)
	}
	if flags&vfs.CLONE_NEWALL == 0 {
		// A task whose time namespace for children is its own shares
		// the nsproxy; otherwise the child needs one of its own, in the
		// time namespace for children (timens_on_fork).
		if old.TimeForChildren == old.Time {
			old.Get()
			child.NS = old
			child.SetMntNS(old.Mnt)
			return nil
		}
	} else if !parent.NsCapable(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM
	}
	if flags&(vfs.CLONE_NEWIPC|vfs.CLONE_SYSVSEM) == vfs.CLONE_NEWIPC|vfs.CLONE_SYSVSEM {
		return vfs.EINVAL
	}
	p := o.createNewNamespaces(flags, child, old)
	timensOnFork(p)
	child.NS = p
	child.SetMntNS(p.Mnt)
	return nil
}

// timensOnFork models kernel/time/namespace.c:timens_on_fork: a new task
// runs in the time namespace its parent made for its children.
func timensOnFork(p *Nsproxy) {
	if p.Time == p.TimeForChildren {
		return
	}
	p.TimeForChildren.Get()
	p.Time.Put()
	p.Time = p.TimeForChildren
}

// SwitchTaskNamespaces models kernel/nsproxy.c:switch_task_namespaces:
// t's nsproxy becomes p (whose reference t takes over; nil for an exiting
// task) and the old one loses t's reference.
func (o *Ops) SwitchTaskNamespaces(t *vfs.Task, p *Nsproxy) {
	old := Of(t)
	t.NS = p
	if p != nil {
		t.SetMntNS(p.Mnt)
	}
	if old != nil {
		o.putNsproxy(old)
	}
}

// ExitNamespaces implements vfs.NamespaceOps (models
// kernel/nsproxy.c:exit_task_namespaces).
func (o *Ops) ExitNamespaces(t *vfs.Task) {
	o.SwitchTaskNamespaces(t, nil)
	t.NS = nil
}

// MntNSRefs implements vfs.NamespaceOps: one reference per nsproxy naming
// ns.
func (o *Ops) MntNSRefs(ns *vfs.MountNamespace) int {
	n := 0
	for _, p := range o.live {
		if p.Mnt == ns {
			n++
		}
	}
	return n
}

// Namespaces implements vfs.NamespaceOps: t's namespaces in the order
// /proc/PID/ns lists them (there is no user namespace).
func (o *Ops) Namespaces(t *vfs.Task) []vfs.Namespace {
	p := Of(t)
	if p == nil {
		return nil
	}
	return []vfs.Namespace{
		named{p.Cgroup, "cgroup"}, named{p.IPC, "ipc"}, p.Mnt, named{p.Net, "net"},
		p.PIDForChildren, named{p.PIDForChildren, "pid_for_children"},
		named{p.Time, "time"}, named{p.TimeForChildren, "time_for_children"}, named{p.UTS, "uts"},
	}
}

// named shows a namespace under another /proc/PID/ns name
// (pid_for_children, time_for_children).
type named struct {
	*Simple
	as string
}

func (n named) NSName() string { return n.as }

// TaskNsproxy implements vfs.NsproxyViewer: the nsproxy t uses.
func (o *Ops) TaskNsproxy(t *vfs.Task) (vfs.NsproxyView, bool) {
	p := Of(t)
	if p == nil {
		return vfs.NsproxyView{}, false
	}
	return vfs.NsproxyView{ID: p.ObjectID(), Count: p.Count(), Name: fmt.Sprintf("nsproxy %d", p.seq)}, true
}

var _ vfs.NsproxyViewer = (*Ops)(nil)

// Live returns the live nsproxies in creation order.
func (o *Ops) Live() []*Nsproxy { return append([]*Nsproxy(nil), o.live...) }
