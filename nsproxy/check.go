package nsproxy

import (
	"fmt"

	"github.com/relinksim/relinksim/vfs"
)

// check returns the package's invariant violations:
//
//	N1  an nsproxy's count equals the tasks whose nsproxy it is
//	N2  a simple namespace's count equals the nsproxy slots naming it
//	    plus the open /proc/PID/ns entries naming it
//	N3  every live task has an nsproxy, and works in its mount namespace
func (o *Ops) check() []vfs.Violation {
	var out []vfs.Violation
	add := func(name, format string, args ...any) {
		out = append(out, vfs.Violation{Name: name, Detail: fmt.Sprintf(format, args...)})
	}
	users := map[*Nsproxy]int64{}
	for _, t := range o.k.Tasks() {
		p := Of(t)
		if p == nil {
			add("N3", "%s has no nsproxy", t)
			continue
		}
		users[p]++
		if t.MountNamespace() != p.Mnt {
			add("N3", "%s works in %s, its nsproxy names %s", t, t.MountNamespace(), p.Mnt)
		}
	}
	slots := map[*Simple]int64{}
	for _, p := range o.live {
		if p.Count() != users[p] {
			add("N1", "%s has count %d, %d tasks use it", p, p.Count(), users[p])
		}
		for _, s := range p.simples() {
			if *s != nil {
				slots[*s]++
			}
		}
	}
	for _, obj := range o.simplesLive() {
		// /proc/PID/ns shows most namespaces through a named wrapper
		// (Namespaces): an open file of any of those names counts.
		files := o.k.NamespaceFiles(obj)
		for _, as := range nsFileNames {
			files += o.k.NamespaceFiles(named{obj, as})
		}
		want := slots[obj] + int64(files)
		if obj.Refs() != want {
			add("N2", "%s has %d references; nsproxies and open namespace files account for %d", obj, obj.Refs(), want)
		}
	}
	return out
}

// simplesLive returns the simple namespaces the live nsproxies name, each
// once, in first-seen order (a namespace only an open file holds is
// checked by the leak check).
func (o *Ops) simplesLive() []*Simple {
	var out []*Simple
	seen := map[*Simple]bool{}
	for _, p := range o.live {
		for _, s := range p.simples() {
			if *s != nil && !seen[*s] {
				seen[*s] = true
				out = append(out, *s)
			}
		}
	}
	return out
}

// nsFileNames are the /proc/PID/ns names Namespaces gives through named.
var nsFileNames = []string{"cgroup", "ipc", "net", "pid_for_children", "time", "time_for_children", "uts"}
