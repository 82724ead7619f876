package script

import (
	"strings"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
)

// NamesOfTasks names the kernel tasks of the machine's script as the script
// does (A, B, ...), for pictures.
func (m *Machine) NamesOfTasks() map[*vfs.Task]string {
	names := map[*vfs.Task]string{}
	for _, ti := range m.Tasks() {
		if t, ok := ti.Sys.(*vfs.Task); ok {
			names[t] = ti.Name
		}
	}
	return names
}

func init() {
	Register(OpSpec{Name: "draw", Group: "kernel", Machine: true, Args: []Arg{ArgWords}, Usage: "draw [TITLE...]",
		Help: "the kernel's objects now, as a Graphviz DOT digraph (package vfsdraw): tasks, descriptor tables, files, dentries, inodes, mounts, namespaces, orphan lists, relink directories; ret: the DOT lines. relinksim run -dot and relinksim notebook draw a picture at each draw (at every step when the script has none)",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			m, err := needMachine(r, op)
			if err != nil {
				return nil, err
			}
			dot := vfsdraw.DOT(m.K, vfsdraw.Options{TaskNames: m.NamesOfTasks(), Title: strings.Join(op.Words, " ")})
			return strings.Split(strings.TrimSuffix(dot, "\n"), "\n"), nil
		}})
}
