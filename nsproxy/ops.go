package nsproxy

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// Importing the package gives every kernel a script.Machine boots namespace
// operations, and the op language the ops only the simulator has.
func init() {
	script.OnBoot(func(k *vfs.Kernel) { Enable(k) })
	for _, s := range []script.OpSpec{
		{Name: "kern-setns", Group: "namespace", Args: []script.Arg{script.ArgWord}, Usage: "kern-setns TASK",
			Help: "the seed's kern_setns (patch 09): the current task enters TASK's mount namespace without a descriptor, as checkpoint does to relink a file of another namespace",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				cur, other, err := tasks(r, op)
				if err != nil {
					return nil, err
				}
				return nil, cur.KernSetns(other.MountNamespace())
			}},
		{Name: "nsproxies", Group: "namespace",
			Help: "the live nsproxies, each with its count (the tasks sharing it) and its namespaces' reference counts, and which task uses which",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				cur, _, err := tasks(r, script.Op{Name: op.Name, Text: script.FirstTask})
				if err != nil {
					return nil, err
				}
				return Describe(cur.Kernel(), r), nil
			}},
	} {
		script.Register(s)
	}
}

// tasks returns the runner's current task and the one op.Text names, as
// simulated tasks.
func tasks(r *script.Runner, op script.Op) (cur, other *vfs.Task, err error) {
	cur, ok := r.T.(*vfs.Task)
	if !ok {
		return nil, nil, fmt.Errorf("op %s runs on the simulator only", op.Name)
	}
	sys, ok := r.TaskSys(op.Text)
	if !ok {
		return nil, nil, fmt.Errorf("no task is called %q (tasks: %s)", op.Text, strings.Join(r.TaskNames(), ", "))
	}
	other, _ = sys.(*vfs.Task)
	return cur, other, nil
}

// Describe lists k's nsproxies for a lesson, oldest first: "nsproxy N
// count=C mnt:[INUM] (refs R) tasks: T1 T2", the mount namespace as
// readlink shows /proc/PID/ns/mnt and the tasks by their names in r.
func Describe(k *vfs.Kernel, r *script.Runner) []string {
	o, ok := k.NamespaceOps().(*Ops)
	if !ok {
		return []string{}
	}
	out := []string{}
	for _, p := range o.live {
		var users []string
		for _, name := range r.TaskNames() {
			if sys, ok := r.TaskSys(name); ok {
				if t, ok := sys.(*vfs.Task); ok && Of(t) == p {
					users = append(users, name)
				}
			}
		}
		if other := int(p.Count()) - len(users); other > 0 {
			users = append(users, fmt.Sprintf("+%d not the script's", other)) // the checkpoint daemon, for one
		}
		out = append(out, fmt.Sprintf("nsproxy %d count=%d %s (refs %d) tasks: %s", p.seq, p.Count(), p.Mnt, p.Mnt.Refs(), strings.Join(users, " ")))
	}
	return out
}
