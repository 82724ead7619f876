package script_test

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/ckpt"
	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// Cut scripts (issue 12): for a sequence S whose output the real kernel
// gave, the simulator runs S[:k] + "checkpoint -> CKPT", "kill",
// "restart CKPT" + S[k:], and the cut run, those three lines left out,
// must print what the real kernel printed for S, line by line, but for
// the documented divergences of ckpt/doc.go, each accepted only in its
// exact form (cutEquivalent, cutRefusedReadOnly). Under the upstream era
// the checkpoint is the port (relink-upstream). The kernel-differential
// campaign runs one cut script for every sequence whose plain comparison
// passed (cutCheck), against the same real output: simulator time only.
//
// Two more simulator runs give the comparison what the JSON lines do not
// carry: S itself (run A, whose lines must be the real kernel's: the
// plain comparison passed) and the cut run (run B). Both look every name
// up at the cut and record the inodes then, and name after every step
// the inodes it printed (ino, tree, orphans, fstat), so that an inode
// number may differ only where both runs name an inode allocated after
// the cut, and an orphan list may differ only by the directories doc.go
// names. Runs A and B end with the invariants and the leak check.
//
// The cut point k is drawn among the points the restart can honour
// (cutPoint), 7 times in 8 among those where a task holds an
// open-unlinked file, from a third run of S. Points are ruled out, and
// counted in the campaign's summary by reason, where doc.go says the
// restart cannot put the tasks back as they were (a task outside the
// daemon's namespaces, a file on a mount of another mount namespace),
// and where package ckpt fails in ways doc.go does not document, reported
// as its bugs or limits (an open namespace file, a file hidden from the
// name the checkpoint records, an unlinked file on a read-only mount or
// under a relink directory that is no directory, a fifo holding bytes in
// a read-only btrfs snapshot): each is a comparison that could not pass,
// kept out so that the campaign checks the rest, and named so that it is
// seen. A checkpoint that fails at an eligible point fails the check
// unless doc.go documents the failure (documentedCheckpointFailure); then
// the cut run must go on exactly as S.

// The cut script's three lines.
var cutOps = []string{"checkpoint -> CKPT", "kill", "restart CKPT"}

// cutStats counts what the cut checks of a campaign did.
type cutStats struct {
	sequences int // sequences checked (their plain comparison passed)
	cuts      int // cut scripts run and compared with the real kernel
	// withUnlinked counts the cuts at which a task held an open file
	// whose inode had nlink 0 (the case relinking is about); relinked
	// counts the files the checkpoints relinked (every file whose dentry
	// was unlinked).
	withUnlinked, relinked int
	// documented counts the cuts whose checkpoint failed as ckpt/doc.go
	// documents (the script then ran on untouched), by reason.
	documented map[string]int
	// noCut counts the sequences without a cut point the restart can
	// honour; points counts the points of all sequences (before the
	// first op, after each), ineligible those ruled out, by reason.
	noCut, points int
	ineligible    map[string]int
	// unsteady counts the sequences not cut because the real kernel
	// itself was not deterministic on them.
	unsteady int
	// ended counts the cuts whose comparison ended early, at a remount
	// read-only the checkpoint's pinned directories refused
	// (cutRefusedReadOnly).
	ended int
}

func (s *cutStats) String() string {
	return fmt.Sprintf("cut scripts: %d of %d sequences cut and compared with the real kernel, %d with an open-unlinked file at the cut, %d files relinked; checkpoints failing as documented: %v; compared only up to a remount read-only the checkpoint's pinned directories refused: %d; sequences without an eligible cut point: %d; of %d points, ruled out: %v; not cut (real kernel unsteady): %d",
		s.cuts, s.sequences, s.withUnlinked, s.relinked, s.documented, s.ended, s.noCut, s.points, s.ineligible, s.unsteady)
}

// summary is s as a campaign summary carries it (campaign.Summary's
// Problems holds the requirement on the share of cuts with an
// open-unlinked file).
func (s *cutStats) summary() campaign.Cuts {
	return campaign.Cuts{
		Sequences: s.sequences, Cuts: s.cuts, WithUnlinked: s.withUnlinked, Relinked: s.relinked,
		Documented: s.documented, Ended: s.ended, NoCut: s.noCut, Points: s.points,
		Ineligible: s.ineligible, Unsteady: s.unsteady,
	}
}

func bump(m *map[string]int, k string) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[k]++
}

// cutFailure is a cut script that did not print what the real kernel
// printed, or could not be run.
type cutFailure struct {
	ops  []script.Op
	k    int
	what string
}

func (f *cutFailure) Error() string {
	return fmt.Sprintf("cut script (S cut after op %d of %d): %s\nthe cut script:\n%s", f.k, len(f.ops), f.what, cutScript(f.ops, f.k))
}

// cutScript prints S with the three lines inserted after op k.
func cutScript(ops []script.Op, k int) string {
	var out []script.Op
	out = append(out, ops[:k]...)
	for _, src := range cutOps {
		out = append(out, mustOp(src))
	}
	out = append(out, ops[k:]...)
	return script.Format(out)
}

func mustOp(src string) script.Op {
	op, err := script.ParseOp(src)
	if err != nil {
		panic(err)
	}
	return op
}

// Why a point of a sequence is no cut point: what ckpt/doc.go says the
// restart cannot honour.
const (
	// "Tasks are restarted as clones of the daemon, in its root (no
	// chroot) and initial namespace" (doc.go, Divergences and limits).
	ineligibleNamespace = "a task outside the daemon's namespaces"
	// "a file whose mount exists only in another namespace is relinked
	// there ... but reopened in the initial one" (the same paragraph).
	ineligibleMount = "a file on a mount of another mount namespace"
	// A /proc/PID/ns file: the checkpoint refuses it, EBADF (doc.go: a
	// file whose f_op had no .checkpoint).
	ineligibleNSFile = "an open namespace file (the checkpoint fails, EBADF, documented)"
	// A file the daemon cannot reach by the name the checkpoint records
	// (its d_path, or for an unlinked file its mount root's, under which
	// it is relinked), such as one on a mount another mount now covers:
	// the fixed checkpoint and the port refuse it, EBUSY or the lookup's
	// errno (doc.go: checkNameReachesFile, checkRelinkReachesMount).
	ineligibleHidden = "a file hidden from the name the checkpoint records, e.g. overmounted (the checkpoint fails, documented)"
	// A file whose dentry is unlinked (its inode may have another name)
	// on a read-only mount or filesystem: the checkpoint cannot make the
	// collection directory (EROFS, documented).
	ineligibleReadOnly = "an unlinked file on a read-only mount (the checkpoint fails, EROFS, documented)"
	// A file whose dentry is unlinked on a mount whose relink directory
	// (lost+found, or s_relink_dir) exists but is no directory (a script
	// can rename a file or symlink over it): the checkpoint cannot make
	// the collection directory in it (ENOTDIR, ENOENT; documented).
	ineligibleRelinkDir = "an unlinked file whose relink directory is no directory (the checkpoint fails, documented)"
)

// cutPoint says whether the machine's state is one the restart can
// honour, and how many open files are open-unlinked (nlink 0: orphans,
// O_TMPFILE files, removed directories), the case relinking is about.
// (A file whose name was unlinked while its inode kept another is
// relinked too, but is no orphan.)
func cutPoint(m *script.Machine) (why string, unlinked int) {
	d := ckpt.Daemon(m.K)
	dns := nsproxy.Of(d)
	seen := map[*vfs.File]bool{}
	for _, ti := range m.Tasks() {
		t, ok := ti.Sys.(*vfs.Task)
		if !ok {
			return "a task that is not simulated", 0
		}
		if !sameNamespaces(nsproxy.Of(t), dns) {
			why = ineligibleNamespace
		}
		for _, fd := range t.FDs() {
			f, err := t.File(fd)
			if err != nil || seen[f] {
				continue
			}
			seen[f] = true
			if _, err := t.NamespaceOf(fd); err == nil {
				if why == "" {
					why = ineligibleNSFile
				}
				continue
			}
			if f.Path().Mnt.Namespace() != d.MountNamespace() {
				if why == "" {
					why = ineligibleMount
				}
			} else if !reachable(d, f) && why == "" {
				why = ineligibleHidden
			}
			if why == "" && f.Dentry().Unlinked() {
				if f.Path().Mnt.ReadOnly() {
					why = ineligibleReadOnly
				} else if !relinkDirUsable(d, f) {
					why = ineligibleRelinkDir
				}
			}
			if f.Inode().Nlink() == 0 {
				unlinked++
			}
		}
	}
	return why, unlinked
}

// relinkDirUsable reports whether the relink directory under the root of
// f's mount is a directory or missing (the port makes it).
func relinkDirUsable(d *vfs.Task, f *vfs.File) bool {
	dir := "lost+found"
	if rd := f.Inode().Sb.RelinkDir(); rd != "" {
		dir = rd
	}
	p := strings.TrimSuffix(d.DPath(vfs.Path{Mnt: f.Path().Mnt, Dentry: f.Path().Mnt.Root()}), "/") + "/" + dir
	if _, err := d.Lstat(p); errors.Is(err, vfs.ENOENT) {
		return true
	}
	st, err := d.Stat(p)
	return err == nil && st.Mode.IsDir()
}

// reachable reports whether the daemon finds f by the name the checkpoint
// records for it, on f's mount: its d_path, or for an unlinked file its
// mount root's (the relinked name is made under it).
func reachable(d *vfs.Task, f *vfs.File) bool {
	target := f.Path()
	if f.Dentry().Unlinked() {
		target = vfs.Path{Mnt: target.Mnt, Dentry: target.Mnt.Root()}
	}
	fd, err := d.Open(d.DPath(target), vfs.O_PATH|vfs.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer d.Close(fd)
	g, err := d.File(fd)
	return err == nil && g.Path().Mnt == target.Mnt && g.Path().Dentry == target.Dentry
}

// sameNamespaces reports whether two nsproxies name the same namespaces:
// a task that unshared its mount namespace and went back with setns has
// an nsproxy of its own, made by kern_setns, with the daemon's
// namespaces in it, which is what a restart gives it.
func sameNamespaces(a, b *nsproxy.Nsproxy) bool {
	return a != nil && b != nil && a.Mnt == b.Mnt && a.UTS == b.UTS && a.IPC == b.IPC &&
		a.PIDForChildren == b.PIDForChildren && a.Cgroup == b.Cgroup && a.Net == b.Net &&
		a.Time == b.Time && a.TimeForChildren == b.TimeForChildren
}

// drawCut scans S on a fresh machine for the points the restart can
// honour and draws one, 7 times in 8 among those with an open-unlinked
// file when there are any. ok is false when no point is eligible.
func drawCut(t *rapid.T, sim func() (*script.Machine, error), ops []script.Op, st *cutStats) (k int, ok bool, err error) {
	m, err := sim()
	if err != nil {
		return 0, false, err
	}
	var all, unlinked []int
	for j := 0; ; j++ {
		st.points++
		why, n := cutPoint(m)
		switch {
		case why != "":
			bump(&st.ineligible, why)
		case n > 0:
			unlinked = append(unlinked, j)
			fallthrough
		default:
			all = append(all, j)
		}
		if j == len(ops) {
			break
		}
		m.Step(ops[j])
	}
	if err := m.K.Shutdown(); err != nil {
		return 0, false, fmt.Errorf("leak check of the scan for cut points: %w", err)
	}
	if len(all) == 0 {
		return 0, false, nil
	}
	if len(unlinked) > 0 && rapid.IntRange(0, 7).Draw(t, "cut-prefer-unlinked") > 0 {
		return unlinked[rapid.IntRange(0, len(unlinked)-1).Draw(t, "cut-unlinked")], true, nil
	}
	return all[rapid.IntRange(0, len(all)-1).Draw(t, "cut-any")], true, nil
}

// devIno is an inode's st_dev and st_ino.
type devIno struct {
	dev uint32
	ino uint64
}

// statKey is what stat(2) would give x for st_dev and st_ino (generic
// fillattr and the filesystem's getattr, which on btrfs names the
// subvolume's anonymous device).
func statKey(x *vfs.Inode) devIno {
	st := vfs.Stat_t{Dev: x.Sb.Dev(), Ino: x.Ino}
	if g, ok := x.Ops.(vfs.Getattrer); ok {
		st = g.Getattr(x, st)
	}
	return devIno{st.Dev, st.Ino}
}

// ident is an inode as both runs can name it: one that lived at the cut,
// by its st_dev and number then (both runs have it, with that number),
// or one allocated after the cut, whose number may differ between the
// runs.
type ident struct {
	known bool // false when the step named no inode the run could find
	old   bool
	key   devIno // the cut's key of an old inode, or the fresh inode's own
}

// cutRun is one simulator run of S or of its cut version, step by step.
type cutRun struct {
	m     *script.Machine
	steps []script.Step // the steps of S's ops (the cut's three lines left out)
	// named are the inodes each step printed, in its order, as they were
	// right after the step.
	named map[int][]probe
	// At the cut: the in-core inodes, with their keys then.
	atCut map[*vfs.Inode]devIno
	byKey map[devIno][]*vfs.Inode
	// restored maps, in the cut run, a removed directory the restart
	// made again to the one the task had open at the cut.
	restored map[*vfs.Inode]*vfs.Inode
	// violations, set when a step broke the simulator's invariants.
	violations []vfs.Violation
	violStep   int
}

func newCutRun(sim func() (*script.Machine, error)) (*cutRun, error) {
	m, err := sim()
	if err != nil {
		return nil, err
	}
	return &cutRun{m: m, named: map[int][]probe{}, restored: map[*vfs.Inode]*vfs.Inode{}}, nil
}

// probe is an inode a step printed, as it was right after the step.
type probe struct {
	x        *vfs.Inode // nil when the run could not tell which
	id       ident
	restored bool   // a removed directory the restart made again
	dir      bool   // a directory
	holder   string // an orphans entry's inode's first descriptor (holder)
	printed  string // how the orphans entry printed it
}

// probe describes x now.
func (r *cutRun) probe(x *vfs.Inode) probe {
	if x == nil {
		return probe{}
	}
	_, restored := r.restored[x]
	return probe{x: x, id: r.ident(x), restored: restored, dir: x.Mode.IsDir()}
}

// markCut records the inodes at the cut: every name under the daemon's
// /mnt is looked up first (as a backup would), so that the inodes on disk
// are in core too, then the in-core inodes are recorded by identity.
func (r *cutRun) markCut() {
	walkNames(ckpt.Daemon(r.m.K), "/mnt", func(string, vfs.Stat_t) {})
	r.atCut = map[*vfs.Inode]devIno{}
	r.byKey = map[devIno][]*vfs.Inode{}
	for _, sb := range r.m.K.Supers() {
		for _, x := range sb.Inodes() {
			if x.Freed() {
				continue
			}
			k := statKey(x)
			r.atCut[x] = k
			r.byKey[k] = append(r.byKey[k], x)
		}
	}
}

// ident names inode x of the run, as both runs can.
func (r *cutRun) ident(x *vfs.Inode) ident {
	if x == nil {
		return ident{}
	}
	if o, ok := r.restored[x]; ok {
		x = o
	}
	if k, ok := r.atCut[x]; ok {
		return ident{known: true, old: true, key: k}
	}
	if x.Freed() {
		return ident{}
	}
	k := statKey(x)
	for _, c := range r.byKey[k] {
		if !(c.Freed() && c.Nlink() == 0) {
			// The inode that had the number at the cut still exists
			// (evicted and read again): the same inode.
			return ident{known: true, old: true, key: k}
		}
	}
	return ident{known: true, key: k}
}

// task is the runner's current task.
func (r *cutRun) task() *vfs.Task {
	t, _ := r.m.T.(*vfs.Task)
	return t
}

// inodeAt returns the inode p names for the current task without
// following a last symlink (an O_PATH descriptor, closed again), or nil.
func (r *cutRun) inodeAt(p string) *vfs.Inode {
	t := r.task()
	if t == nil {
		return nil
	}
	return inodeOf(t, p)
}

// fdInode returns the inode behind the current task's descriptor name.
func (r *cutRun) fdInode(name string) *vfs.Inode {
	t := r.task()
	fd, ok := r.m.FD(name)
	if t == nil || !ok {
		return nil
	}
	f, err := t.File(fd)
	if err != nil {
		return nil
	}
	return f.Inode()
}

// step runs op and names the inodes its result printed.
func (r *cutRun) step(op script.Op) script.Step {
	s := r.m.Step(op)
	i := len(r.steps)
	r.steps = append(r.steps, s)
	if vs := r.m.Check(); len(vs) > 0 && r.violations == nil {
		r.violations, r.violStep = vs, i
	}
	if op.Name == "remount-opts" && s.Errno == "EBUSY" {
		// The in-core inodes of the superblock with nlink 0, which
		// refuse a switch to read-only (s_remove_count).
		if sb, err := r.task().SuperblockOf(r.m.Path(op.Path)); err == nil {
			for _, x := range sb.Inodes() {
				if !x.Freed() && x.Nlink() == 0 {
					r.named[i] = append(r.named[i], r.probe(x))
				}
			}
		}
	}
	if s.Err != nil || s.Errno != "" {
		return s
	}
	switch op.Name {
	case "ino":
		x := r.inodeAt(r.m.Path(op.Path))
		if n, ok := s.Ret.(uint64); !ok || x == nil || x.Ino != n {
			x = nil // not the inode lstat named
		}
		r.named[i] = []probe{r.probe(x)}
	case "fstat":
		r.named[i] = []probe{r.probe(r.fdInode(op.FD))}
	case "tree":
		nodes, _ := s.Ret.([]script.Node)
		for _, n := range nodes {
			r.named[i] = append(r.named[i], r.probe(r.inodeAt(r.m.Path(n.Path))))
		}
	case "orphans", "subvol-orphans":
		entries, _ := s.Ret.([]string)
		for _, e := range entries {
			x := r.orphan(op, e)
			p := r.probe(x)
			p.holder, p.printed = r.holder(x), e
			r.named[i] = append(r.named[i], p)
		}
	}
	return s
}

// orphan finds the inode an orphans or subvol-orphans entry names: an fd
// name (the runner names an orphan by the first descriptor on an inode of
// its number, of any device) or ino:N, an inode of the list's device.
func (r *cutRun) orphan(op script.Op, e string) *vfs.Inode {
	var dev uint32
	var sb *vfs.Superblock
	if op.Name == "orphans" {
		sb = r.m.Superblock()
		if sb == nil || sb.Root() == nil {
			return nil
		}
		dev = statKey(sb.Root().Inode()).dev // ext4's device, btrfs's top subvolume
	} else {
		t := r.task()
		st, err := t.Stat(r.m.Path(op.Path))
		if err != nil {
			return nil
		}
		dev = st.Dev
		if sb, err = t.SuperblockOf(r.m.Path(op.Path)); err != nil {
			return nil
		}
	}
	var n uint64
	if num, ok := strings.CutPrefix(e, "ino:"); ok {
		v, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return nil
		}
		n = v
	} else {
		x := r.fdInode(e)
		if x == nil {
			return nil
		}
		n = x.Ino
	}
	var found *vfs.Inode
	for _, x := range sb.Inodes() {
		if x.Ino == n && !x.Freed() && statKey(x).dev == dev {
			if found != nil {
				return nil // two: cannot tell
			}
			found = x
		}
	}
	return found
}

// holder is the first descriptor name of the current task open on x, or
// "": the name orphans gives x unless a descriptor opened earlier is open
// on another inode of the same number (of another btrfs subvolume, or of
// another filesystem), which the runner cannot tell apart.
func (r *cutRun) holder(x *vfs.Inode) string {
	if x == nil {
		return ""
	}
	for _, name := range r.m.FDNames() {
		if r.fdInode(name) == x {
			return name
		}
	}
	return ""
}

// cutRecord is what the comparison after the cut knows of the checkpoint.
type cutRecord struct {
	// failed is why the checkpoint failed as documented ("" when it
	// succeeded; the tasks then ran on untouched).
	failed string
	// madeDirs: the checkpoint or the restart made directories, which
	// took inode numbers (doc.go: inodes allocated after the checkpoint
	// may have other numbers).
	madeDirs bool
	// made are the checkpoint's own directories in the cut run
	// (collection directories, a relink directory the port made), which
	// the restored files pin: orphans after the restart. pinned are the
	// directories from the relink directory down to the collection
	// directories, which the restored files pin (and so keep as orphans
	// when the script removes them).
	made, pinned map[*vfs.Inode]bool
	// unpinned are the keys of the directories above the dentries of the
	// files the checkpoint relinked (doc.go: a restored file no longer
	// pins them; a removed one is freed at the restart where S keeps it
	// on the orphan list).
	unpinned map[devIno]bool
	// removedDirs are the keys of the removed directories open at the cut;
	// moved those the restart made again on another st_dev (a btrfs
	// subvolume other than the one of the collection directory, or a
	// deleted subvolume's root).
	removedDirs, moved map[devIno]bool
	relinked           int
	unlinked           int // descriptors on nlink-0 inodes at the cut
	// endedAt is the step (from 1) at which the comparison ended early
	// (cutRefusedReadOnly), or 0.
	endedAt int
}

// checkpointCut runs the three lines on the cut run at the cut and checks
// what they did: the restart gave every descriptor back on its inode
// (a removed directory on one made again), left no relinked name or
// collection directory (C3), moved no file data (C4), and broke no
// invariant. A failed checkpoint is accepted only as documented.
func checkpointCut(b *cutRun, fsName string) (*cutRecord, error) {
	m := b.m
	d := ckpt.Daemon(m.K)
	rec := &cutRecord{made: map[*vfs.Inode]bool{}, pinned: map[*vfs.Inode]bool{}, unpinned: map[devIno]bool{}, removedDirs: map[devIno]bool{}, moved: map[devIno]bool{}}
	type slot struct {
		task string
		fd   int
	}
	before := map[slot]*vfs.Inode{}
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			f, err := t.File(fd)
			if err != nil {
				continue
			}
			before[slot{ti.Name, fd}] = f.Inode()
			if f.Inode().Nlink() == 0 {
				rec.unlinked++
			}
			if !f.Dentry().Unlinked() {
				continue
			}
			if f.Inode().Mode.IsDir() {
				rec.removedDirs[statKey(f.Inode())] = true
			}
			for p := f.Dentry().Parent(); ; p = p.Parent() {
				rec.unpinned[statKey(p.Inode())] = true
				if p.IsRoot() {
					break
				}
			}
		}
	}
	_, lfErr := d.Lstat("/mnt/lost+found")
	s := m.Step(mustOp(cutOps[0]))
	if s.Err != nil || s.Errno != "" {
		if why := documentedCheckpointFailure(fsName, m, s); why != "" {
			// doc.go: the directories a checkpoint makes take inode
			// numbers even when it fails and removes them.
			rec.failed, rec.madeDirs = why, true
			return rec, checkNoCollection(m, lfErr == nil, "after the failed checkpoint")
		}
		return nil, fmt.Errorf("the checkpoint at the cut failed: %s (err %v)", s.Describe(), s.Err)
	}
	if n := dataBytesOf(s); n != 0 {
		return nil, fmt.Errorf("C4: the checkpoint moved %d data bytes: %s", n, s.Describe())
	}
	imgs := ckpt.Images(m)
	img := imgs[len(imgs)-1].Image
	fifoBytes := 0
	var dirs []string
	for _, f := range img.Files {
		fifoBytes += len(f.FifoData)
		if f.RestartFlags&ckpt.FileUnlink == 0 {
			continue
		}
		rec.relinked++
		if f.Type == ckpt.FileDir {
			rec.madeDirs = true // the restart makes it again
		}
		if dir := path.Dir(f.Relinked); !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	// And the relink directories the port made because they were
	// missing (lost+found of a mount root other than ext4's).
	dirs = append(dirs, img.Made...)
	for _, dir := range dirs {
		if x := inodeOf(d, dir); x != nil {
			rec.made[x] = true
			rec.madeDirs = true
		}
	}
	for _, f := range img.Files {
		if f.RestartFlags&ckpt.FileUnlink != 0 {
			// The collection directory and the relink directory above
			// it (the mount root is pinned anyway).
			for dir, n := path.Dir(f.Relinked), 0; n < 2; dir, n = path.Dir(dir), n+1 {
				if x := inodeOf(d, dir); x != nil {
					rec.pinned[x] = true
				}
			}
		}
	}
	if k := m.Step(mustOp(cutOps[1])); k.Err != nil || k.Errno != "" {
		return nil, fmt.Errorf("kill at the cut: %s (err %v)", k.Describe(), k.Err)
	}
	s = m.Step(mustOp(cutOps[2]))
	if s.Err != nil || s.Errno != "" {
		return nil, fmt.Errorf("the restart at the cut failed: %s (err %v)", s.Describe(), s.Err)
	}
	if n := dataBytesOf(s); n != fifoBytes {
		return nil, fmt.Errorf("C4: the restart moved %d data bytes, the fifos held %d: %s", n, fifoBytes, s.Describe())
	}
	// Every descriptor is back on its inode; a removed directory on one
	// the restart made again and removed (doc.go).
	after := map[slot]bool{}
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			f, err := t.File(fd)
			if err != nil {
				continue
			}
			sl := slot{ti.Name, fd}
			after[sl] = true
			old, ok := before[sl]
			switch {
			case !ok:
				return nil, fmt.Errorf("after the restart task %s has descriptor %d, which it did not have at the checkpoint", ti.Name, fd)
			case f.Inode() == old:
			case old.Mode.IsDir() && rec.removedDirs[b.atCut[old]] && f.Inode().Mode.IsDir() && f.Inode().IsDeadDir():
				if o, ok := b.restored[f.Inode()]; ok && o != old {
					return nil, fmt.Errorf("one directory made again for two removed ones")
				}
				b.restored[f.Inode()] = old
				if statKey(f.Inode()).dev != b.atCut[old].dev {
					rec.moved[b.atCut[old]] = true
				}
			default:
				return nil, fmt.Errorf("after the restart descriptor %d of task %s is open on %v, at the checkpoint on %v", fd, ti.Name, f.Inode(), old)
			}
		}
	}
	for sl := range before {
		if !after[sl] {
			return nil, fmt.Errorf("the restart did not give task %s its descriptor %d back", sl.task, sl.fd)
		}
	}
	if err := checkNoCollection(m, lfErr == nil, "C3: after the restart"); err != nil {
		return nil, err
	}
	for _, dir := range img.Made {
		if _, err := d.Lstat(dir); !errors.Is(err, vfs.ENOENT) {
			return nil, fmt.Errorf("C3: the relink directory %s the checkpoint made remains after the restart (%v)", dir, err)
		}
	}
	if vs := m.Check(); len(vs) > 0 {
		return nil, fmt.Errorf("after the restart: %w", vfs.InvariantError(vs))
	}
	return rec, nil
}

// inodeOf returns the inode at p for t, not following a last symlink.
func inodeOf(t *vfs.Task, p string) *vfs.Inode {
	fd, err := t.Open(p, vfs.O_PATH|vfs.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	defer t.Close(fd)
	f, err := t.File(fd)
	if err != nil {
		return nil
	}
	return f.Inode()
}

func dataBytesOf(s script.Step) int {
	str, _ := s.Ret.(string)
	_, v, ok := strings.Cut(str, " data-bytes=")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(strings.Fields(v)[0])
	if err != nil {
		return -1
	}
	return n
}

// documentedCheckpointFailure returns why a failed checkpoint is one
// ckpt/doc.go documents, or "".
func documentedCheckpointFailure(fsName string, m *script.Machine, s script.Step) string {
	if fsName == "btrfs" && s.Err == nil && s.Errno == "EXDEV" && unlinkedInSubvolume(m) {
		// doc.go: "On btrfs, a file unlinked in a subvolume other than
		// the mount's fails the checkpoint with EXDEV ... (C1 holds; the
		// tasks run on)."
		return "btrfs EXDEV: a file unlinked in another subvolume"
	}
	return ""
}

// unlinkedInSubvolume reports whether a task holds a file unlinked in a
// btrfs subvolume other than the root of its mount.
func unlinkedInSubvolume(m *script.Machine) bool {
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			f, err := t.File(fd)
			if err != nil || !f.Dentry().Unlinked() {
				continue
			}
			if statKey(f.Inode()).dev != statKey(f.Path().Mnt.Root().Inode()).dev {
				return true
			}
		}
	}
	return false
}

// walkNames calls fn for every name below dir, as t sees them (crossing
// mounts, not following symlinks), depth first in getdents order.
func walkNames(t *vfs.Task, dir string, fn func(p string, st vfs.Stat_t)) {
	fd, err := t.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY|vfs.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	ents, _ := t.ReadDir(fd)
	t.Close(fd)
	for _, e := range ents {
		if e.Name == "." || e.Name == ".." {
			continue
		}
		p := dir + "/" + e.Name
		st, err := t.Lstat(p)
		if err != nil {
			continue
		}
		fn(p, st)
		if st.Mode.IsDir() {
			walkNames(t, p, fn)
		}
	}
}

// checkNoCollection walks the daemon's /mnt: no checkpoint-<crid> or
// relinked-<n> name anywhere, and lost+found only if it was there before
// the checkpoint.
func checkNoCollection(m *script.Machine, lfBefore bool, when string) error {
	d := ckpt.Daemon(m.K)
	var found []string
	walkNames(d, "/mnt", func(p string, st vfs.Stat_t) {
		if b := path.Base(p); strings.HasPrefix(b, "checkpoint-") || strings.HasPrefix(b, "relinked-") {
			found = append(found, p)
		}
	})
	if len(found) > 0 {
		return fmt.Errorf("%s: %v remain", when, found)
	}
	if _, err := d.Lstat("/mnt/lost+found"); (err == nil) != lfBefore {
		return fmt.Errorf("%s: lost+found exists: %v, before the checkpoint: %v", when, err == nil, lfBefore)
	}
	return nil
}

// checkCut runs the cut version of ops at k on the simulator and compares
// it with real, the real kernel's output of ops. It returns what the
// checkpoint did, or why the cut script failed.
func checkCut(sim func() (*script.Machine, error), fsName string, ops []script.Op, k int, real []string) (*cutRecord, error) {
	fail := func(format string, args ...any) (*cutRecord, error) {
		return nil, &cutFailure{ops: ops, k: k, what: fmt.Sprintf(format, args...)}
	}
	a, err := newCutRun(sim)
	if err != nil {
		return nil, err
	}
	b, err := newCutRun(sim)
	if err != nil {
		return nil, err
	}
	defer a.m.K.Shutdown()
	defer b.m.K.Shutdown()
	for _, r := range []*cutRun{a, b} {
		for _, op := range ops[:k] {
			r.step(op)
		}
		r.markCut()
	}
	rec, err := checkpointCut(b, fsName)
	if err != nil {
		return fail("%v", err)
	}
	for _, op := range ops[k:] {
		a.step(op)
		b.step(op)
	}
	for i := range ops {
		// Run A is S: the simulator's plain run, which printed the real
		// kernel's lines (the plain comparison passed), and does with
		// the probes of the inodes.
		if got := encode(a.steps[i]); got != real[i] {
			return fail("the simulator's run of S (with the cut run's probes) no longer prints the real kernel's line %d:\n real: %s\n  sim: %s", i+1, real[i], got)
		}
		if b.steps[i].Err != nil {
			return fail("step %d (%s) could not run in the cut run: %v", i+1, b.steps[i].Op, b.steps[i].Err)
		}
		got := encode(b.steps[i])
		if got == real[i] {
			continue
		}
		if i >= k {
			if cutEquivalent(a, b, i, ops[i], rec) {
				continue
			}
			if cutRefusedReadOnly(a, b, i, ops[i], rec) {
				// The rest of S runs on a filesystem the cut run left
				// read-write: nothing further compares.
				rec.endedAt = i + 1
				break
			}
		}
		return fail("step %d (%s) diverges from the real kernel:\n real: %s\n  cut: %s\nthe real kernel's output of S:\n%s\nthe cut run's output (the three lines left out):\n%s",
			i+1, ops[i].String(), real[i], got, strings.Join(real, "\n"), strings.Join(encodeAll(b.steps), "\n"))
	}
	for _, r := range []*cutRun{a, b} {
		which := "the cut run"
		if r == a {
			which = "the run of S"
		}
		if r.violations != nil {
			return fail("%s broke the simulator's invariants at step %d: %v", which, r.violStep+1, vfs.InvariantError(r.violations))
		}
		if vs := r.m.Check(); len(vs) > 0 {
			return fail("%s: invariants: %v", which, vfs.InvariantError(vs))
		}
		if err := r.m.K.Shutdown(); err != nil {
			return fail("%s: leak check: %v", which, err)
		}
	}
	return rec, nil
}

func encodeAll(steps []script.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = encode(s)
	}
	return out
}

// cutEquivalent reports whether step i of the cut run (b) differs from S's
// (a, which printed the real kernel's line) only as ckpt/doc.go documents.
func cutEquivalent(a, b *cutRun, i int, op script.Op, rec *cutRecord) bool {
	sa, sb := a.steps[i], b.steps[i]
	if sa.Errno != sb.Errno || sa.Errno != "" {
		return false
	}
	switch op.Name {
	case "ino":
		// doc.go: "The directories a checkpoint makes take inode
		// numbers ... Inodes allocated after the checkpoint may have
		// other numbers than without it (the ino op ...); an inode that
		// lived at the checkpoint keeps its number."
		ia, ib := a.named[i][0].id, b.named[i][0].id
		return rec.madeDirs && ia.known && ib.known && !ia.old && !ib.old && ia.key.dev == ib.key.dev &&
			sameExcept(sa, sb, ib.key.ino, ia.key.ino)
	case "tree":
		// The labels (i1, i2, ...) name inodes by number alone: on
		// btrfs subvolumes repeat numbers, and a second tmpfs has its
		// own, so that which labels coincide depends on the numbers,
		// which may differ for inodes allocated after the cut (doc.go,
		// as for ino). Everything else must agree, the same inodes
		// must share a label, and an inode that lived at the cut must
		// keep its number.
		return rec.madeDirs && sameTreeUpToFreshNumbers(a, b, i)
	case "orphans", "subvol-orphans":
		// doc.go: "After a restart the orphan list ... holds the
		// restored files in the reverse of the order the restart
		// unlinked them ..., then the collection directory and a relink
		// directory the port made, pinned by them ... Scripts compare
		// orphans as a set", and "the directories above its old dentry
		// are no longer pinned by it, so a removed one is freed at the
		// restart where S keeps it on the orphan list until the file is
		// closed", and the inode numbers of inodes allocated after the
		// checkpoint.
		return sameOrphans(a, b, i, rec)
	case "fstat":
		// doc.go: "A removed directory comes back made and removed
		// again (rmdir): nlink 0 and an empty removed directory's size
		// (ext4: 0, where one renamed over keeps its size; a deleted
		// btrfs subvolume's root keeps nlink 1)."
		pa, pb := a.named[i][0], b.named[i][0]
		stA, _ := sa.Ret.(map[string]any)
		stB, _ := sb.Ret.(map[string]any)
		return pa.id.known && pa.id.old && rec.removedDirs[pa.id.key] && pb.restored && pb.id == pa.id &&
			stA["type"] == "dir" && stB["type"] == "dir" && stB["nlink"] == uint64(0)
	}
	return false
}

// cutRefusedReadOnly reports whether step i is a remount read-only that
// S made and the cut run refused only because of the checkpoint's own
// directories. doc.go: "the collection directory, removed while the file
// keeps it pinned, is an orphan until the file is closed" (so is a relink
// directory the port made): an in-core inode with nlink 0, which refuses
// a switch to read-only with EBUSY (s_remove_count;
// docs/linux-semantics.md fact 24); so is the relink directory above it
// when the script removed it. S has no such inode when the restored
// files kept a name (a file unlinked under one name and linked under
// another, an O_TMPFILE file linked after the restart). Nor when a
// deleted btrfs subvolume's root was open: doc.go, "A removed directory
// comes back made and removed again (rmdir): nlink 0 ... a deleted btrfs
// subvolume's root keeps nlink 1". Accepted only when such inodes are
// the cut run's only nlink-0 in-core inodes there; the two runs'
// filesystems then differ (read-only in S), so the comparison ends.
func cutRefusedReadOnly(a, b *cutRun, i int, op script.Op, rec *cutRecord) bool {
	sa, sb := a.steps[i], b.steps[i]
	if op.Name != "remount-opts" || sa.Errno != "" || sb.Errno != "EBUSY" || sa.Ret != nil || sb.Ret != nil || len(b.named[i]) == 0 {
		return false
	}
	for _, p := range b.named[i] {
		// A deleted btrfs subvolume's root, open at the cut, comes back
		// as a removed directory, nlink 0 where S's keeps nlink 1
		// (doc.go); its st_dev was 0 at the cut.
		deadRoot := p.restored && p.id.key.dev == 0
		if !rec.made[p.x] && !rec.pinned[p.x] && !deadRoot {
			return false
		}
	}
	return true
}

// sameExcept reports whether two steps print the same once b's inode
// number nb is read as a's na.
func sameExcept(sa, sb script.Step, nb, na uint64) bool {
	if v, ok := sb.Ret.(uint64); !ok || v != nb {
		return false
	}
	sb.Ret = na
	return encode(sa) == encode(sb)
}

// sameTreeUpToFreshNumbers compares tree listings whose inode labels may
// differ only because inodes allocated after the cut have other numbers.
func sameTreeUpToFreshNumbers(a, b *cutRun, i int) bool {
	ta, _ := a.steps[i].Ret.([]script.Node)
	tb, _ := b.steps[i].Ret.([]script.Node)
	if len(ta) != len(tb) || len(a.named[i]) != len(ta) || len(b.named[i]) != len(tb) {
		return false
	}
	firstA, firstB := map[*vfs.Inode]int{}, map[*vfs.Inode]int{}
	for j := range ta {
		na, nb := ta[j], tb[j]
		if na.Path != nb.Path || na.Type != nb.Type || na.Nlink != nb.Nlink || na.Size != nb.Size {
			return false
		}
		pa, pb := a.named[i][j], b.named[i][j]
		if pa.x == nil || pb.x == nil {
			return false
		}
		// The same inodes share a node's inode in both runs.
		fa, okA := firstA[pa.x]
		fb, okB := firstB[pb.x]
		if okA != okB || fa != fb {
			return false
		}
		if !okA {
			firstA[pa.x], firstB[pb.x] = j, j
		}
		ia, ib := pa.id, pb.id
		if !ia.known || !ib.known || ia.old != ib.old || ia.key.dev != ib.key.dev {
			return false
		}
		if ia.old && ia.key != ib.key {
			return false
		}
	}
	return true
}

// sameOrphans compares orphan lists as sets, with the differences doc.go
// documents: the cut run's list may hold the checkpoint's directories,
// S's the directories a restored file no longer pins, and inodes
// allocated after the cut may have other numbers. Every other entry is
// paired with one of the same inode (an old inode by its key, a new one
// by the descriptor holding it). The printed names may differ only when
// the checkpoint made directories: the runner names an orphan by the
// first descriptor on an inode of its number, and on btrfs (subvolumes)
// or with a second filesystem numbers repeat, so that a number that moved
// makes another descriptor match or none.
func sameOrphans(a, b *cutRun, i int, rec *cutRecord) bool {
	ea, _ := a.steps[i].Ret.([]string)
	eb, _ := b.steps[i].Ret.([]string)
	if len(a.named[i]) != len(ea) || len(b.named[i]) != len(eb) {
		return false
	}
	type entry struct {
		id     ident
		holder string
	}
	collect := func(ps []probe, extra func(probe) bool) (old map[entry]int, fresh, printed map[string]int, ok bool) {
		old, fresh, printed = map[entry]int{}, map[string]int{}, map[string]int{}
		for _, p := range ps {
			if !p.id.known {
				return nil, nil, nil, false
			}
			if extra(p) {
				continue
			}
			printed[p.printed]++
			if p.id.old {
				old[entry{p.id, p.holder}]++
			} else {
				fresh[p.holder]++
			}
		}
		return old, fresh, printed, true
	}
	// S may hold directories a restored file no longer pins (those the
	// cut run does not hold).
	inB := map[ident]bool{}
	for _, p := range b.named[i] {
		inB[p.id] = true
	}
	// A removed directory made again on another st_dev (doc.go: "A
	// removed directory comes back made and removed again", as the
	// relinked name, in the collection directory of its mount's root:
	// on btrfs the mount's subvolume) is on that subvolume's orphan
	// list, no longer on its own.
	oldA, freshA, printedA, okA := collect(a.named[i], func(p probe) bool {
		return p.id.old && (p.dir && rec.unpinned[p.id.key] || rec.moved[p.id.key]) && !inB[p.id]
	})
	// The cut run may hold the checkpoint's own directories.
	inA := map[ident]bool{}
	for _, p := range a.named[i] {
		inA[p.id] = true
	}
	// and the relink directory above a collection directory, pinned by
	// the restored files like it ("the collection directory, removed
	// while the file keeps it pinned, is an orphan until the file is
	// closed"), when the script removed it after the restart.
	oldB, freshB, printedB, okB := collect(b.named[i], func(p probe) bool {
		return rec.made[p.x] || rec.pinned[p.x] && !inA[p.id] || p.restored && rec.moved[p.id.key] && !inA[p.id]
	})
	if !okA || !okB {
		return false
	}
	if (len(freshA) > 0 || len(freshB) > 0 || !mapsEqual(printedA, printedB)) && !rec.madeDirs {
		return false // no number may have moved
	}
	return mapsEqual(oldA, oldB) && mapsEqual(freshA, freshB)
}

func mapsEqual[K comparable](x, y map[K]int) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if y[k] != v {
			return false
		}
	}
	return true
}

// reduceCut shrinks a failing cut script one op at a time (keeping the
// cut where it was among the remaining ops), as long as fails says it
// still fails.
func reduceCut(ops []script.Op, k int, fails func(ops []script.Op, k int) bool) ([]script.Op, int) {
	renumber := func(ops []script.Op) []script.Op {
		for i := range ops {
			ops[i].Line = i + 1
		}
		return ops
	}
	cur := renumber(append([]script.Op(nil), ops...))
	for changed := true; changed; {
		changed = false
		for i := len(cur) - 1; i >= 0; i-- {
			try := renumber(append(append([]script.Op(nil), cur[:i]...), cur[i+1:]...))
			tk := k
			if i < k {
				tk--
			}
			if fails(try, tk) {
				cur, k, changed = try, tk, true
			}
		}
	}
	return cur, k
}
