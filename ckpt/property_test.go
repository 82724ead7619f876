package ckpt_test

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	_ "github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/ckpt"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/internal/campaign/campaigntest"
	"github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
)

// Issue 12, point 5: checkpoint/restart is invisible. For a generated
// script S and a cut point k, S[:k] + "checkpoint -> CKPT", "kill",
// "restart CKPT" + S[k:] prints what S prints, the three lines aside, then
// the same probe of every descriptor still open (fstat, readlink-fd, its
// position), the orphan list, the tree and the root's listing.
//
// The differences allowed are the documented divergences (ckpt/doc.go),
// each accepted only in its exact form (equivalent):
//   - readlink-fd of a restored unlinked file names its relinked name
//     (the image's, with " (deleted)") where S names the old one;
//   - orphans are compared as sets (their order after a restart is
//     documented in doc.go), and after the restart may also hold the
//     checkpoint's own directories, pinned by the restored files: the
//     collection directory and a relink directory the port made, known
//     here by the inode numbers they had right after the checkpoint;
//   - ino of an inode allocated after the cut may differ when the
//     checkpoint or restart made directories: they took inode numbers
//     (tmpfs's get_next_ino and btrfs's objectid counter only go up;
//     ext4 hands out the lowest free number, which a pinned collection
//     directory holds). An inode that lived at the cut keeps its number.
//
// Under the upstream kernel the checkpoint is the port (relink-upstream,
// the default there) on tmpfs, ext4 and btrfs; under relink2011-fixed it
// is the fixed seed on ext4, the one filesystem with lost+found. Cut points
// are drawn with a bias towards those with an open-unlinked file (the case
// relinking is about), and the test fails if too few had one.
//
// CI runs more checks per filesystem with
//
//	RAPID_CHECKS=1000 go test -count=1 -run '^TestCheckpointIsInvisible$' ./ckpt/
//
// It is a campaign (docs/campaigns.md): with one fixed seed (RAPID_SEED)
// and size (RAPID_CHECKS), RELINKSIM_SHARD=i/n runs exactly the scripts
// whose index is i modulo n, in every case (campaigntest.Check;
// TestShardsPartitionTheCampaigns checks the partition). Each case ends
// with a summary line (campaign.Summary: cut points, those with an
// open-unlinked file or a fifo, checkpoints taken, files relinked,
// comparisons ended at a documented divergence, the checkpoint's outcome
// at the cut and the ops drawn, tallied) that relinksim merge-campaign
// merges; the share of cut points with an open-unlinked file is then
// judged on the whole campaign, by the test when it runs unsharded.
func TestCheckpointIsInvisible(t *testing.T) {
	for _, c := range invisibleCases {
		t.Run(c.name, func(t *testing.T) {
			s := c.summary(campaign.CheckpointInvisible)
			campaigntest.Check(t, s, func(rt *rapid.T, k int) string {
				ops := scriptgen.Ops(c.genConfig()).Draw(rt, "ops")
				s.Ops += len(ops)
				tallyOps(s, ops)
				return checkInvisible(rt, c, ops, s)
			})
			logCuts(t, s)
		})
	}
}

// fsCase is a filesystem and era the properties run on.
type fsCase struct {
	name string
	era  vfs.Era
	fs   string
	// tasks adds the generator's task, namespace and mount ops
	// (scriptgen.GenConfig.Namespaces): the container has several tasks,
	// files shared between them, mounts. Cuts are drawn only where every
	// task is in the initial namespaces (inInitialNamespaces).
	tasks bool
}

var invisibleCases = []fsCase{
	{"tmpfs", vfs.Upstream, "tmpfs", false},
	{"ext4", vfs.Upstream, "ext4", false},
	{"btrfs", vfs.Upstream, "btrfs", false},
	{"ext4-relink2011-fixed", vfs.Relink2011Fixed, "ext4", false},
	// The seed as posted: an open removed directory fails the
	// checkpoint (EPERM), and the empty checkpoint-<crid> stays.
	{"ext4-relink2011", vfs.Relink2011, "ext4", false},
	{"tmpfs-tasks", vfs.Upstream, "tmpfs", true},
	{"ext4-tasks", vfs.Upstream, "ext4", true},
	{"btrfs-tasks", vfs.Upstream, "btrfs", true},
}

func (c fsCase) genConfig() scriptgen.GenConfig {
	// No btrfs subvolume ops: a checkpoint of a file unlinked in a
	// subvolume fails (EXDEV, documented), and the op language names
	// orphans and tree labels by inode number alone, which subvolumes
	// repeat, so that the shift of inode numbers changes which names
	// collide.
	return scriptgen.GenConfig{MinOps: 20, MaxOps: 60, Era: c.era, FS: c.fs, Namespaces: c.tasks}
}

func (c fsCase) boot(tb failer) *script.Machine {
	m, err := script.Boot(script.Config{Options: vfs.Options{Era: c.era}, FS: c.fs})
	if err != nil {
		tb.Fatalf("boot %s: %v", c.name, err)
	}
	return m
}

// summary is the campaign summary a property on c starts from: its
// counts at zero, and its requirement on the share of cut points with an
// open-unlinked file.
func (c fsCase) summary(name string) *campaign.Summary {
	floor := minUnlinkedShare
	if c.tasks {
		floor = minUnlinkedShareTasks
	}
	return &campaign.Summary{Campaign: name, Backend: c.name, Tally: map[string]int{},
		Counts: map[string]int{"cuts": 0, "cuts_with_unlinked": 0, "cuts_with_fifo": 0, "checkpoints": 0, "relinked": 0, "ended_early": 0},
		Shares: []campaign.Share{{What: "cut points with an open-unlinked file", Part: "cuts_with_unlinked", Of: "cuts", Min: floor}},
	}
}

// addCut counts a cut point in s: the open-unlinked files at the cut,
// the files the checkpoint relinked, a fifo open, and why the checkpoint
// failed as documented ("" when it succeeded).
func addCut(s *campaign.Summary, unlinked, relinked int, fifo bool, failed string) {
	s.Counts["cuts"]++
	if unlinked > 0 {
		s.Counts["cuts_with_unlinked"]++
	}
	s.Counts["relinked"] += relinked
	if fifo {
		s.Counts["cuts_with_fifo"]++
	}
	if failed != "" {
		s.Tally["checkpoint-at-cut:"+failed]++
	} else {
		s.Counts["checkpoints"]++
		s.Tally["checkpoint-at-cut:ok"]++
	}
}

// tallyOps counts the ops of a generated script in s, by name.
func tallyOps(s *campaign.Summary, ops []script.Op) {
	for _, op := range ops {
		s.Tally[op.Name]++
	}
}

// logCuts logs what a property's cut points were.
func logCuts(t *testing.T, s *campaign.Summary) {
	t.Helper()
	var failed []string
	for _, k := range slices.Sorted(maps.Keys(s.Tally)) {
		if why, ok := strings.CutPrefix(k, "checkpoint-at-cut:"); ok && why != "ok" {
			failed = append(failed, fmt.Sprintf("%s=%d", why, s.Tally[k]))
		}
	}
	n := s.Counts
	t.Logf("%d cut points: %d with an open-unlinked file, %d files relinked, %d with a fifo, %d compared only up to a documented divergence; checkpoints failing as documented: %v",
		n["cuts"], n["cuts_with_unlinked"], n["relinked"], n["cuts_with_fifo"], n["ended_early"], failed)
}

// minUnlinkedShare is the share of cut points that must have had an
// open-unlinked file: fewer and the property proves little. With tasks
// the mean is lower (about 48%: cuts are drawn only in the initial
// namespaces, and proc files fail the checkpoint as documented), so the
// floor is too, far enough below the mean that 100 draws do not fail it
// by chance (more than 3 standard deviations).
const (
	minUnlinkedShare      = 0.4
	minUnlinkedShareTasks = 0.3
)

// run is one run of a script on a machine, step by step, with what the
// comparison needs besides the steps: the device of each ino step's path
// (read the same way in both runs).
type run struct {
	m     *script.Machine
	steps []script.Step
	// inodes are the inodes ino and readlink-fd steps named, by step.
	inodes map[int]devIno
	// cutInodes are the filesystem's in-memory inodes at the cut, by
	// number (not on btrfs, whose subvolumes repeat numbers); reused
	// says, by step and number, that the inode a step named by number is
	// another than the cut's (freed since, its number reused: ext4 hands
	// out the lowest free one).
	cutInodes map[uint64]*vfs.Inode
	reused    map[int]map[uint64]bool
	// named are, by step, the inodes of the descriptors an orphans step
	// named and of the paths a tree step listed.
	named map[int]map[string]devIno
	// ckptDirs are the directories the checkpoint made (the cut run),
	// and dirAt says, by step and number, that an orphans step listed
	// one of them.
	ckptDirs map[*vfs.Inode]bool
	dirAt    map[int]map[uint64]bool
	// pinnedAt says, by step, that one of those directories was removed
	// and still in memory (pinned) when the step ran.
	pinnedAt map[int]bool
	// pidNames and namePids pair the pids and names of every task the
	// script has had, the latest of each.
	pidNames map[int]string
	namePids map[string]int
	// held says, by orphans step, which inodes (by number) some task's
	// descriptor holds when it ran.
	held map[int]map[uint64]bool
}

func (r *run) note(m *map[int]map[string]devIno, x devIno, name string) {
	if *m == nil {
		*m = map[int]map[string]devIno{}
	}
	i := len(r.steps)
	if (*m)[i] == nil {
		(*m)[i] = map[string]devIno{}
	}
	(*m)[i][name] = x
}

// addCkptDir records a directory the checkpoint made: its number in rec,
// its in-memory inode in r.
func (r *run) addCkptDir(rec *ckptRecord, st vfs.Stat_t) {
	rec.dirInos[st.Ino] = true
	if r.ckptDirs == nil {
		r.ckptDirs = map[*vfs.Inode]bool{}
	}
	for _, i := range r.m.Superblock().Inodes() {
		if i.Ino == st.Ino && i.Mode.IsDir() {
			r.ckptDirs[i] = true
		}
	}
}

// markCut records the inodes in memory at the cut, after a walk of the
// tree has brought every one with a name into memory (a disk filesystem
// keeps an inode in memory until it is freed; the walk, the same in both
// runs, changes nothing the script sees).
func (r *run) markCut() {
	if r.m.FSName() == "btrfs" {
		return
	}
	liveInodes(r.m)
	r.cutInodes = map[uint64]*vfs.Inode{}
	for _, i := range r.m.Superblock().Inodes() {
		r.cutInodes[i.Ino] = i
	}
}

// noteCkptDir records whether inode number n, listed by step i, is one of
// the directories the checkpoint made.
func (r *run) noteCkptDir(i int, n uint64) {
	for _, cur := range r.m.Superblock().Inodes() {
		if cur.Ino == n && r.ckptDirs[cur] {
			if r.dirAt == nil {
				r.dirAt = map[int]map[uint64]bool{}
			}
			if r.dirAt[i] == nil {
				r.dirAt[i] = map[uint64]bool{}
			}
			r.dirAt[i][n] = true
			return
		}
	}
}

// noteReused records whether inode number ino, named by step i, belongs
// to another inode than the one it was at the cut.
func (r *run) noteReused(i int, ino uint64) {
	old, ok := r.cutInodes[ino]
	if !ok {
		return
	}
	for _, cur := range r.m.Superblock().Inodes() {
		if cur.Ino == ino && cur == old {
			return
		}
	}
	if r.reused == nil {
		r.reused = map[int]map[uint64]bool{}
	}
	if r.reused[i] == nil {
		r.reused[i] = map[uint64]bool{}
	}
	r.reused[i][ino] = true
}

func (r *run) step(op script.Op) script.Step {
	if len(r.ckptDirs) > 0 {
		for _, i := range r.m.Superblock().Inodes() {
			if r.ckptDirs[i] && i.Nlink() == 0 {
				if r.pinnedAt == nil {
					r.pinnedAt = map[int]bool{}
				}
				r.pinnedAt[len(r.steps)] = true
			}
		}
	}
	s := r.m.Step(op)
	if (s.Errno == "" || op.Name == "lseek") && s.Err == nil {
		// The inode ino and readlink-fd name, read again the same way in
		// both runs (a lookup and an fstat, which change nothing); and
		// the file an lseek moved, or failed to.
		var st vfs.Stat_t
		var err error = vfs.EBADF
		switch op.Name {
		case "ino":
			st, err = r.m.T.Lstat(r.m.Path(op.Path))
		case "readlink-fd", "fstat", "lseek":
			if fd, ok := r.m.FD(op.FD); ok {
				st, err = r.m.T.Fstat(fd)
			}
		case "orphans": // the device whose orphans are listed
			st, err = r.m.T.Lstat(r.m.Root)
		case "subvol-orphans":
			st, err = r.m.T.Lstat(r.m.Path(op.Path))
		}
		if err == nil {
			if r.inodes == nil {
				r.inodes = map[int]devIno{}
			}
			r.inodes[len(r.steps)] = devIno{st.Dev, st.Ino}
			r.noteReused(len(r.steps), st.Ino)
		}
		if ret, ok := s.Ret.([]string); ok && strings.HasSuffix(op.Name, "orphans") {
			if r.held == nil {
				r.held = map[int]map[uint64]bool{}
			}
			held := map[uint64]bool{}
			for _, t := range r.m.K.Tasks() {
				for _, fd := range t.Files().FDs() {
					held[t.Files().File(fd).Inode().Ino] = true
				}
			}
			r.held[len(r.steps)] = held
			for _, o := range ret {
				if num, ok := strings.CutPrefix(o, "ino:"); ok {
					if n, err := strconv.ParseUint(num, 10, 64); err == nil {
						r.noteReused(len(r.steps), n)
						r.noteCkptDir(len(r.steps), n)
					}
				} else if fd, ok := r.m.FD(o); ok {
					// The descriptor the orphan is named by, which the
					// runner picks by inode number alone.
					if st, err := r.m.T.Fstat(fd); err == nil {
						r.note(&r.named, devIno{st.Dev, st.Ino}, o)
					}
				}
			}
		}
		if nodes, ok := s.Ret.([]script.Node); ok && op.Name == "tree" {
			for _, n := range nodes {
				if st, err := r.m.T.Lstat(r.m.Path(n.Path)); err == nil {
					r.note(&r.named, devIno{st.Dev, st.Ino}, n.Path)
				}
			}
		}
	}
	if r.pidNames == nil {
		r.pidNames, r.namePids = map[int]string{}, map[string]int{}
	}
	for _, ti := range r.m.Tasks() {
		pid := ti.Sys.(*vfs.Task).Tid()
		r.pidNames[pid], r.namePids[ti.Name] = ti.Name, pid
	}
	r.steps = append(r.steps, s)
	return s
}

// openUnlinked counts the distinct open files of the script's tasks whose
// inode has no name left (nlink 0), and whether any descriptor is a fifo.
func openUnlinked(m *script.Machine) (n int, fifo bool) {
	type key struct {
		dev uint32
		ino uint64
	}
	seen := map[key]bool{}
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			st, err := t.Fstat(fd)
			if err != nil {
				continue
			}
			fifo = fifo || st.Mode.IsFifo()
			if k := (key{st.Dev, st.Ino}); st.Nlink == 0 && !seen[k] {
				seen[k] = true
				n++
			}
		}
	}
	return n, fifo
}

type devIno struct {
	dev uint32
	ino uint64
}

// liveInodes returns every inode the filesystem and the script's tasks
// hold: each name under /mnt (lost+found included) and each open file.
func liveInodes(m *script.Machine) map[devIno]bool {
	live := map[devIno]bool{}
	d := ckpt.Daemon(m.K)
	walk(d, "/mnt", func(p string, st vfs.Stat_t) { live[devIno{st.Dev, st.Ino}] = true })
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			if st, err := t.Fstat(fd); err == nil {
				live[devIno{st.Dev, st.Ino}] = true
			}
		}
	}
	return live
}

// walk calls fn for dir and every name below it, depth first in name
// order, without following symlinks.
func walk(t *vfs.Task, dir string, fn func(p string, st vfs.Stat_t)) {
	st, err := t.Lstat(dir)
	if err != nil {
		return
	}
	fn(dir, st)
	if !st.Mode.IsDir() {
		return
	}
	fd, err := t.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		return
	}
	ents, _ := t.ReadDir(fd)
	t.Close(fd)
	var names []string
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			names = append(names, e.Name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		walk(t, dir+"/"+n, fn)
	}
}

// ckptRecord is what the comparison after the cut knows of the checkpoint.
type ckptRecord struct {
	img *ckpt.Image
	// dirInos are the inode numbers of the directories the checkpoint
	// made (collection directories, a missing relink directory).
	dirInos map[uint64]bool
	// madeDirs: the checkpoint or the restart made a directory, which
	// shifts later inode numbers.
	madeDirs bool
	// before are the inodes live at the cut.
	before map[devIno]bool
	// unpinned are the directories above the dentries of the files the
	// checkpoint relinked: a restored file's dentry is the relinked name,
	// in the collection directory, so it no longer keeps them (removed
	// ones are orphans in S as long as the file is open, freed in the cut
	// run, their numbers free for new inodes).
	unpinned map[devIno]bool
	// removedDirs are the removed directories open at the cut.
	removedDirs map[devIno]bool
	// failed is why the checkpoint failed as documented ("" when it
	// succeeded).
	failed string
	// relinked are the image's relinked names.
	relinked map[string]bool
}

var dataBytesRE = regexp.MustCompile(` data-bytes=(\d+)`)

func dataBytesOf(s script.Step) int {
	str, _ := s.Ret.(string)
	m := dataBytesRE.FindStringSubmatch(str)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// mustOp parses one op.
func mustOp(src string) script.Op {
	op, err := script.ParseOp(src)
	if err != nil {
		panic(err)
	}
	return op
}

// collections returns the image's collection directories and relinked
// names.
func collections(img *ckpt.Image) (dirs []string, names map[string]bool) {
	names = map[string]bool{}
	for _, f := range img.Files {
		if f.RestartFlags&ckpt.FileUnlink != 0 {
			names[f.Relinked] = true
			if d := path.Dir(f.Relinked); !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs, names
}

// checkpointCut runs checkpoint, kill and restart on b at the cut and
// checks the restart left nothing behind (C3, C4). It returns what the
// comparison needs, or nil with the reason the checkpoint failed when it
// failed as documented (then the tasks run on, untouched).
func checkpointCut(tb failer, c fsCase, b *run, beforeRestart func(*ckptRecord)) (*ckptRecord, string) {
	m := b.m
	d := ckpt.Daemon(m.K)
	rec := &ckptRecord{dirInos: map[uint64]bool{}, before: liveInodes(m), unpinned: map[devIno]bool{}, removedDirs: map[devIno]bool{}}
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			f, err := t.File(fd)
			st, serr := t.Fstat(fd)
			if err != nil || serr != nil || !f.Dentry().Unlinked() {
				continue
			}
			if st.Mode.IsDir() {
				rec.removedDirs[devIno{st.Dev, st.Ino}] = true
			}
			for d := f.Dentry().Parent(); ; d = d.Parent() {
				rec.unpinned[devIno{st.Dev, d.Inode().Ino}] = true
				if d.IsRoot() {
					break
				}
			}
		}
	}
	_, lfErr := d.Lstat("/mnt/lost+found")
	s := m.Step(mustOp("checkpoint -> CKPT"))
	if s.Err != nil || s.Errno != "" {
		if why := documentedCheckpointFailure(c, m, s); why != "" {
			checkNoCollection(tb, m, lfErr == nil, "after the failed checkpoint")
			// The tasks run on. The directories the checkpoint made
			// and removed took inode numbers all the same: the
			// checkpoint failed at the link, after making them.
			rec.madeDirs = true
			rec.failed = why
			return rec, why
		}
		tb.Fatalf("checkpoint at the cut: %s (err %v)", s.Describe(), s.Err)
	}
	if n := dataBytesOf(s); n != 0 {
		tb.Fatalf("C4: the checkpoint moved %d data bytes: %s", n, s.Describe())
	}
	imgs := ckpt.Images(m)
	rec.img = imgs[len(imgs)-1].Image
	dirs, names := collections(rec.img)
	rec.relinked = names
	for _, dir := range dirs {
		st, err := d.Lstat(dir)
		if err != nil {
			tb.Fatalf("collection directory %s after the checkpoint: %v", dir, err)
		}
		b.addCkptDir(rec, st)
		rec.madeDirs = true
		// The directories above it too: a restored file's dentry pins
		// them, so one the script removes later stays an orphan as
		// long as the file is open (doc.go), where in S it goes.
		for up := path.Dir(dir); up != "/"; up = path.Dir(up) {
			if st, err := d.Lstat(up); err == nil && st.Mode.IsDir() {
				b.addCkptDir(rec, st)
			}
		}
	}
	if lfErr != nil {
		if st, err := d.Lstat("/mnt/lost+found"); err == nil {
			b.addCkptDir(rec, st)
			rec.madeDirs = true
		}
	}
	// And the relink directories the port made elsewhere (in the root
	// of a bind mount of a subdirectory).
	for _, dir := range rec.img.Made {
		if st, err := d.Lstat(dir); err == nil {
			b.addCkptDir(rec, st)
			rec.madeDirs = true
		}
	}
	fifoBytes := 0
	for _, f := range rec.img.Files {
		fifoBytes += len(f.FifoData)
		if f.RestartFlags&ckpt.FileUnlink != 0 && f.Type == ckpt.FileDir {
			rec.madeDirs = true // the restart makes it again
		}
	}
	for name := range names {
		st, err := d.Lstat(name)
		switch {
		case pathType(rec.img, name) == "dir":
			// A removed directory's name is only reserved: the restart
			// makes it.
			if !errors.Is(err, vfs.ENOENT) {
				tb.Fatalf("reserved name %s of a removed directory after the checkpoint: %v", name, err)
			}
		case err != nil:
			tb.Fatalf("relinked name %s missing after the checkpoint: %v", name, err)
		case st.Nlink == 0:
			tb.Fatalf("relinked name %s has nlink 0", name)
		}
	}
	if k := m.Step(mustOp("kill")); k.Err != nil || k.Errno != "" {
		tb.Fatalf("kill: %s %v", k.Describe(), k.Err)
	}
	if beforeRestart != nil {
		// The fault injection's failed restarts (faults_test.go).
		beforeRestart(rec)
	}
	s = m.Step(mustOp("restart CKPT"))
	if s.Err != nil || s.Errno != "" {
		tb.Fatalf("restart at the cut: %s (err %v)", s.Describe(), s.Err)
	}
	// C4: the restart writes back a fifo's buffered bytes and nothing else.
	if n := dataBytesOf(s); n != fifoBytes {
		tb.Fatalf("C4: the restart moved %d data bytes, the fifos held %d: %s", n, fifoBytes, s.Describe())
	}
	// C3: no relinked name, collection directory or relink directory the
	// port made remains.
	for name := range names {
		if _, err := d.Lstat(name); !errors.Is(err, vfs.ENOENT) {
			tb.Fatalf("C3: relinked name %s remains after the restart (%v)", name, err)
		}
	}
	checkNoCollection(tb, m, lfErr == nil, "C3: after the restart", c.era == vfs.Relink2011)
	if vs := m.Check(); len(vs) > 0 {
		tb.Fatalf("after the restart: %v", vfs.InvariantError(vs))
	}
	return rec, ""
}

// pathType returns "dir" when the image's file relinked at name is a
// directory (its name is made again only at restart).
func pathType(img *ckpt.Image, name string) string {
	for _, f := range img.Files {
		if f.Relinked == name && f.Type == ckpt.FileDir {
			return "dir"
		}
	}
	return ""
}

// failer is what testing.TB and *rapid.T share that the helpers use.
type failer interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// checkNoCollection walks the whole filesystem: no checkpoint-<crid>
// directory anywhere, and lost+found only if it was there before.
// leftover allows empty checkpoint-<crid> directories (relink2011's after
// a successful restart: C3), never a relinked name.
func checkNoCollection(tb failer, m *script.Machine, lfBefore bool, when string, leftover ...bool) {
	tb.Helper()
	d := ckpt.Daemon(m.K)
	var found []string
	walk(d, "/mnt", func(p string, st vfs.Stat_t) {
		base := path.Base(p)
		if len(leftover) > 0 && leftover[0] && strings.HasPrefix(base, "checkpoint-") && st.Mode.IsDir() && st.Nlink == 2 {
			if fd, err := d.Open(p, vfs.O_RDONLY|vfs.O_DIRECTORY, 0); err == nil {
				ents, _ := d.ReadDir(fd)
				d.Close(fd)
				if len(ents) == 2 { // . and ..
					return
				}
			}
		}
		if strings.HasPrefix(base, "checkpoint-") || strings.HasPrefix(base, "relinked-") {
			found = append(found, p)
		}
	})
	if len(found) > 0 {
		tb.Fatalf("%s: %v remain", when, found)
	}
	if _, err := d.Lstat("/mnt/lost+found"); (err == nil) != lfBefore {
		tb.Fatalf("%s: lost+found exists: %v, before the checkpoint: %v", when, err == nil, lfBefore)
	}
}

// documentedCheckpointFailure returns why a checkpoint failure is a
// documented divergence, or "".
func documentedCheckpointFailure(c fsCase, m *script.Machine, s script.Step) string {
	if s.Err == nil && s.Errno == "EPERM" && c.era == vfs.Relink2011 && anyFile(m, func(f *vfs.File) bool {
		return f.Dentry().Unlinked() && f.Inode().Mode.IsDir()
	}) {
		// The seed links an open removed directory too, and vfs_link
		// refuses a directory (doc.go's era table).
		return "EPERM: an open removed directory (relink2011)"
	}
	if s.Err == nil && s.Errno == "EBADF" && holdsProcFile(m) {
		// The seed's checkpoint_file refuses a file whose f_op has no
		// .checkpoint (doc.go): a /proc/PID/ns descriptor.
		return "EBADF: a /proc file is open"
	}
	if s.Err == nil && c.era != vfs.Relink2011 && unreachable(m) {
		// The fixed code refuses a file whose name, or whose mount
		// root for an unlinked one, something is mounted over (EBUSY),
		// which is on a detached mount (EINVAL), or whose name does not
		// resolve (its lookup's errno): the restart could not reopen it
		// by its name (doc.go).
		switch s.Errno {
		case "EBUSY", "EINVAL", "ENOENT", "ENOTDIR", "ELOOP":
			return s.Errno + ": a name that does not lead back to its file"
		}
	}
	if s.Err == nil && s.Errno == "EROFS" && unlinkedOnReadOnly(m) {
		// Relinking writes to the file's filesystem: an open-unlinked
		// file on a read-only mount cannot be given a name (doc.go).
		return "EROFS: an unlinked file on a read-only mount"
	}
	if s.Err == nil && s.Errno == "ENOTDIR" && relinkDirNotDir(m) {
		// The relink directory's name is taken by something else
		// (doc.go).
		return "ENOTDIR: the relink directory is not a directory"
	}
	if c.fs == "btrfs" && s.Err == nil && s.Errno == "EXDEV" && unlinkedInSubvolume(m) {
		// Divergence (doc.go): the relink directory is the mount's, in
		// its top subvolume; btrfs_link refuses a link from another
		// subvolume.
		return "EXDEV: unlinked file in a btrfs subvolume"
	}
	return ""
}

// unreachable reports whether a file a task of the script holds cannot be
// reached by its name from the checkpoint daemon's root: its mount is
// detached, or the name leads elsewhere or nowhere (to another mount or
// dentry for a file with a name; for an unlinked file, its mount root's
// name, or the relink directory in it, to another mount).
func unreachable(m *script.Machine) bool {
	d := ckpt.Daemon(m.K)
	leads := func(name string, want vfs.Path, dentryToo bool) bool {
		p, err := d.KernPath(name)
		if err != nil {
			return !errors.Is(err, vfs.ENOENT) || dentryToo
		}
		defer vfs.PathPut(p)
		return p.Mnt != want.Mnt || (dentryToo && p.Dentry != want.Dentry)
	}
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			f, err := t.File(fd)
			if err != nil || f.Inode().Sb.Type().Name() == "proc" {
				// (A lookup in /proc would revalidate, and so
				// change, what the script looks at next.)
				continue
			}
			mnt := f.Path().Mnt
			if mnt.Namespace() == nil {
				return true
			}
			if !f.Dentry().Unlinked() {
				if leads(d.DPath(f.Path()), f.Path(), true) {
					return true
				}
				continue
			}
			root := vfs.Path{Mnt: mnt, Dentry: mnt.Root()}
			rootName := d.DPath(root)
			if leads(rootName, root, true) || leads(path.Join(rootName, "lost+found"), root, false) {
				return true
			}
		}
	}
	return false
}

// unlinkedOnReadOnly reports whether a task of the script holds an
// open-unlinked file on a read-only mount or superblock.
func unlinkedOnReadOnly(m *script.Machine) bool {
	return anyFile(m, func(f *vfs.File) bool {
		return f.Dentry().Unlinked() && (f.Inode().Sb.ReadOnly() || f.Path().Mnt.ReadOnly())
	})
}

// relinkDirNotDir reports whether, on the mount of an open-unlinked file a
// task of the script holds, lost+found is something else than a
// directory.
func relinkDirNotDir(m *script.Machine) bool {
	d := ckpt.Daemon(m.K)
	return anyFile(m, func(f *vfs.File) bool {
		if !f.Dentry().Unlinked() {
			return false
		}
		mnt := f.Path().Mnt
		root := d.DPath(vfs.Path{Mnt: mnt, Dentry: mnt.Root()})
		st, err := d.Lstat(path.Join(root, "lost+found"))
		return err == nil && !st.Mode.IsDir()
	})
}

// holdsProcFile reports whether a task of the script holds a file of
// /proc (open-ns).
func holdsProcFile(m *script.Machine) bool {
	return anyFile(m, func(f *vfs.File) bool { return f.Inode().Sb.Type().Name() == "proc" })
}

// anyFile reports whether fn holds for a file open in a task of the
// script.
func anyFile(m *script.Machine, fn func(*vfs.File) bool) bool {
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			if f, err := t.File(fd); err == nil && fn(f) {
				return true
			}
		}
	}
	return false
}

// unlinkedInSubvolume reports whether a task of the script holds a file
// whose dentry is unlinked in a btrfs subvolume other than the one
// mounted at /mnt (its st_dev differs).
func unlinkedInSubvolume(m *script.Machine) bool {
	root, err := ckpt.Daemon(m.K).Lstat("/mnt")
	if err != nil {
		return false
	}
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			f, err := t.File(fd)
			st, serr := t.Fstat(fd)
			if err == nil && serr == nil && f.Dentry().Unlinked() && st.Dev != root.Dev {
				return true
			}
		}
	}
	return false
}

// checkInvisible is the property for one script and a drawn cut point,
// counted in s. It returns the cut script.
func checkInvisible(rt *rapid.T, c fsCase, ops []script.Op, s *campaign.Summary) string {
	k := drawCut(rt, c, ops)
	cut := cutScript(ops, k)
	rt.Logf("cut after op %d of %d; the cut script:\n%s", k, len(ops), cut)

	// S (a) and the cut run (b), alike up to the cut.
	a, b := &run{m: c.boot(rt)}, &run{m: c.boot(rt)}
	for _, r := range []*run{a, b} {
		for _, op := range ops[:k] {
			r.step(op)
		}
		r.markCut()
	}
	unlinked, fifo := openUnlinked(b.m)
	rec, failed := checkpointCut(rt, c, b, nil)
	relinked := len(rec.relinked)
	if continueAndCompare(rt, a, b, ops[k:], k, rec) {
		s.Counts["ended_early"]++
	}
	addCut(s, unlinked, relinked, fifo, failed)
	return cut
}

// drawCut draws a cut point of ops, 0 to len(ops), where every task is in
// the initial namespaces, with a bias (7 of 8) towards the points where a
// reference run of S has an open-unlinked file.
func drawCut(rt *rapid.T, c fsCase, ops []script.Op) int {
	pre := c.boot(rt)
	var cuts, interesting []int
	try := func(i int) {
		if !inInitialNamespaces(pre) {
			return
		}
		cuts = append(cuts, i)
		// (A task holding a /proc file fails the checkpoint, as
		// documented: such a cut is drawn only unbiased.)
		if n, _ := openUnlinked(pre); n > 0 && !holdsProcFile(pre) {
			interesting = append(interesting, i)
		}
	}
	try(0)
	for i, op := range ops {
		pre.Step(op)
		try(i + 1)
	}
	if err := pre.K.Shutdown(); err != nil {
		rt.Fatalf("leak check: %v", err)
	}
	if len(interesting) > 0 && rapid.IntRange(0, 7).Draw(rt, "prefer-unlinked") > 0 {
		return interesting[rapid.IntRange(0, len(interesting)-1).Draw(rt, "cut-index")]
	}
	return cuts[rapid.IntRange(0, len(cuts)-1).Draw(rt, "cut")]
}

// inInitialNamespaces reports whether every task of the script shares the
// checkpoint daemon's namespaces, its files on mounts of the daemon's: the
// restart brings tasks back in the daemon's namespaces and reopens files
// there (ckpt/doc.go, "Divergences and limits"), so only there is a cut
// meant to be invisible.
func inInitialNamespaces(m *script.Machine) bool {
	d := ckpt.Daemon(m.K)
	want := nsproxy.Of(d)
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		if nsproxy.Of(t) != want {
			return false
		}
		// And every file open on a mount of the daemon's namespace
		// (or detached from it: the checkpoint refuses those).
		for _, fd := range t.FDs() {
			if f, err := t.File(fd); err == nil {
				if ns := f.Path().Mnt.Namespace(); ns != nil && ns != d.MountNamespace() {
					return false
				}
			}
		}
	}
	return true
}

// continueAndCompare runs the rest of the script on S (a) and the cut
// run (b), then the same probe on both, compares every step from the
// first, and ends both kernels: invariants, then the leak check. It
// reports whether the comparison ended early, at a documented difference
// after which the two runs are in different states.
func continueAndCompare(tb failer, a, b *run, rest []script.Op, k int, rec *ckptRecord) (ended bool) {
	tb.Helper()
	for _, op := range rest {
		a.step(op)
		b.step(op)
	}
	// The probe, the same in both runs: every descriptor still open in S,
	// then the orphans, the tree and the root's listing.
	for _, op := range probe(a.m) {
		a.step(op)
		b.step(op)
	}
	if len(a.steps) != len(b.steps) {
		tb.Fatalf("%d steps against %d", len(a.steps), len(b.steps))
	}
	for i := range a.steps {
		why := equivalent(a, b, i, i >= k, rec)
		if why == diverged {
			// A documented difference after which the two kernels are
			// in different states (a remount that one refused): the
			// rest is not compared, only checked (invariants, leaks).
			tb.Logf("compared up to step %d: %s", i+1, a.steps[i].Describe())
			ended = true
			break
		}
		if why != "" {
			tb.Fatalf("step %d differs after a cut after op %d (%s):\n  S:   %s\n  cut: %s", i+1, k, why, a.steps[i].Describe(), b.steps[i].Describe())
		}
	}
	for _, r := range []*run{a, b} {
		if vs := r.m.Check(); len(vs) > 0 {
			tb.Fatalf("invariants: %v", vfs.InvariantError(vs))
		}
		if err := r.m.K.Shutdown(); err != nil {
			tb.Fatalf("leak check: %v", err)
		}
	}
	return ended
}

// cutScript prints S with the three lines inserted at k.
func cutScript(ops []script.Op, k int) string {
	var out []script.Op
	out = append(out, ops[:k]...)
	out = append(out, mustOp("checkpoint -> CKPT"), mustOp("kill"), mustOp("restart CKPT"))
	out = append(out, ops[k:]...)
	return script.Format(out)
}

// probe returns ops that look at every descriptor open in m's current
// task and at the filesystem, changing nothing.
func probe(m *script.Machine) []script.Op {
	var ops []script.Op
	for _, name := range m.FDNames() {
		ops = append(ops, mustOp("fstat "+name), mustOp("readlink-fd "+name), mustOp("lseek "+name+" 0 1"))
	}
	return append(ops, mustOp("orphans"), mustOp("tree"), mustOp("ls ."))
}

var procNsRE = regexp.MustCompile(`^(.*/|)(\d+)(/ns/[a-z_]+(?: \(deleted\))?)$`)

var seekDataNegRE = regexp.MustCompile(`^lseek \S+ -\d+ 3$`)

var relinkedNameRE = regexp.MustCompile(`^(/.*)/(checkpoint-\d+/relinked-\d+) \(deleted\)$`)

// diverged is what equivalent returns for a documented difference that
// leaves the two runs in different states from then on.
const diverged = "(diverged)"

// equivalent returns "" when step i of a (S) and b (the cut run) agree, or
// what differs. after says the step ran after a successful restart.
func equivalent(a, b *run, i int, after bool, rec *ckptRecord) string {
	sa, sb := a.steps[i], b.steps[i]
	if sa.Err != nil || sb.Err != nil {
		if fmt.Sprint(sa.Err) != fmt.Sprint(sb.Err) {
			return "a script error"
		}
	}
	if sa.Describe() == sb.Describe() {
		return ""
	}
	if after && strings.HasPrefix(sa.Op, "remount-opts ") && sa.Errno == "" && sb.Errno == "EBUSY" && b.pinnedAt[i] {
		// Divergence (doc.go): a removed directory of the checkpoint's,
		// pinned by a restored file's dentry, counts among the
		// superblock's pending removals (s_remove_count), so
		// sb_prepare_remount_readonly refuses a read-only remount.
		return diverged
	}
	if after && b.m.FSName() == "btrfs" && seekDataNegRE.MatchString(sa.Op) && (sa.Errno == "") != (sb.Errno == "") && sa.Errno+sb.Errno == "ENXIO" {
		// Divergence (doc.go): kill closes every descriptor, and the
		// last close of a btrfs file truncated to zero writes its data
		// back (btrfs_release_file) — then, not at the close S makes
		// later; SEEK_DATA from a negative offset finds delalloc at 0
		// but fails with ENXIO on an extent (and leaves the position
		// where it was). Either way round.
		return diverged
	}
	if after && strings.HasPrefix(sa.Op, "lseek ") && rec.removedDirs[a.inodes[i]] {
		// Divergence (doc.go): a removed directory comes back made and
		// removed again, a new directory with an empty removed
		// directory's size (ext4: 0, where one renamed over keeps its
		// size); ext4_dir_llseek bounds the offset and counts SEEK_END,
		// SEEK_DATA and SEEK_HOLE from what the directory is (its size,
		// whether it is indexed), so the result and the position may
		// differ from then on.
		return diverged
	}
	if !after || sa.Errno != sb.Errno {
		return "result"
	}
	name := strings.Fields(sa.Op)[0]
	switch name {
	case "readlink-fd":
		// Divergence: a restored unlinked file's dentry is its relinked
		// name's.
		ra, _ := sa.Ret.(string)
		rb, _ := sb.Ret.(string)
		// (Compared by its last two names: bind mounts and umounts
		// since may show the mount it is on at another path, in S too.)
		if m := relinkedNameRE.FindStringSubmatch(rb); m != nil && strings.HasSuffix(ra, " (deleted)") {
			for name := range rec.relinked {
				if strings.HasSuffix(name, "/"+m[2]) {
					return ""
				}
			}
		}
		// An O_TMPFILE file made after the cut is named "#<ino>": the
		// inode-number shift below.
		if newInodes(a, b, i, rec) {
			ia, ib := a.inodes[i], b.inodes[i]
			if strings.Replace(ra, fmt.Sprintf("/#%d (deleted)", ia.ino), fmt.Sprintf("/#%d (deleted)", ib.ino), 1) == rb {
				return ""
			}
		}
		// Divergence: pids are not restored (doc.go), and the restart's
		// tasks took pids, so a task's /proc/<pid>/ns entry has another
		// number in the cut run: the same task by name.
		if m := procNsRE.FindStringSubmatch(ra); m != nil {
			if pa, err := strconv.Atoi(m[2]); err == nil {
				if name, ok := a.pidNames[pa]; ok && b.namePids[name] != 0 &&
					m[1]+strconv.Itoa(b.namePids[name])+m[3] == rb {
					return ""
				}
			}
		}
		return "readlink-fd names neither the old name nor the relinked one"
	case "orphans", "subvol-orphans":
		// A set: the restart put the restored files on the list again, in
		// its own order, and may add the checkpoint's own directories.
		// Descriptors' names must match as a multiset. Inodes no
		// descriptor holds print as ino:N: the checkpoint's directories
		// may be extra, and an inode allocated after the cut may have
		// another number (the shift below); one that lived at the cut
		// must be there with its own.
		oa, _ := sa.Ret.([]string)
		ob, _ := sb.Ret.([]string)
		named := func(r *run, os []string) (names []string, inos map[uint64]int) {
			inos = map[uint64]int{}
			for _, o := range os {
				// The runner names an orphan by the first descriptor on
				// an inode of that number, of any device: on btrfs a
				// file of another subvolume. Such a name is the number.
				if x, ok := r.named[i][o]; ok && x.dev != r.inodes[i].dev {
					inos[x.ino]++
					continue
				}
				if num, ok := strings.CutPrefix(o, "ino:"); ok {
					if n, err := strconv.ParseUint(num, 10, 64); err == nil {
						inos[n]++
						continue
					}
				}
				names = append(names, o)
			}
			sort.Strings(names)
			return names, inos
		}
		na, ia := named(a, oa)
		nb, ib := named(b, ob)
		if !slices.Equal(na, nb) {
			return "orphans: the descriptors differ"
		}
		// (Only while the number is still the directory's: ext4 gives
		// a freed one to the next inode.)
		// (Nor one that lived at the cut and is an orphan in S too: the
		// relink directory, say, removed by the script and kept by a
		// file opened in it.)
		for n := range rec.dirInos {
			if ib[n] > 0 && b.dirAt[i][n] && !(ia[n] > 0 && a.cutInodes != nil && a.cutInodes[n] != nil && !a.reused[i][n]) {
				ib[n]--
			}
		}
		// Then the numbers are paired by what they name, not by value:
		// in S, a directory a restored file no longer pins may be there
		// (unpinned), and a removed directory that comes back a new one
		// (doc.go); in both runs an inode allocated after the cut may
		// have another number (fresh). The rest lived at the cut and
		// must be there in both, with the same number; the fresh ones
		// and the removed directories must be as many on both sides.
		dev, okA := a.inodes[i]
		devB, okB := b.inodes[i]
		if !okA || !okB {
			if !maps.Equal(ia, ib) {
				return "orphans: the unnamed inodes differ"
			}
			return ""
		}
		lived := func(r *run, x devIno) bool { return !rec.fresh(r, i, x) }
		// same: number x names the inode it named at the cut (where
		// numbers are never reused, btrfs, any that was there then).
		same := func(r *run, x devIno) bool {
			if r.cutInodes == nil {
				return rec.before[x] || rec.unpinned[x] || rec.removedDirs[x]
			}
			return r.cutInodes[x.ino] != nil && !r.reused[i][x.ino]
		}
		livedA, livedB := map[uint64]int{}, map[uint64]int{}
		extraA, extraB := 0, 0
		for n, c := range ia {
			x := devIno{dev.dev, n}
			switch {
			case rec.removedDirs[x] && same(a, x) && a.held[i][n]:
				// A removed directory a descriptor still holds: the cut
				// run has the one the restart made again (doc.go), even
				// where a restored file no longer pins this one.
				extraA += c
			case rec.unpinned[x] && same(a, x) && ib[n] > 0 && same(b, devIno{devB.dev, n}):
				// Still pinned in the cut run, by another dentry.
				livedA[n] += c
			case rec.unpinned[x] && same(a, x):
			case rec.removedDirs[x] && same(a, x):
				extraA += c
			case lived(a, x):
				livedA[n] += c
			default:
				extraA += c
			}
		}
		for n, c := range ib {
			if c == 0 {
				continue // a directory the checkpoint made, counted off
			}
			if y := (devIno{devB.dev, n}); lived(b, y) || (rec.unpinned[y] && same(b, y)) {
				livedB[n] += c
			} else {
				extraB += c
			}
		}
		if !maps.Equal(livedA, livedB) {
			return fmt.Sprintf("orphans: the inodes that lived at the cut differ: %v in S, %v after the restart", livedA, livedB)
		}
		if extraA != extraB {
			return fmt.Sprintf("orphans: not as many unnamed inodes (S: %v lived, %d other; the cut run: %v lived, %d other; the checkpoint's directories %v)",
				livedA, extraA, livedB, extraB, slices.Sorted(maps.Keys(rec.dirInos)))
		}
		return ""
	case "fstat":
		// Divergence: a removed directory comes back made and removed
		// again (rmdir): nlink 0 and the size of an empty directory
		// removed so (ext4: 0, where one renamed over keeps its size; a
		// deleted btrfs subvolume's root keeps nlink 1).
		stA, _ := sa.Ret.(map[string]any)
		stB, _ := sb.Ret.(map[string]any)
		if rec.removedDirs[a.inodes[i]] && stA["type"] == "dir" && stB["type"] == "dir" && stB["nlink"] == uint64(0) {
			return ""
		}
		return "fstat"
	case "tree":
		// Its labels name inodes by number alone: on btrfs, files of two
		// subvolumes may share one by chance, and the shift below changes
		// the chances. Compared by device and label.
		ta, _ := sa.Ret.([]script.Node)
		tb, _ := sb.Ret.([]script.Node)
		if canonicalTree(a, i, ta) == canonicalTree(b, i, tb) {
			return ""
		}
		return "tree"
	case "ino":
		// An inode allocated after the cut, when the checkpoint or the
		// restart made directories, which took inode numbers.
		va, okA := sa.Ret.(uint64)
		vb, okB := sb.Ret.(uint64)
		if okA && okB && newInodes(a, b, i, rec) && a.inodes[i].ino == va && b.inodes[i].ino == vb {
			return ""
		}
		return "ino of an inode that lived at the cut, or no directory was made"
	}
	return "result"
}

// newInodes reports whether step i named, in both runs, an inode
// allocated after the cut on the same device, after a checkpoint or
// restart that made directories: the one case where inode numbers may
// differ.
func newInodes(a, b *run, i int, rec *ckptRecord) bool {
	ia, okA := a.inodes[i]
	ib, okB := b.inodes[i]
	return okA && okB && ia.dev == ib.dev && rec.fresh(a, i, ia) && rec.fresh(b, i, ib)
}

// fresh reports whether inode number x may belong to an inode allocated
// after the cut, whose number the checkpoint may have shifted: the
// checkpoint or restart made directories, and x was free at the cut or
// is the number of a directory a restored file no longer pins, or step i
// of r found the number reused.
func (rec *ckptRecord) fresh(r *run, i int, x devIno) bool {
	return rec.madeDirs && (!rec.before[x] || rec.unpinned[x] || r.reused[i][x.ino])
}

// canonicalTree prints a tree listing with its inode labels given anew
// by device and label.
func canonicalTree(r *run, i int, nodes []script.Node) string {
	type key struct {
		dev   uint32
		label string
	}
	labels := map[key]int{}
	var out strings.Builder
	for _, n := range nodes {
		k := key{r.named[i][n.Path].dev, n.Inode}
		if _, ok := labels[k]; !ok {
			labels[k] = len(labels) + 1
		}
		fmt.Fprintf(&out, "%s %s %d %d %d\n", n.Path, n.Type, n.Nlink, n.Size, labels[k])
	}
	return out.String()
}
