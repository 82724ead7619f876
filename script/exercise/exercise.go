package exercise

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	_ "github.com/relinksim/relinksim/btrfssim" // -fs btrfs
	_ "github.com/relinksim/relinksim/ext4sim"  // -fs ext4
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// Config says which exercise to make.
type Config struct {
	// FS is the filesystem the script runs on, as registered with
	// vfs.RegisterFS: ext4, btrfs or tmpfs; "" is ext4.
	FS string
	// Era is the kernel era whose link rules apply.
	Era vfs.Era
	// Seed selects the exercise.
	Seed uint64
	// Steps is the script's length, MinSteps to MaxSteps; 0 draws 6 to 10
	// from the seed.
	Steps int
}

// The bounds of Config.Steps.
const (
	MinSteps = 4
	MaxSteps = 16
)

// Kind says what a question asks.
type Kind string

// The kinds of question.
const (
	// Orphans: which files are on the filesystem's on-disk orphan list
	// after step Step (ext4, btrfs). Answer: the descriptors holding them,
	// sorted, space-separated, or "none".
	Orphans Kind = "orphans"
	// UnlinkedOpen: which open descriptors refer to a file with nlink 0
	// after step Step — asked instead of Orphans on a filesystem without an
	// orphan list (tmpfs). Answer as for Orphans.
	UnlinkedOpen Kind = "unlinked-open"
	// Nlink: the link count of Path after step Step. Answer: the number, or
	// ENOENT when there is no such name.
	Nlink Kind = "nlink"
	// Frees: which step frees (evicts) the inode descriptor FD was opened
	// on at step OpenStep. Answer: "step N", or "never" when the inode is
	// still alive after the last step.
	Frees Kind = "frees"
	// LinkResult: what the link, linkat-empty or linkat-proc at step Step
	// returns under the era. Answer: "ok" or the errno's name.
	LinkResult Kind = "link-result"
	// Result: what the op at step Step returns, when the script has no
	// link op to ask about. Answer as for LinkResult.
	Result Kind = "result"
)

// A Question is one question about the script, with its answer.
type Question struct {
	Kind Kind
	// Step is the step the question is about: "after step Step" or "step
	// Step returns"; for Frees, 0.
	Step int
	// Path is the name an Nlink question asks about.
	Path string
	// FD and OpenStep name a Frees question's inode: the one descriptor FD
	// was opened on at step OpenStep.
	FD       string
	OpenStep int
	// Text is the question as printed.
	Text string
	// Answer is the answer in the form Kind documents.
	Answer string
	// Why is a one-line explanation, "" when there is none cheap to give.
	Why string
}

// An Exercise is a script and questions about it.
type Exercise struct {
	FS   string
	Era  vfs.Era
	Seed uint64
	// Ops is the script; Ops[i] is step i+1 (its Line).
	Ops []script.Op
	// Results are the steps' results on the simulator.
	Results []script.Step
	// Questions are at least one question, each with its answer.
	Questions []Question
}

// Script returns the script in the op language, one op a line.
func (e *Exercise) Script() string { return script.Format(e.Ops) }

// Generate makes the exercise cfg selects. It fails on a Config out of
// range or a filesystem that is not registered.
func Generate(cfg Config) (*Exercise, error) {
	if cfg.FS == "" {
		cfg.FS = "ext4"
	}
	if _, err := vfs.LookupFS(cfg.FS); err != nil {
		return nil, err
	}
	if !slices.Contains(vfs.Eras, cfg.Era) {
		return nil, fmt.Errorf("exercise: unknown era %d", cfg.Era)
	}
	if cfg.Steps != 0 && (cfg.Steps < MinSteps || cfg.Steps > MaxSteps) {
		return nil, fmt.Errorf("exercise: %d steps: want %d to %d (or 0 for 6 to 10)", cfg.Steps, MinSteps, MaxSteps)
	}
	// A script in which no file is ever open and unlinked teaches nothing
	// here: draw again, from the next stream of the same seed.
	for attempt := uint64(0); attempt < 200; attempt++ {
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15^attempt))
		run, err := draw(cfg, rng)
		if err != nil {
			return nil, err
		}
		if !run.openUnlinked() {
			continue
		}
		ex := &Exercise{FS: cfg.FS, Era: cfg.Era, Seed: cfg.Seed, Ops: run.ops, Results: run.results}
		if err := ex.ask(run, rng); err != nil {
			return nil, err
		}
		return ex, nil
	}
	return nil, fmt.Errorf("exercise: seed %d: no script with an open, unlinked file in 200 draws", cfg.Seed)
}

// Boot boots a fresh machine for the exercise: its filesystem and era.
func (e *Exercise) Boot() (*script.Machine, error) {
	return script.Boot(script.Config{FS: e.FS, Options: vfs.Options{Era: e.Era}})
}

// tracked is an inode opened by a step, followed until it is freed.
type tracked struct {
	fd       string
	openStep int
	inode    *vfs.Inode
	freedAt  int // 0: alive after the last step
	tmpfile  bool
}

// fdState is an open descriptor after a step.
type fdState struct {
	name  string
	ino   uint64
	nlink uint32
}

// snapshot is what the draw saw after one step.
type snapshot struct {
	tree []script.Node
	fds  []fdState
}

// drawn is one drawn script with what running it showed.
type drawn struct {
	ops     []script.Op
	results []script.Step
	snaps   []snapshot // snaps[i]: after step i+1
	inodes  []*tracked
	// unlinkedAt lists the steps after which some descriptor opened on a
	// name (not O_TMPFILE) refers to an inode with nlink 0.
	unlinkedAt []int
}

func (d *drawn) openUnlinked() bool { return len(d.unlinkedAt) > 0 }

var (
	fileNames = []string{"a", "b", "c", "d", "e"}
	dirName   = "sub"
	words     = []string{"hello", "data", "log", "note", "zz"}
)

// draw draws a script op by op, each from the state the ones before it
// left on a machine, and runs it there.
func draw(cfg Config, rng *rand.Rand) (*drawn, error) {
	m, err := script.Boot(script.Config{FS: cfg.FS, Options: vfs.Options{Era: cfg.Era}})
	if err != nil {
		return nil, err
	}
	n := cfg.Steps
	if n == 0 {
		n = 6 + rng.IntN(5)
	}
	d := &drawn{}
	nextFD := 1
	// Descriptors opened on a name, not O_TMPFILE.
	named := map[string]bool{}
	for step := 1; step <= n; step++ {
		st := state(m)
		text, fd, tmp := pick(rng, st, step, n, len(d.unlinkedAt) > 0, &nextFD)
		op, err := script.ParseOp(text)
		if err != nil {
			return nil, fmt.Errorf("exercise: drew %q: %w", text, err)
		}
		op.Line = step
		res := m.Step(op)
		if res.Err != nil {
			return nil, fmt.Errorf("exercise: step %d %q: %w", step, text, res.Err)
		}
		d.ops = append(d.ops, op)
		d.results = append(d.results, res)
		if fd != "" {
			if n, ok := m.FD(fd); ok {
				f, err := m.Init().File(n)
				if err != nil {
					return nil, err
				}
				d.inodes = append(d.inodes, &tracked{fd: fd, openStep: step, inode: f.Inode(), tmpfile: tmp})
				named[fd] = !tmp
			}
		}
		for _, t := range d.inodes {
			if t.freedAt == 0 && t.inode.Freed() {
				t.freedAt = step
			}
		}
		snap := snapshot{tree: m.Tree(), fds: state(m).fds}
		d.snaps = append(d.snaps, snap)
		for _, f := range snap.fds {
			if named[f.name] && f.nlink == 0 {
				d.unlinkedAt = append(d.unlinkedAt, step)
				break
			}
		}
	}
	return d, nil
}

// view is the state an op is drawn from.
type view struct {
	files []string // regular files, with their inode numbers in inos
	inos  map[string]uint64
	dir   bool // sub exists
	fds   []fdState
}

func state(m *script.Machine) view {
	v := view{inos: map[string]uint64{}}
	for _, n := range m.Tree() {
		switch {
		case n.Path == dirName && n.Type == "dir":
			v.dir = true
		case n.Type == "file":
			v.files = append(v.files, n.Path)
			if s, err := m.Init().Lstat(m.Path(n.Path)); err == nil {
				v.inos[n.Path] = s.Ino
			}
		}
	}
	for _, name := range m.FDNames() {
		fd, ok := m.FD(name)
		if !ok {
			continue
		}
		if s, err := m.Init().Fstat(fd); err == nil {
			v.fds = append(v.fds, fdState{name, s.Ino, uint32(s.Nlink)})
		}
	}
	return v
}

// freshName returns a name no file has, sometimes in sub when it exists.
func freshName(rng *rand.Rand, v view) string {
	var free []string
	for _, n := range fileNames {
		if !slices.Contains(v.files, n) {
			free = append(free, n)
		}
	}
	if v.dir && rng.IntN(4) == 0 {
		return dirName + "/" + fileNames[rng.IntN(len(fileNames))]
	}
	if len(free) == 0 {
		return fileNames[rng.IntN(len(fileNames))]
	}
	return free[rng.IntN(len(free))]
}

// weighted picks a key of ws by weight, in the order of keys.
func weighted(rng *rand.Rand, keys []string, ws map[string]int) string {
	total := 0
	for _, k := range keys {
		total += ws[k]
	}
	x := rng.IntN(total)
	for _, k := range keys {
		if x < ws[k] {
			return k
		}
		x -= ws[k]
	}
	panic("unreachable")
}

var opKinds = []string{"open", "write", "link", "unlink", "rename", "close", "tmpfile", "linkat-empty", "linkat-proc", "mkdir", "rmdir"}

// pick draws the op of step step of n: its text, the descriptor it opens
// ("" when none) and whether that is an O_TMPFILE.
func pick(rng *rand.Rand, v view, step, n int, haveUnlinked bool, nextFD *int) (text, fd string, tmp bool) {
	newFD := func() string {
		fd := fmt.Sprintf("f%d", *nextFD)
		*nextFD++
		return fd
	}
	if step == 1 {
		fd = newFD()
		return fmt.Sprintf("open %s creat,rdwr -> %s", fileNames[rng.IntN(2)], fd), fd, false
	}
	// Names some open descriptor's inode has, and descriptors on nlink 0.
	var held []string
	for _, f := range v.files {
		for _, o := range v.fds {
			if o.ino == v.inos[f] {
				held = append(held, f)
				break
			}
		}
	}
	var zero []string
	for _, o := range v.fds {
		if o.nlink == 0 {
			zero = append(zero, o.name)
		}
	}
	ws := map[string]int{}
	if len(v.fds) < 3 {
		ws["open"], ws["tmpfile"] = 2, 1
	}
	if len(v.fds) > 0 {
		ws["write"], ws["linkat-empty"], ws["linkat-proc"] = 1, 1, 1
		if len(zero) > 0 {
			ws["linkat-empty"], ws["linkat-proc"] = 3, 2
		}
		if step > 2 {
			ws["close"] = 2
		}
	}
	if len(v.files) > 0 {
		ws["link"], ws["unlink"], ws["rename"] = 3, 4, 2
		if !haveUnlinked && len(held) > 0 && step >= n/2 {
			ws["unlink"] = 10
		}
	}
	if v.dir {
		ws["rmdir"] = 1
	} else {
		ws["mkdir"] = 1
	}
	anyOf := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	anyFD := func(prefer []string) string {
		if len(prefer) > 0 && rng.IntN(3) > 0 {
			return anyOf(prefer)
		}
		var all []string
		for _, o := range v.fds {
			all = append(all, o.name)
		}
		return anyOf(all)
	}
	anyFile := func(prefer []string) string {
		if len(prefer) > 0 && rng.IntN(3) > 0 {
			return anyOf(prefer)
		}
		return anyOf(v.files)
	}
	switch weighted(rng, opKinds, ws) {
	case "open":
		fd = newFD()
		name := freshName(rng, v)
		if len(v.files) > 0 && rng.IntN(4) == 0 {
			name = anyOf(v.files)
		}
		return fmt.Sprintf("open %s creat,rdwr -> %s", name, fd), fd, false
	case "tmpfile":
		fd = newFD()
		dir := "."
		if v.dir && rng.IntN(2) == 0 {
			dir = dirName
		}
		return fmt.Sprintf("open %s tmpfile,rdwr -> %s", dir, fd), fd, true
	case "write":
		return fmt.Sprintf("write %s %s", anyFD(nil), anyOf(words)), "", false
	case "close":
		return "close " + anyFD(zero), "", false
	case "linkat-empty", "linkat-proc":
		op := "linkat-empty"
		if ws["linkat-proc"] > 0 && rng.IntN(ws["linkat-empty"]+ws["linkat-proc"]) < ws["linkat-proc"] {
			op = "linkat-proc"
		}
		return fmt.Sprintf("%s %s %s", op, anyFD(zero), freshName(rng, v)), "", false
	case "link":
		dst := freshName(rng, v)
		if rng.IntN(6) == 0 {
			dst = anyOf(v.files) // EEXIST
		}
		return fmt.Sprintf("link %s %s", anyFile(held), dst), "", false
	case "unlink":
		return "unlink " + anyFile(held), "", false
	case "rename":
		dst := freshName(rng, v)
		if len(v.files) > 1 && rng.IntN(3) == 0 {
			dst = anyOf(v.files) // over an existing name
		}
		return fmt.Sprintf("rename %s %s", anyFile(nil), dst), "", false
	case "mkdir":
		return "mkdir " + dirName, "", false
	case "rmdir":
		return "rmdir " + dirName, "", false
	}
	panic("unreachable")
}

// result is a step's answer: "ok" or its errno.
func result(s script.Step) string {
	if s.Errno != "" {
		return s.Errno
	}
	return "ok"
}

// ask draws the questions and answers them from the run.
func (e *Exercise) ask(d *drawn, rng *rand.Rand) error {
	hasList := false
	{
		// Does the filesystem keep an orphan list? The orphans op
		// answers no ret where it does not.
		m, err := e.Boot()
		if err != nil {
			return err
		}
		st := m.Step(script.Op{Name: "orphans"})
		hasList = st.Ret != nil
	}

	// 1. The orphan list (or the open, unlinked descriptors) after a step
	// where some file is open and unlinked.
	k := d.unlinkedAt[rng.IntN(len(d.unlinkedAt))]
	if hasList {
		q, err := e.orphanQuestion(k)
		if err != nil {
			return err
		}
		e.Questions = append(e.Questions, q)
	} else {
		var zero []string
		for _, f := range d.snaps[k-1].fds {
			if f.nlink == 0 {
				zero = append(zero, f.name)
			}
		}
		e.Questions = append(e.Questions, Question{
			Kind: UnlinkedOpen, Step: k,
			Text:   fmt.Sprintf("After step %d, which open descriptors refer to a file with nlink 0? (%s keeps no orphan list)", k, e.FS),
			Answer: list(zero),
			Why:    "a file with nlink 0 lives on while a descriptor holds it",
		})
	}

	// 2. The link count of a name after a step: names that ever existed,
	// asked after a later step, preferring nlink other than 1.
	type cand struct {
		step int
		path string
		w    int
	}
	var cands []cand
	seen := map[string]int{} // path -> first step it existed
	for i, s := range d.snaps {
		for _, nd := range s.tree {
			if nd.Type == "file" {
				if _, ok := seen[nd.Path]; !ok {
					seen[nd.Path] = i + 1
				}
			}
		}
	}
	for i := range d.snaps {
		step := i + 1
		for _, p := range sortedKeys(seen) {
			if seen[p] > step {
				continue
			}
			nl, ok := nlinkOf(d.snaps[i].tree, p)
			w := 1
			if !ok || nl != 1 {
				w = 3
			}
			cands = append(cands, cand{step, p, w})
		}
	}
	if len(cands) > 0 {
		total := 0
		for _, c := range cands {
			total += c.w
		}
		x := rng.IntN(total)
		var c cand
		for _, c = range cands {
			if x < c.w {
				break
			}
			x -= c.w
		}
		q := Question{Kind: Nlink, Step: c.step, Path: c.path,
			Text: fmt.Sprintf("After step %d, what is the link count of %q? (ENOENT if there is no such name)", c.step, c.path)}
		tree := d.snaps[c.step-1].tree
		if nl, ok := nlinkOf(tree, c.path); ok {
			q.Answer = fmt.Sprint(nl)
			q.Why = "names of its inode: " + strings.Join(sameInode(tree, c.path), ", ")
		} else {
			q.Answer = "ENOENT"
			q.Why = fmt.Sprintf("no name %q after step %d", c.path, c.step)
		}
		e.Questions = append(e.Questions, q)
	}

	// 3. Which step frees an inode: prefer one that is freed.
	var freed, all []*tracked
	for _, t := range d.inodes {
		all = append(all, t)
		if t.freedAt != 0 {
			freed = append(freed, t)
		}
	}
	if len(all) > 0 {
		t := all[rng.IntN(len(all))]
		if len(freed) > 0 && rng.IntN(6) > 0 {
			t = freed[rng.IntN(len(freed))]
		}
		what := "opened"
		if t.tmpfile {
			what = "made by O_TMPFILE"
		}
		q := Question{Kind: Frees, FD: t.fd, OpenStep: t.openStep,
			Text: fmt.Sprintf("Which step frees the inode %s at step %d as %s? (\"never\" if it outlives the script)", what, t.openStep, t.fd)}
		if t.freedAt == 0 {
			q.Answer = "never"
			q.Why = "after the last step it still has a name or an open descriptor"
		} else {
			q.Answer = fmt.Sprintf("step %d", t.freedAt)
			op := e.Ops[t.freedAt-1]
			switch op.Name {
			case "close":
				q.Why = "its last descriptor closes while its nlink is 0"
			case "unlink":
				q.Why = "its last name goes while no descriptor holds it"
			case "rename":
				q.Why = "the rename replaces its last name while no descriptor holds it"
			}
		}
		e.Questions = append(e.Questions, q)
	}

	// 4. What a linkat returns under the era; failing that, what some
	// other step returns.
	var links, others []int
	for i, op := range e.Ops {
		switch op.Name {
		case "link", "linkat-empty", "linkat-proc":
			links = append(links, i+1)
		case "unlink", "rename", "rmdir", "close":
			others = append(others, i+1)
		}
	}
	if len(links) > 0 {
		s := links[rng.IntN(len(links))]
		e.Questions = append(e.Questions, Question{Kind: LinkResult, Step: s,
			Text:   fmt.Sprintf("What does step %d, %q, return under era %s? (ok or an errno)", s, e.Ops[s-1].String(), e.Era),
			Answer: result(e.Results[s-1]), Why: e.linkWhy(d, s)})
	} else if len(others) > 0 {
		s := others[rng.IntN(len(others))]
		e.Questions = append(e.Questions, Question{Kind: Result, Step: s,
			Text:   fmt.Sprintf("What does step %d, %q, return? (ok or an errno)", s, e.Ops[s-1].String()),
			Answer: result(e.Results[s-1])})
	}
	return nil
}

// orphanQuestion asks for the orphan list after step k, read on a fresh
// machine that ran steps 1 to k (the orphans op syncs first).
func (e *Exercise) orphanQuestion(k int) (Question, error) {
	m, err := e.Boot()
	if err != nil {
		return Question{}, err
	}
	m.Run(e.Ops[:k])
	st := m.Step(script.Op{Name: "orphans"})
	if st.Err != nil {
		return Question{}, st.Err
	}
	names, _ := st.Ret.([]string)
	names = slices.Clone(names)
	slices.Sort(names)
	why := "nlink 0 and open: on the orphan list"
	if len(names) == 0 {
		why = "no file is open with nlink 0"
	}
	for _, name := range names {
		if fd, ok := m.FD(name); ok {
			if s, err := m.Init().Fstat(fd); err == nil && s.Nlink > 0 {
				why = fmt.Sprintf("%s has nlink %d yet is still on the list: the era's link did not take it off", name, s.Nlink)
			}
		}
	}
	return Question{Kind: Orphans, Step: k,
		Text:   fmt.Sprintf("After step %d, which files are on %s's orphan list? (name each by the descriptor that holds it, ino:N if none does)", k, e.FS),
		Answer: list(names), Why: why}, nil
}

// linkWhy explains the result of link op s, when that is cheap.
func (e *Exercise) linkWhy(d *drawn, s int) string {
	op := e.Ops[s-1]
	errno := e.Results[s-1].Errno
	// nlink of the source before the step, for the fd forms.
	srcNlink := -1
	if op.Name != "link" && s > 1 {
		for _, f := range d.snaps[s-2].fds {
			if f.name == op.FD {
				srcNlink = int(f.nlink)
			}
		}
	}
	switch errno {
	case "":
		if srcNlink == 0 {
			if op.Name == "linkat-empty" && e.Era == vfs.Upstream {
				return "an O_TMPFILE inode carries I_LINKABLE: it may get a name"
			}
			return "the inode had nlink 0, and this era's link lets it have a name again"
		}
		return "the source exists and the new name is free"
	case "ENOENT":
		if srcNlink == 0 {
			return "nlink 0: this era refuses to give the inode a name again"
		}
		return "no such source name (or directory)"
	case "EINVAL":
		if op.Name == "linkat-empty" {
			return "AT_EMPTY_PATH does not exist in this era"
		}
	case "EEXIST":
		return "the new name exists already"
	case "EBADF":
		return "the descriptor is not open"
	}
	return ""
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " ")
}

func nlinkOf(tree []script.Node, p string) (uint64, bool) {
	for _, n := range tree {
		if n.Path == p {
			return n.Nlink, true
		}
	}
	return 0, false
}

func sameInode(tree []script.Node, p string) []string {
	label := ""
	for _, n := range tree {
		if n.Path == p {
			label = n.Inode
		}
	}
	var out []string
	for _, n := range tree {
		if n.Inode == label {
			out = append(out, n.Path)
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Text prints the exercise: a heading, the numbered script and the
// questions; with reveal, each question's answer and why.
func (e *Exercise) Text(reveal bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Exercise: seed %d, a fresh %s mounted at /mnt, kernel era %s.\n\n", e.Seed, e.FS, e.Era)
	b.WriteString("The script (paths are relative to /mnt; \"-> fN\" names the descriptor an open returns):\n\n")
	for i, op := range e.Ops {
		fmt.Fprintf(&b, "  %2d  %s\n", i+1, op.String())
	}
	b.WriteString("\nQuestions:\n\n")
	for i, q := range e.Questions {
		fmt.Fprintf(&b, "  Q%d [%s] %s\n", i+1, q.Kind, q.Text)
	}
	if !reveal {
		b.WriteString("\nWork them out, then run again with -c to check your answers.\n")
		return b.String()
	}
	b.WriteString("\nAnswers:\n\n")
	for i, q := range e.Questions {
		fmt.Fprintf(&b, "  A%d [%s] %s\n", i+1, q.Kind, q.Answer)
		if q.Why != "" {
			fmt.Fprintf(&b, "       why: %s\n", q.Why)
		}
	}
	b.WriteString("\nEvery step's result:\n\n")
	for i, r := range e.Results {
		fmt.Fprintf(&b, "  %2d  %s\n", i+1, r.Describe())
	}
	return b.String()
}
