package nsproxy

import (
	"fmt"

	"github.com/relinksim/relinksim/vfs"
)

// Simple is a namespace other than the mount namespace — uts, ipc, net,
// pid, cgroup, time — modelled by identity and reference count only: what
// it isolates (host names, IPC objects, network stacks, pids, cgroup
// roots, clocks) is not simulated. Its reference count is the number of
// nsproxy slots pointing at it plus the open /proc/PID/ns files naming it.
type Simple struct {
	vfs.Object
	typ  uint64
	name string
	inum uint64
}

// kinds are the simple namespaces, by CLONE_NEW* flag, in the order
// create_new_namespaces copies them.
var kinds = []struct {
	flag uint64
	name string
}{
	{vfs.CLONE_NEWUTS, "uts"},
	{vfs.CLONE_NEWIPC, "ipc"},
	{vfs.CLONE_NEWPID, "pid"},
	{vfs.CLONE_NEWCGROUP, "cgroup"},
	{vfs.CLONE_NEWNET, "net"},
	{vfs.CLONE_NEWTIME, "time"},
}

// newSimple makes a namespace of kind flag with one reference (models
// copy_utsname, copy_ipcs, copy_pid_ns, copy_cgroup_ns, copy_net_ns and
// copy_time_ns when their flag is set).
func newSimple(k *vfs.Kernel, flag uint64, name string) *Simple {
	s := &Simple{typ: flag, name: name, inum: k.AllocInum()}
	k.Track(&s.Object, name+"_namespace", func() string { return fmt.Sprintf("%s:[%d]", s.name, s.inum) })
	return s
}

// NSType implements vfs.Namespace.
func (s *Simple) NSType() uint64 { return s.typ }

// NSName implements vfs.Namespace.
func (s *Simple) NSName() string { return s.name }

// Inum implements vfs.Namespace.
func (s *Simple) Inum() uint64 { return s.inum }

// NSGet implements vfs.Namespace.
func (s *Simple) NSGet() { s.Get() }

// NSPut implements vfs.Namespace.
func (s *Simple) NSPut() { s.Put() }

func (s *Simple) String() string { return fmt.Sprintf("%s:[%d]", s.name, s.inum) }
