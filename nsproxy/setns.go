package nsproxy

import (
	"github.com/relinksim/relinksim/vfs"
)

// unshareFlags are the flags unshare(2) knows (check_unshare_flags).
const unshareFlags = vfs.CLONE_NEWALL | vfs.CLONE_FS | vfs.CLONE_FILES | vfs.CLONE_SYSVSEM

// Unshare models kernel/fork.c:ksys_unshare for the VFS and namespace
// flags: CLONE_NEWNS implies CLONE_FS (unshare_fs), CLONE_FILES gives the
// task its own descriptor table (unshare_fd), and CLONE_NEW* flags give it
// a new nsproxy with new namespaces of those kinds
// (unshare_nsproxy_namespaces), installed with switch_task_namespaces.
// Nothing changes when it fails.
//
// Errors, in order:
//   - EINVAL: unknown flags.
//   - EPERM: CLONE_NEW* without CAP_SYS_ADMIN.
func (o *Ops) Unshare(t *vfs.Task, flags uint64) error {
	if flags&^unshareFlags != 0 {
		return vfs.EINVAL
	}
	if flags&vfs.CLONE_NEWNS != 0 {
		flags |= vfs.CLONE_FS
	}
	if flags&vfs.CLONE_NEWALL != 0 && !t.NsCapable(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM // unshare_nsproxy_namespaces
	}
	if flags&vfs.CLONE_FS != 0 {
		t.UnshareFS()
	}
	if flags&vfs.CLONE_FILES != 0 {
		t.UnshareFiles()
	}
	if flags&vfs.CLONE_NEWALL == 0 {
		return nil
	}
	p := o.createNewNamespaces(flags, t, Of(t))
	o.SwitchTaskNamespaces(t, p)
	return nil
}

// Setns models kernel/nsproxy.c:setns with a namespace file: fd must be
// open on /proc/PID/ns/NAME, nstype 0 or that namespace's CLONE_NEW* flag;
// then KernSetns.
//
// Errors, in order:
//   - EBADF: fd is not open.
//   - EINVAL: fd is not a namespace file, or nstype names another kind.
//   - those of KernSetns.
func (o *Ops) Setns(t *vfs.Task, fd int, nstype uint64) error {
	ns, err := t.NamespaceOf(fd)
	if err != nil {
		return err
	}
	if nstype != 0 && nstype != ns.NSType() {
		return vfs.EINVAL
	}
	return o.KernSetns(t, ns)
}

// KernSetns models seed patch 09's kernel/nsproxy.c:kern_setns, the body
// the series factored out of setns(2) so that checkpoint can enter the
// mount namespace of a file it relinks: a new nsproxy copied from t's
// (create_new_namespaces without flags), the namespace installed in it
// (ops->install: mntns_install for a mount namespace, which also moves t's
// root and working directory to the namespace's root), and the switch.
// On failure the new nsproxy is freed and nothing changes.
//
// Errors:
//   - EPERM: no CAP_SYS_ADMIN (and, for a mount namespace, CAP_SYS_CHROOT).
//   - EINVAL: entering a mount namespace with an fs_struct shared with
//     another task (CLONE_FS).
func (o *Ops) KernSetns(t *vfs.Task, ns vfs.Namespace) error {
	if Of(t) == nil {
		vfs.Bug("kern_setns: %s has no nsproxy (it exited)", t)
	}
	p := o.createNewNamespaces(0, t, Of(t))
	if err := o.install(t, p, ns); err != nil {
		o.putNsproxy(p) // free_nsproxy
		return err
	}
	o.SwitchTaskNamespaces(t, p)
	return nil
}

// install models the proc_ns_operations install functions: mntns_install
// for a mount namespace, the others' (utsns_install, ipcns_install, ...)
// which need CAP_SYS_ADMIN and swap the nsproxy's slot.
func (o *Ops) install(t *vfs.Task, p *Nsproxy, ns vfs.Namespace) error {
	if mns, ok := ns.(*vfs.MountNamespace); ok {
		if err := t.MntnsInstall(mns); err != nil {
			return err
		}
		vfs.PutMntNS(p.Mnt)
		p.Mnt = vfs.GetMntNS(mns)
		return nil
	}
	if !t.NsCapable(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM
	}
	s := simpleOf(ns)
	var slot **Simple
	switch s.typ {
	case vfs.CLONE_NEWUTS:
		slot = &p.UTS
	case vfs.CLONE_NEWIPC:
		slot = &p.IPC
	case vfs.CLONE_NEWPID:
		slot = &p.PIDForChildren // pidns_install: for the children
	case vfs.CLONE_NEWCGROUP:
		slot = &p.Cgroup
	case vfs.CLONE_NEWNET:
		slot = &p.Net
	case vfs.CLONE_NEWTIME:
		slot = &p.TimeForChildren // timens_install sets both; see below
	}
	s.Get()
	(*slot).Put()
	*slot = s
	if s.typ == vfs.CLONE_NEWTIME {
		s.Get()
		p.Time.Put()
		p.Time = s
	}
	return nil
}

// simpleOf unwraps a /proc/PID/ns entry of a simple namespace.
func simpleOf(ns vfs.Namespace) *Simple {
	switch x := ns.(type) {
	case *Simple:
		return x
	case named:
		return x.Simple
	}
	vfs.Bug("nsproxy: %T is not a namespace of this package", ns)
	return nil
}
