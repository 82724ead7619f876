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
	// name is drawn under its comm (Task.Comm), or else as "task TID".
	TaskNames map[*vfs.Task]string
	// Title is drawn as the graph's label.
	Title string
	// Highlight are node names (as Changed returns them) to draw
	// emphasized: what the last step changed.
	Highlight map[string]bool
}

// picture collects the objects to draw before any is written, so that
// each is declared once, in a fixed order.
type picture struct {
	k        *vfs.Kernel
	opts     Options
	g        graph
	tables   map[*vfs.FilesStruct]bool
	files    map[*vfs.File]bool
	dentries map[*vfs.Dentry]bool
	inodes   map[*vfs.Inode]bool
	mounts   map[*vfs.Mount]bool
	mntns    map[*vfs.MountNamespace]bool
	fileSeq  []*vfs.File
}

// DOT returns k's objects as a DOT digraph.
func DOT(k *vfs.Kernel, opts Options) string {
	p := &picture{
		k: k, opts: opts,
		tables: map[*vfs.FilesStruct]bool{}, files: map[*vfs.File]bool{},
		dentries: map[*vfs.Dentry]bool{}, inodes: map[*vfs.Inode]bool{},
		mounts: map[*vfs.Mount]bool{}, mntns: map[*vfs.MountNamespace]bool{},
	}
	g := &p.g
	g.line("digraph relinksim {")
	g.line("  rankdir=LR;")
	g.line("  node [shape=box, fontname=\"monospace\", fontsize=10, margin=\"0.25,0.08\"];")
	g.line("  edge [fontname=\"monospace\", fontsize=9];")
	if opts.Title != "" {
		g.line("  label=%s; labelloc=t;", quote(opts.Title))
	}
	tasks := k.Tasks()
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Tid() < tasks[j].Tid() })
	var live []*vfs.Task
	for _, t := range tasks {
		if !t.Dead() {
			live = append(live, t)
		}
	}
	p.tasks(live)
	p.namespaces(live)
	p.fileNodes()
	relink := p.relinkDirs(live)
	p.dentryNodes()
	orphans := p.orphanLists()
	p.inodeNodes()
	p.mountNodes()
	p.orphanNodes(orphans)
	p.relinkNodes(relink)
	g.line("}")
	return highlight(g.String(), opts.Highlight)
}

// tasks draws each task and its descriptor table, and collects the
// files the tables hold.
func (p *picture) tasks(tasks []*vfs.Task) {
	g := &p.g
	for _, t := range tasks {
		name := p.opts.TaskNames[t]
		if name == "" {
			name = t.Comm()
		}
		if name == "" {
			name = fmt.Sprintf("task %d", t.Tid())
		}
		g.line("  %s [label=%s, shape=ellipse];", taskID(t), quote(fmt.Sprintf("%s\ntid %d", name, t.Tid())))
		fdt := t.Files()
		if fdt == nil {
			continue
		}
		g.line("  %s -> %s;", taskID(t), tableID(fdt))
		if p.tables[fdt] {
			continue
		}
		p.tables[fdt] = true
		fds := fdt.FDs()
		fields := []string{"fd table"}
		for _, fd := range fds {
			fields = append(fields, fmt.Sprintf("<fd%d> %d", fd, fd))
		}
		g.line("  %s [shape=record, label=%s];", tableID(fdt), record(fields))
		for _, fd := range fds {
			f := fdt.File(fd)
			g.line("  %s:fd%d -> %s;", tableID(fdt), fd, fileID(f))
			if !p.files[f] {
				p.files[f] = true
				p.fileSeq = append(p.fileSeq, f)
			}
		}
	}
}

// namespaces draws each task's nsproxy (when the kernel has namespace
// operations that keep one) and its mount namespace.
func (p *picture) namespaces(tasks []*vfs.Task) {
	g := &p.g
	ops := p.k.NamespaceOps()
	viewer, _ := ops.(vfs.NsproxyViewer)
	drawn := map[uint64]bool{}
	for _, t := range tasks {
		ns := t.MountNamespace()
		if ns == nil {
			continue
		}
		p.mntns[ns] = true
		if viewer == nil {
			g.line("  %s -> %s [style=dotted];", taskID(t), mntnsID(ns))
			continue
		}
		v, ok := viewer.TaskNsproxy(t)
		if !ok {
			g.line("  %s -> %s [style=dotted];", taskID(t), mntnsID(ns))
			continue
		}
		id := fmt.Sprintf("nsproxy_%d", v.ID)
		g.line("  %s -> %s [style=dotted];", taskID(t), id)
		if drawn[v.ID] {
			continue
		}
		drawn[v.ID] = true
		label := fmt.Sprintf("%s\ncount=%d", v.Name, v.Count)
		var names []string
		for _, n := range ops.Namespaces(t) {
			if n.NSType() == vfs.CLONE_NEWNS {
				continue
			}
			names = append(names, fmt.Sprintf("%s:[%d]", n.NSName(), n.Inum()))
		}
		// Two per line: the list is long.
		for i := 0; i < len(names); i += 2 {
			label += "\n" + strings.Join(names[i:min(i+2, len(names))], " ")
		}
		g.line("  %s [label=%s, shape=component];", id, quote(label))
		g.line("  %s -> %s [style=dotted];", id, mntnsID(ns))
	}
}

// fileNodes draws the open files and collects their dentries and mounts.
func (p *picture) fileNodes() {
	g := &p.g
	for _, f := range p.fileSeq {
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
			p.mounts[m] = true
			g.line("  %s -> %s [style=dotted, arrowhead=none];", fileID(f), mountID(m))
		}
		p.dentries[d] = true
	}
}

// dentryNodes draws the dentries collected, and the other cached names
// of their inodes: the "b" an unlinked "a" still shares its inode with.
func (p *picture) dentryNodes() {
	g := &p.g
	for _, d := range sortedByID(p.dentries) {
		if ino := d.Inode(); ino != nil {
			for _, alias := range ino.Aliases() {
				p.dentries[alias] = true
			}
		}
	}
	for _, d := range sortedByID(p.dentries) {
		attrs := ""
		label := dentryPath(d)
		if d.Unlinked() {
			label += "\n(unlinked)"
			attrs = ", color=red, style=dashed"
		}
		g.line("  %s [label=%s, shape=note%s];", dentryID(d), quote(fmt.Sprintf("dentry %s\nrefs=%d", label, d.Refs())), attrs)
		if ino := d.Inode(); ino != nil {
			p.inodes[ino] = true
			g.line("  %s -> %s;", dentryID(d), inodeID(ino))
		}
	}
}

func (p *picture) inodeNodes() {
	g := &p.g
	for _, ino := range sortedInodes(p.inodes) {
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
}

func (p *picture) mountNodes() {
	g := &p.g
	for _, m := range sortedByID(p.mounts) {
		g.line("  %s [label=%s, shape=folder];", mountID(m), quote(fmt.Sprintf("mount %d\n%s %s", m.ID(), m.Superblock().Type().Name(), m.Superblock().Source())))
		if ns := m.Namespace(); ns != nil {
			p.mntns[ns] = true
			g.line("  %s -> %s [style=dotted, arrowhead=none];", mountID(m), mntnsID(ns))
		}
	}
	for _, ns := range sortedByID(p.mntns) {
		g.line("  %s [label=%s, shape=tab];", mntnsID(ns), quote(fmt.Sprintf("mount namespace\nmnt:[%d]\nrefs=%d", ns.Inum(), ns.Refs())))
	}
}

// orphanList is one on-disk orphan list of a filesystem, in its order,
// or the occupied slots of its orphan file.
type orphanList struct {
	sb    *vfs.Superblock
	label string // the list's name on the picture
	chain bool   // ext4's chain (each entry points at the next)
	id    string // the list's node
	inos  []uint64
	inode []*vfs.Inode // index for index with inos; nil when not in memory
	slots []vfs.OrphanSlot
}

// orphanLists reads the orphan lists of every filesystem a drawn file is
// on that keeps one, and collects the in-memory inodes they name.
func (p *picture) orphanLists() []orphanList {
	seen := map[*vfs.Superblock]bool{}
	var out []orphanList
	for _, m := range sortedByID(p.mounts) {
		sb := m.Superblock()
		if seen[sb] {
			continue
		}
		seen[sb] = true
		byIno := map[uint64]*vfs.Inode{}
		for _, i := range sb.Inodes() {
			byIno[i.Ino] = i
		}
		inMemory := func(inos []uint64) []*vfs.Inode {
			out := make([]*vfs.Inode, len(inos))
			for i, ino := range inos {
				out[i] = byIno[ino]
			}
			return out
		}
		name := sb.Type().Name() + " " + sb.Source()
		switch ops := sb.Ops.(type) {
		case vfs.OrphanGroupLister:
			for i, grp := range ops.OrphanGroups(sb) {
				out = append(out, orphanList{sb: sb, label: "orphan items\n" + name + "\n" + grp.Label,
					id: fmt.Sprintf("orphans_%d_%d", sb.Dev(), i), inos: grp.Inos, inode: grp.Inodes})
			}
		case vfs.OrphanLister:
			if inos := ops.OnDiskOrphans(sb); len(inos) > 0 {
				out = append(out, orphanList{sb: sb, label: "orphan list\n" + name, chain: true,
					id: fmt.Sprintf("orphans_%d", sb.Dev()), inos: inos, inode: inMemory(inos)})
			}
		}
		if of, ok := sb.Ops.(vfs.OrphanFileLister); ok {
			if slots := of.OrphanFileSlots(sb); len(slots) > 0 {
				ol := orphanList{sb: sb, label: "orphan file", id: fmt.Sprintf("orphanfile_%d", sb.Dev()), slots: slots}
				for _, s := range slots {
					ol.inos = append(ol.inos, s.Ino)
				}
				ol.inode = inMemory(ol.inos)
				out = append(out, ol)
			}
		}
	}
	for _, ol := range out {
		for _, ino := range ol.inode {
			if ino != nil {
				p.inodes[ino] = true
			}
		}
	}
	return out
}

func (p *picture) orphanNodes(lists []orphanList) {
	g := &p.g
	for _, ol := range lists {
		switch {
		case ol.chain:
			// ext4: s_last_orphan names the first, each inode's i_dtime
			// the next.
			g.line("  %s [label=%s, shape=cds, color=red];", ol.id, quote(ol.label))
			prev := ol.id
			for i, ino := range ol.inode {
				if ino == nil {
					continue
				}
				g.line("  %s -> %s [color=red, label=%s];", prev, inodeID(ino), quote(fmt.Sprint(i+1)))
				prev = inodeID(ino)
			}
		default:
			// Items or slots, each a port pointing at its inode.
			fields := []string{field(ol.label)}
			for i, ino := range ol.inos {
				text := fmt.Sprintf("ino %d", ino)
				if ol.slots != nil {
					text = fmt.Sprintf("%d:%d", ol.slots[i].Block, ol.slots[i].Slot)
				}
				fields = append(fields, fmt.Sprintf("<o%d> %s", i, text))
			}
			g.line("  %s [shape=record, color=red, label=%s];", ol.id, record(fields))
			for i, ino := range ol.inode {
				if ino != nil {
					g.line("  %s:o%d -> %s [color=red];", ol.id, i, inodeID(ino))
				}
			}
		}
	}
}

// relinkDir is one checkpoint's directory in a relink directory, with
// the names it holds.
type relinkDir struct {
	path    string // from the mount's root
	dir     *vfs.Dentry
	entries []*vfs.Dentry
}

// relinkDirs finds the checkpoint directories of the relink directory of
// every mount of the tasks' namespaces, as the dentry cache holds them,
// and collects the inodes their names hold.
func (p *picture) relinkDirs(tasks []*vfs.Task) []relinkDir {
	var out []relinkDir
	seen := map[*vfs.Dentry]bool{}
	var mounts []*vfs.Mount
	for _, ns := range sortedByID(p.mntnsOf(tasks)) {
		mounts = append(mounts, ns.Mounts()...)
	}
	for _, m := range mounts {
		name := m.Superblock().RelinkDir()
		if name == "" {
			name = "lost+found"
		}
		// The relink directory may be a path (relink=a/b).
		rd := m.Root()
		for _, part := range strings.Split(name, "/") {
			if rd == nil || part == "" {
				continue
			}
			rd = rd.CachedChild(part)
		}
		if rd == nil || rd == m.Root() || rd.Inode() == nil || seen[rd] {
			continue
		}
		seen[rd] = true
		for _, cd := range rd.CachedChildren() {
			if !strings.HasPrefix(cd.Name(), "checkpoint-") || cd.Inode() == nil {
				continue
			}
			r := relinkDir{path: dentryPath(cd), dir: cd}
			for _, e := range cd.CachedChildren() {
				if e.Inode() != nil {
					r.entries = append(r.entries, e)
					p.inodes[e.Inode()] = true
				}
			}
			out = append(out, r)
		}
	}
	return out
}

func (p *picture) mntnsOf(tasks []*vfs.Task) map[*vfs.MountNamespace]bool {
	out := map[*vfs.MountNamespace]bool{}
	for _, t := range tasks {
		if ns := t.MountNamespace(); ns != nil {
			out[ns] = true
		}
	}
	return out
}

func (p *picture) relinkNodes(dirs []relinkDir) {
	g := &p.g
	for _, r := range dirs {
		id := fmt.Sprintf("relinkdir_%d", r.dir.ObjectID())
		fields := []string{field("relink directory\n" + r.path)}
		for i, e := range r.entries {
			fields = append(fields, fmt.Sprintf("<e%d> %s", i, field(e.Name())))
		}
		g.line("  %s [shape=record, color=blue, label=%s];", id, record(fields))
		for i, e := range r.entries {
			g.line("  %s:e%d -> %s [color=blue];", id, i, inodeID(e.Inode()))
		}
	}
}

// highlight draws the nodes named in hl emphasized.
func highlight(dot string, hl map[string]bool) string {
	if len(hl) == 0 {
		return dot
	}
	lines := strings.Split(dot, "\n")
	for i, l := range lines {
		if id, ok := nodeDecl(l); ok && hl[id] {
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

func taskID(t *vfs.Task) string             { return fmt.Sprintf("task_%d", t.Tid()) }
func tableID(fdt *vfs.FilesStruct) string   { return fmt.Sprintf("fdt_%d", fdt.ObjectID()) }
func fileID(f *vfs.File) string             { return fmt.Sprintf("file_%d", f.ObjectID()) }
func dentryID(d *vfs.Dentry) string         { return fmt.Sprintf("dentry_%d", d.ObjectID()) }
func mountID(m *vfs.Mount) string           { return fmt.Sprintf("mount_%d", m.ObjectID()) }
func mntnsID(ns *vfs.MountNamespace) string { return fmt.Sprintf("mntns_%d", ns.ObjectID()) }
func inodeID(i *vfs.Inode) string           { return fmt.Sprintf("inode_%d", i.ObjectID()) }

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

// sortedInodes orders inodes by device, number and object (btrfs
// subvolumes share a superblock and reuse inode numbers).
func sortedInodes(set map[*vfs.Inode]bool) []*vfs.Inode {
	out := make([]*vfs.Inode, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Sb.Dev() != b.Sb.Dev() {
			return a.Sb.Dev() < b.Sb.Dev()
		}
		if a.Ino != b.Ino {
			return a.Ino < b.Ino
		}
		return a.ObjectID() < b.ObjectID()
	})
	return out
}

// field escapes s for a field of a record label: what quote escapes, and
// the characters that structure a record ({ } | < >).
func field(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`,
		"{", `\{`, "}", `\}`, "|", `\|`, "<", `\<`, ">", `\>`).Replace(s)
}

// record makes a vertical record label of fields, each already escaped
// (field) or a port ("<name> text" with the text escaped).
func record(fields []string) string {
	// Left to right, a record's top-level fields stack vertically.
	return `"` + strings.Join(fields, "|") + `"`
}

// quote makes s a DOT string (a double-quoted ID): backslashes and quotes
// escaped, newlines as DOT's \n.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
