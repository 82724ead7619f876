// Package vfsdraw draws the objects of a simulated kernel as a graph in
// Graphviz's DOT language: the picture on a lecturer's slide of how the
// kernel keeps an open-but-unlinked file alive.
//
// A picture shows the tasks and their descriptor tables (a table two
// tasks share is drawn once), each descriptor's open file (position,
// access, references), the file's dentry (its path from its filesystem's
// root, and "unlinked" when d_unlinked), the dentry's inode (number,
// nlink, size, I_LINKABLE) and the inode's other cached names (the "b"
// an unlinked "a" shares its inode with), the mount the file was opened
// through with its mount namespace, and, for a filesystem that keeps one,
// its on-disk orphan list in order (ext4's chain from s_last_orphan;
// btrfs's orphan items of the top subvolume) and the occupied slots of
// ext4's orphan file (orphan_file feature), with the inodes on them in
// memory. Files and dentries carry their reference counts.
//
// Not drawn yet: the orphan items of btrfs subvolumes other than the top
// one, the namespaces beyond a mount's, and the checkpoint's relink
// directory as such (it is drawn as the dentries of the files relinked
// into it).
//
// Every node is named by what it stands for — a task by its tid, an
// inode by device and number, a file, descriptor table, dentry or mount by
// its id in the kernel's object registry (vfs.Kernel's, never reused) — so
// an object keeps its name from one step's picture to the next, and the
// output is the same in every run of the same script.
package vfsdraw

import (
	"fmt"
	"sort"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// Options say what to draw.
type Options struct {
	// TaskNames names tasks (as a script knows them); a task without a
	// name is "task TID".
	TaskNames map[*vfs.Task]string
	// Title is drawn as the graph's label.
	Title string
	// Highlight are node names (as Changed returns them) to draw
	// emphasized: what the last step changed.
	Highlight map[string]bool
}

// DOT returns k's objects as a DOT digraph.
func DOT(k *vfs.Kernel, opts Options) string {
	g := &graph{}
	g.line("digraph relinksim {")
	g.line("  rankdir=LR;")
	g.line("  node [shape=box, fontname=\"monospace\", fontsize=10, margin=\"0.25,0.08\"];")
	g.line("  edge [fontname=\"monospace\", fontsize=9];")
	if opts.Title != "" {
		g.line("  label=%s; labelloc=t;", quote(opts.Title))
	}
	tasks := k.Tasks()
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Tid() < tasks[j].Tid() })
	tables := map[*vfs.FilesStruct]bool{}
	files := map[*vfs.File]bool{}
	dentries := map[*vfs.Dentry]bool{}
	inodes := map[*vfs.Inode]bool{}
	mounts := map[*vfs.Mount]bool{}
	var fileOrder []*vfs.File
	for _, t := range tasks {
		if t.Dead() {
			continue
		}
		name := opts.TaskNames[t]
		if name == "" {
			name = fmt.Sprintf("task %d", t.Tid())
		}
		g.line("  %s [label=%s, shape=ellipse];", taskID(t), quote(fmt.Sprintf("%s\ntid %d", name, t.Tid())))
		fdt := t.Files()
		if fdt == nil {
			continue
		}
		g.line("  %s -> %s;", taskID(t), tableID(fdt))
		if tables[fdt] {
			continue
		}
		tables[fdt] = true
		fds := fdt.FDs()
		var ports []string
		for _, fd := range fds {
			ports = append(ports, fmt.Sprintf("<fd%d> %d", fd, fd))
		}
		label := "fd table"
		if len(ports) > 0 {
			label += "|" + strings.Join(ports, "|")
		}
		g.line("  %s [shape=record, label=%s];", tableID(fdt), quote("{"+label+"}"))
		for _, fd := range fds {
			f := fdt.File(fd)
			g.line("  %s:fd%d -> %s;", tableID(fdt), fd, fileID(f))
			if !files[f] {
				files[f] = true
				fileOrder = append(fileOrder, f)
			}
		}
	}
	for _, f := range fileOrder {
		access := "r"
		switch {
		case f.Readable() && f.Writable():
			access = "rw"
		case f.Writable():
			access = "w"
		case !f.Readable():
			access = "path"
		}
		g.line("  %s [label=%s];", fileID(f), quote(fmt.Sprintf("file %d\n%s pos=%d\nrefs=%d", f.ObjectID(), access, f.Pos(), f.Refs())))
		d := f.Dentry()
		g.line("  %s -> %s;", fileID(f), dentryID(d))
		if m := f.Path().Mnt; m != nil {
			mounts[m] = true
			g.line("  %s -> %s [style=dotted, arrowhead=none];", fileID(f), mountID(m))
		}
		dentries[d] = true
	}
	// The other names of the inodes drawn (their cached aliases): the "b"
	// an unlinked "a" still shares its inode with.
	for _, d := range sortedByID(dentries) {
		if ino := d.Inode(); ino != nil {
			for _, alias := range ino.Aliases() {
				dentries[alias] = true
			}
		}
	}
	for _, d := range sortedByID(dentries) {
		attrs := ""
		label := dentryPath(d)
		if d.Unlinked() {
			label += "\n(unlinked)"
			attrs = ", color=red, style=dashed"
		}
		g.line("  %s [label=%s, shape=note%s];", dentryID(d), quote(fmt.Sprintf("dentry %s\nrefs=%d", label, d.Refs())), attrs)
		if ino := d.Inode(); ino != nil {
			inodes[ino] = true
			g.line("  %s -> %s;", dentryID(d), inodeID(ino))
		}
	}
	orphans := orphanLists(k, mounts)
	for _, ol := range orphans {
		for _, ino := range ol.inodes {
			inodes[ino] = true
		}
		for _, sl := range ol.slots {
			inodes[sl.inode] = true
		}
	}
	for _, ino := range sortedInodes(inodes) {
		label := fmt.Sprintf("inode %d\n%s nlink=%d\nsize=%d", ino.Ino, ino.Mode.TypeName(), ino.Nlink(), ino.Size)
		if ino.State()&vfs.I_LINKABLE != 0 {
			label += "\nI_LINKABLE"
		}
		attrs := ""
		if ino.Nlink() == 0 {
			attrs = ", color=red"
		}
		g.line("  %s [label=%s, shape=box, style=rounded%s];", inodeID(ino), quote(label), attrs)
	}
	for _, m := range sortedByID(mounts) {
		ns := "detached"
		if m.Namespace() != nil {
			ns = m.Namespace().String()
		}
		g.line("  %s [label=%s, shape=folder];", mountID(m), quote(fmt.Sprintf("mount %d\n%s %s\n%s", m.ID(), m.Superblock().Type().Name(), m.Superblock().Source(), ns)))
	}
	for _, ol := range orphans {
		if len(ol.inodes) > 0 {
			head := fmt.Sprintf("orphans_%d", ol.sb.Dev())
			g.line("  %s [label=%s, shape=cds, color=red];", head, quote(fmt.Sprintf("orphan list\n%s %s", ol.sb.Type().Name(), ol.sb.Source())))
			prev := head
			for i, ino := range ol.inodes {
				g.line("  %s -> %s [color=red, label=%s];", prev, inodeID(ino), quote(fmt.Sprint(i+1)))
				prev = inodeID(ino)
			}
		}
		if len(ol.slots) > 0 {
			// ext4's orphan file: its occupied slots, block:slot.
			of := fmt.Sprintf("orphanfile_%d", ol.sb.Dev())
			var ports []string
			for _, sl := range ol.slots {
				ports = append(ports, fmt.Sprintf("<s%d_%d> %d:%d", sl.Block, sl.Slot, sl.Block, sl.Slot))
			}
			g.line("  %s [shape=record, color=red, label=%s];", of, quote("{orphan file|"+strings.Join(ports, "|")+"}"))
			for _, sl := range ol.slots {
				g.line("  %s:s%d_%d -> %s [color=red];", of, sl.Block, sl.Slot, inodeID(sl.inode))
			}
		}
	}
	g.line("}")
	if len(opts.Highlight) == 0 {
		return g.String()
	}
	lines := strings.Split(g.String(), "\n")
	for i, l := range lines {
		if id, ok := nodeDecl(l); ok && opts.Highlight[id] {
			style := "filled"
			for _, st := range []string{"dashed", "rounded"} {
				if strings.Contains(l, ", style="+st) {
					style += "," + st
					l = strings.Replace(l, ", style="+st, "", 1)
				}
			}
			lines[i] = strings.TrimSuffix(l, "];") + ", penwidth=3, fillcolor=\"#ffe680\", style=\"" + style + "\"];"
		}
	}
	return strings.Join(lines, "\n")
}

// nodeDecl returns the node name a DOT line of DOT's output declares
// ("  NAME [label=...];"), if it declares one.
func nodeDecl(l string) (string, bool) {
	l = strings.TrimSpace(l)
	id, rest, ok := strings.Cut(l, " [")
	if !ok || strings.Contains(id, " ") || strings.Contains(id, "->") || !strings.HasSuffix(rest, "];") {
		return "", false
	}
	return id, true
}

// Changed returns the nodes of cur (a picture DOT drew, without
// highlights) that prev did not have, or had with another label or look:
// what a step made or changed.
func Changed(prev, cur string) map[string]bool {
	old := map[string]string{}
	for _, l := range strings.Split(prev, "\n") {
		if id, ok := nodeDecl(l); ok {
			old[id] = strings.TrimSpace(l)
		}
	}
	out := map[string]bool{}
	for _, l := range strings.Split(cur, "\n") {
		if id, ok := nodeDecl(l); ok && old[id] != strings.TrimSpace(l) {
			out[id] = true
		}
	}
	return out
}

type graph struct{ strings.Builder }

func (g *graph) line(format string, args ...any) {
	fmt.Fprintf(&g.Builder, format, args...)
	g.WriteByte('\n')
}

func taskID(t *vfs.Task) string           { return fmt.Sprintf("task_%d", t.Tid()) }
func tableID(fdt *vfs.FilesStruct) string { return fmt.Sprintf("fdt_%d", fdt.ObjectID()) }
func fileID(f *vfs.File) string           { return fmt.Sprintf("file_%d", f.ObjectID()) }
func dentryID(d *vfs.Dentry) string       { return fmt.Sprintf("dentry_%d", d.ObjectID()) }
func mountID(m *vfs.Mount) string         { return fmt.Sprintf("mount_%d", m.ObjectID()) }
func inodeID(i *vfs.Inode) string         { return fmt.Sprintf("inode_%d_%d", i.Sb.Dev(), i.Ino) }

// dentryPath is d's path from its filesystem's root: its own name and its
// ancestors', as the dentry tree has them (an unlinked dentry keeps the
// name it had).
func dentryPath(d *vfs.Dentry) string {
	var parts []string
	for x := d; !x.IsRoot(); x = x.Parent() {
		parts = append(parts, x.Name())
	}
	if len(parts) == 0 {
		return "/"
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}

type ided interface {
	comparable
	ObjectID() uint64
}

func sortedByID[T ided](set map[T]bool) []T {
	out := make([]T, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ObjectID() < out[j].ObjectID() })
	return out
}

func sortedInodes(set map[*vfs.Inode]bool) []*vfs.Inode {
	out := make([]*vfs.Inode, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].Sb.Dev(), out[j].Sb.Dev(); a != b {
			return a < b
		}
		return out[i].Ino < out[j].Ino
	})
	return out
}

// orphanList is a filesystem's on-disk orphan list, in its order, and
// the occupied slots of its orphan file.
type orphanList struct {
	sb     *vfs.Superblock
	inodes []*vfs.Inode
	slots  []orphanSlot
}

type orphanSlot struct {
	Block, Slot int
	inode       *vfs.Inode
}

// orphanLists reads the orphan list of every filesystem a drawn file is
// on that keeps one (vfs.OrphanLister), with the in-memory inodes it
// names (an orphan no longer in memory is not drawn).
func orphanLists(k *vfs.Kernel, mounts map[*vfs.Mount]bool) []orphanList {
	seen := map[*vfs.Superblock]bool{}
	var out []orphanList
	for _, m := range sortedByID(mounts) {
		sb := m.Superblock()
		if seen[sb] {
			continue
		}
		seen[sb] = true
		byIno := map[uint64]*vfs.Inode{}
		for _, i := range sb.Inodes() {
			byIno[i.Ino] = i
		}
		l := orphanList{sb: sb}
		if ol, ok := sb.Ops.(vfs.OrphanLister); ok {
			for _, ino := range ol.OnDiskOrphans(sb) {
				if i := byIno[ino]; i != nil {
					l.inodes = append(l.inodes, i)
				}
			}
		}
		if of, ok := sb.Ops.(vfs.OrphanFileLister); ok {
			for _, s := range of.OrphanFileSlots(sb) {
				if i := byIno[s.Ino]; i != nil {
					l.slots = append(l.slots, orphanSlot{s.Block, s.Slot, i})
				}
			}
		}
		if len(l.inodes) > 0 || len(l.slots) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// quote makes s a DOT string (a double-quoted ID): backslashes and quotes
// escaped, newlines as DOT's \n.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
