package race

import (
	"math/rand/v2"
	"slices"

	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/vfs"
)

// Decision is one scheduling choice: which of the runnable tasks runs next.
type Decision struct {
	// Runnable are the tasks that can run (indices, ascending).
	Runnable []int
	// Last is the task that ran last (-1 at the start of a run). Choosing
	// another while Last is runnable is a preemption.
	Last int
	// Step counts the scheduler steps taken so far in the run.
	Step int
}

// LastFirst returns the runnable tasks with Last first: the order in which
// choices cost no preemption first.
func (d Decision) LastFirst() []int {
	out := make([]int, 0, len(d.Runnable))
	if slices.Contains(d.Runnable, d.Last) {
		out = append(out, d.Last)
	}
	for _, r := range d.Runnable {
		if r != d.Last {
			out = append(out, r)
		}
	}
	return out
}

// preempts reports whether choosing c is a preemption.
func (d Decision) preempts(c int) bool {
	return c != d.Last && slices.Contains(d.Runnable, d.Last)
}

// Chooser takes the scheduling decisions of a run. Every source of
// nondeterminism in a run is a Chooser's decision, so a run is replayed by
// replaying its decisions (Replay).
type Chooser interface {
	// Choose returns one of d.Runnable.
	Choose(d Decision) int
}

// Sequential runs each task until it finishes or blocks, in order: the
// schedule without preemptions.
type Sequential struct{}

// Choose implements Chooser.
func (Sequential) Choose(d Decision) int { return d.LastFirst()[0] }

// Replay replays a schedule string (one task letter per decision, as
// Outcome.Schedule prints it). Past its end, or where its task cannot run,
// it continues the last task.
type Replay struct {
	Schedule string
	i        int
}

// Choose implements Chooser.
func (r *Replay) Choose(d Decision) int {
	if r.i < len(r.Schedule) {
		c := int(r.Schedule[r.i] - 'A')
		r.i++
		if slices.Contains(d.Runnable, c) {
			return c
		}
	}
	return d.LastFirst()[0]
}

// Random takes each decision uniformly among the runnable tasks, its
// randomness from Rand: the random walk of the schedule tree. Explore's
// random strategy seeds one per run and minimizes the first failure; in
// property tests, racecheck.Rapid draws its choices from rapid instead.
type Random struct{ Rand *rand.Rand }

// Choose implements Chooser.
func (r Random) Choose(d Decision) int { return d.Runnable[r.Rand.IntN(len(d.Runnable))] }

// PCT is the probabilistic concurrency testing scheduler (Burckhardt et
// al., ASPLOS 2010): every task gets a random distinct priority and the
// highest-priority runnable task runs; at d-1 random steps (change points,
// drawn from the first k) the running task drops to a priority below all
// the initial ones. A bug of depth d is found with probability at least
// 1/(n·k^(d-1)) per run.
type PCT struct {
	prio   []int
	change map[int]int // step -> new priority
}

// NewPCT returns a PCT chooser for n tasks, depth d and k steps, its
// randomness from rng. A run of k steps has at most k change points, so a
// depth past k+1 is taken as k+1.
func NewPCT(rng *rand.Rand, n, d, k int) *PCT {
	d = max(1, min(d, k+1))
	p := &PCT{prio: make([]int, n), change: map[int]int{}}
	for i, v := range rng.Perm(n) {
		p.prio[i] = d + v
	}
	for i := 1; i < d && k > 0; i++ {
		p.change[rng.IntN(k)] = d - i
	}
	return p
}

// Choose implements Chooser.
func (p *PCT) Choose(d Decision) int {
	best := d.Runnable[0]
	for _, r := range d.Runnable {
		if p.prio[r] > p.prio[best] {
			best = r
		}
	}
	if np, ok := p.change[d.Step]; ok {
		p.prio[best] = np
		best = d.Runnable[0]
		for _, r := range d.Runnable {
			if p.prio[r] > p.prio[best] {
				best = r
			}
		}
	}
	return best
}

// DFS enumerates every schedule with at most Bound preemptions, depth
// first (CHESS's iterative context bounding): each run follows the
// previous one's decisions up to the last one with an untried alternative
// within the bound, takes that, and continues without preemptions. Use it
// as the Chooser of successive runs while Next reports true.
//
// With Reduce it prunes with sleep sets (Godefroid's partial-order
// reduction, made safe for the bound): a schedule that only reorders
// independent steps of one already run is left out, so the search runs
// fewer schedules and still reaches every state, result and failure the
// full search reaches within the bound (see the package documentation,
// Partial-order reduction). Runs it finds redundant part way through are
// abandoned (Run returns them with Abandoned set).
//
// With a Shard of Count n > 1 it explores only shard Index's part of the
// schedule tree: the tree is split into subtrees, numbered in the order
// the full search reaches them, and shard i explores those whose number is
// i modulo n (see the package documentation, Shards). The n shards
// together run exactly the full search's schedules, each once. A shard
// also runs, without counting or checking them to their end, the runs
// that show it where the other shards' subtrees are.
type DFS struct {
	Bound  int
	Reduce bool
	Shard  campaign.Shard

	stack []frame
	depth int
	done  bool
	// started is set once the first run began.
	started bool
	// keys counts the subtrees numbered so far (Shard).
	keys int
	// discardRun is set while the run is another shard's (it is run only
	// to see the tree), discover >= 0 while it is run only to see the
	// step taken at frame discover.
	discardRun bool
	discover   int
	// indep replaces independent in tests that check the checks.
	indep func(a footprint, ta int, b footprint, tb int) bool
}

// shardSplitDepth is the depth of the decisions that always start a
// subtree of their own; below it, a subtree starts at a run's first
// decision that differs from the first run of its subtree (its first
// deviation). With two tasks the first two decisions split the tree into
// up to four parts, each split again at every decision of its first run.
const shardSplitDepth = 2

type frame struct {
	order        []int // choices, the preemption-free one first
	cur          int   // the index in order of the choice this run takes
	first        int   // the index of the first choice taken here
	preemptions  int   // preemptions before this decision
	last         int
	lastRunnable bool
	// Reduce: the tasks asleep here, with their next steps, and the step
	// each choice took, once run.
	sleep []sleeper
	fps   []footprint
	ran   []bool
	// Shard: whose each choice is (0 not decided, mine, theirs).
	owner []byte
}

const (
	mine   = 1
	theirs = 2
)

// sleeper is a task asleep at a node: its next step is known to be
// independent of every step taken since it was run in an earlier branch.
type sleeper struct {
	task int
	fp   footprint
}

// cost is 1 when choice i preempts the task that ran last.
func (f *frame) cost(i int) int {
	if f.lastRunnable && f.order[i] != f.last {
		return 1
	}
	return 0
}

func (f *frame) asleep(task int) bool {
	for _, s := range f.sleep {
		if s.task == task {
			return true
		}
	}
	return false
}

// allowed reports whether the search explores choice i here: within the
// bound and not asleep.
func (f *frame) allowed(i, bound int) bool {
	return f.preemptions+f.cost(i) <= bound && !f.asleep(f.order[i])
}

// Choose implements Chooser.
func (e *DFS) Choose(d Decision) int {
	if !e.started {
		e.started, e.discover = true, -1
		if e.Shard.Count > 1 {
			// The first run is subtree 0: shard 0's. The others run it
			// to see the tree.
			e.keys = 1
			e.discardRun = !e.Shard.Owns(0)
		}
	}
	if e.depth < len(e.stack) {
		f := &e.stack[e.depth]
		e.depth++
		return f.order[f.cur]
	}
	if e.discover >= 0 && e.depth > e.discover {
		return Abandon // the step this run was for has been seen
	}
	f := frame{order: d.LastFirst(), last: d.Last, lastRunnable: slices.Contains(d.Runnable, d.Last)}
	if n := len(e.stack); n > 0 {
		p := &e.stack[n-1]
		f.preemptions = p.preemptions + p.cost(p.cur)
		if e.Reduce {
			indep := e.indep
			if indep == nil {
				indep = independent
			}
			f.sleep = p.childSleep(e.Bound, indep)
		}
	}
	if e.Reduce {
		f.fps, f.ran = make([]footprint, len(f.order)), make([]bool, len(f.order))
	}
	if e.Shard.Count > 1 {
		f.owner = make([]byte, len(f.order))
	}
	for i := range f.order {
		if f.allowed(i, e.Bound) {
			f.cur, f.first = i, i
			e.stack = append(e.stack, f)
			e.depth++
			return f.order[i]
		}
	}
	// Every task that could run here is asleep, or would go past the
	// bound: each schedule from here reorders one already covered.
	return Abandon
}

// childSleep is the sleep set of the node the current choice leads to
// (its step run and recorded): the tasks asleep here, and the choices
// explored here before it, whose steps are independent of its step —
// each only when moving it before the current choice cannot cost more
// preemptions (see the package documentation).
func (p *frame) childSleep(bound int, independent func(a footprint, ta int, b footprint, tb int) bool) []sleeper {
	c, fc := p.order[p.cur], p.fps[p.cur]
	if !p.ran[p.cur] {
		vfs.Bug("race: the step of choice %d was not recorded", c)
	}
	var out []sleeper
	for _, s := range p.sleep {
		if independent(s.fp, s.task, fc, c) {
			out = append(out, s)
		}
	}
	for j := 0; j < p.cur; j++ {
		if !p.allowed(j, bound) {
			continue // not explored here
		}
		if !p.ran[j] {
			vfs.Bug("race: the step of choice %d, explored before %d, was not recorded", p.order[j], c)
		}
		t, ft := p.order[j], p.fps[j]
		runs := 0
		if ft.after == runnable {
			runs = 1
		}
		if independent(ft, t, fc, c) && p.cost(j)+runs <= p.cost(p.cur) {
			out = append(out, sleeper{t, ft})
		}
	}
	return out
}

// stepped records the step the current run took at the last decision.
func (e *DFS) stepped(task int, fp footprint) {
	if !e.Reduce {
		return
	}
	f := &e.stack[e.depth-1]
	if f.ran[f.cur] && f.fps[f.cur] != fp {
		vfs.Bug("race: task %s's step at decision %d differs from the last run's (%+v, then %+v): a run is not a function of its decisions", taskName(task), e.depth, f.fps[f.cur], fp)
	}
	f.fps[f.cur], f.ran[f.cur] = fp, true
}

// discard reports whether the run that ended was another shard's or run
// only to see one step.
func (e *DFS) discard() bool { return e.discardRun }

// Next prepares the next run; it reports false when every schedule within
// the bound (of the shard) has been run.
func (e *DFS) Next() bool {
	if e.done {
		return false
	}
	e.discardRun, e.discover = false, -1
	for len(e.stack) > 0 {
		d := len(e.stack) - 1
		f := &e.stack[d]
		for i := f.cur + 1; i < len(f.order); i++ {
			if !f.allowed(i, e.Bound) {
				continue
			}
			if e.Shard.Count > 1 {
				switch e.own(d, i) {
				case theirs:
					if d >= shardSplitDepth {
						continue // another shard's subtree
					}
					// A subtree of its own near the root: run its first
					// schedule unchecked, to see the subtrees below.
					e.discardRun = true
				case mine:
					if j := e.unseenSibling(d, i); j >= 0 {
						// Its sleep set needs the step of a sibling in
						// another shard's subtree: run up to that step
						// first, and come back to i.
						f.cur, e.discover, e.discardRun = j, d, true
						e.depth = 0
						return true
					}
				}
			}
			f.cur = i
			e.depth = 0
			return true
		}
		e.stack = e.stack[:d]
	}
	e.done = true
	return false
}

// own says whose choice i at frame d is: a choice that starts a subtree
// (any near the root, and below it a first deviation) gets the subtree's
// number when the search first reaches it; any other choice lies inside a
// subtree this shard explores.
func (e *DFS) own(d, i int) byte {
	if d >= shardSplitDepth {
		for k := shardSplitDepth; k < d; k++ {
			if f := &e.stack[k]; f.cur != f.first {
				return mine // inside a subtree of ours
			}
		}
	}
	f := &e.stack[d]
	if f.owner[i] == 0 {
		f.owner[i] = theirs
		if e.Shard.Owns(e.keys) {
			f.owner[i] = mine
		}
		e.keys++
	}
	return f.owner[i]
}

// unseenSibling returns a choice explored at frame d before i whose step
// is not recorded (it lies in another shard's subtree), or -1: the sleep
// set below i needs every such step.
func (e *DFS) unseenSibling(d, i int) int {
	if !e.Reduce {
		return -1
	}
	f := &e.stack[d]
	for j := 0; j < i; j++ {
		if f.allowed(j, e.Bound) && !f.ran[j] {
			return j
		}
	}
	return -1
}
