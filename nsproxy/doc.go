// Package nsproxy models kernel/nsproxy.c: the set of namespaces a task
// works in, how clone(2), unshare(2) and setns(2) change it, and the seed
// series' kern_setns (patch 09), which lets checkpoint enter the mount
// namespace of a file it must relink — from another namespace the link is
// EXDEV, because linkat compares vfsmounts and every namespace has mounts
// of its own.
//
// Enable installs the package's namespace operations on a vfs.Kernel
// (vfs.NamespaceOps); importing the package does it for every kernel a
// script.Machine boots, and adds the ops kern-setns and nsproxies to the
// op language (unshare, setns, open-ns, clone and the other task ops are
// the language's own, reaching these functions through vfs.Task).
//
// # Kernel correspondence
//
//	Nsproxy                  struct nsproxy (include/linux/nsproxy.h)
//	Simple                   struct uts_namespace, ipc_namespace, net,
//	                         pid_namespace, cgroup_namespace, time_namespace:
//	                         their ns_common only (identity, refcount, inum)
//	vfs.MountNamespace       struct mnt_namespace
//	Ops.createNewNamespaces  kernel/nsproxy.c:create_new_namespaces
//	Ops.CopyNamespaces       kernel/nsproxy.c:copy_namespaces (clone)
//	Ops.Unshare              kernel/fork.c:ksys_unshare with
//	                         unshare_nsproxy_namespaces
//	Ops.SwitchTaskNamespaces kernel/nsproxy.c:switch_task_namespaces
//	timensOnFork             kernel/time/namespace.c:timens_on_fork
//	Ops.ExitNamespaces       kernel/nsproxy.c:exit_task_namespaces
//	Ops.putNsproxy           put_nsproxy and free_nsproxy
//	Ops.Setns                kernel/nsproxy.c:setns (with a namespace file)
//	Ops.KernSetns            seed patch 09's kernel/nsproxy.c:kern_setns
//	Ops.install              the proc_ns_operations install functions
//	                         (mntns_install is vfs.Task.MntnsInstall)
//	vfs.Task.CopyMntNS       fs/namespace.c:copy_mnt_ns
//
// # Invariants
//
// Checked with the kernel's (vfs.Kernel.CheckInvariants), after every op
// of every transcript and test:
//
//	N1  an nsproxy's count equals the tasks whose nsproxy it is
//	N2  a simple namespace's count equals the nsproxy slots naming it plus
//	    the open /proc/PID/ns entries naming it
//	N3  every live task has an nsproxy and works in its mount namespace
//	V15 (vfs) a mount namespace's count equals the nsproxies naming it,
//	    the tasks that hold it themselves and the open /proc/PID/ns/mnt
//	    entries
//
// Every Nsproxy and Simple is a vfs.Object: Kernel.Shutdown names any that
// outlives its owners as a leak.
//
// # Divergences from Linux
//
//   - One user namespace: ns_capable is capable, there is no user entry in
//     /proc/PID/ns and no CLONE_NEWUSER.
//   - The simple namespaces isolate nothing; only who shares which, and
//     their lifetimes, are modelled.
//   - pid is the nsproxy's pid_ns_for_children also for /proc/PID/ns/pid
//     (there are no pid numbers per namespace, and no task's active pid
//     namespace): so a second unshare(CLONE_NEWPID) and a setns into an
//     ancestor pid namespace succeed, where 6.18 answers EINVAL.
//   - Every mount is private: no mount propagation (shared, slave) between
//     namespaces, so a mount in one namespace never appears in another.
//   - /proc/PID/ns entries are files of proc holding their namespace, not
//     magic links into nsfs (see vfs's procfs).
//   - kern_setns is the seed's: it builds a new nsproxy with
//     create_new_namespaces(0, ...) and installs one namespace in it, as
//     setns(2) did in 2011; today's setns can install several at once
//     (nsset), which the op language does not offer.
package nsproxy
