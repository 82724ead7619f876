package race

import (
	"math/rand/v2"
	"slices"
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
// first (CHESS's iterative context bounding, without partial-order
// reduction): each run follows the previous one's decisions up to the last
// one with an untried alternative within the bound, takes that, and
// continues without preemptions. Use it as the Chooser of successive runs
// while Next reports true.
type DFS struct {
	Bound int
	stack []frame
	depth int
	done  bool
}

type frame struct {
	order       []int // choices, the preemption-free one first
	tried       int   // choices of order tried so far (a prefix)
	preemptions int   // preemptions before this decision
	last        int
}

// Choose implements Chooser.
func (e *DFS) Choose(d Decision) int {
	if e.depth < len(e.stack) {
		f := &e.stack[e.depth]
		e.depth++
		return f.order[f.tried-1]
	}
	pre := 0
	if n := len(e.stack); n > 0 {
		f := e.stack[n-1]
		pre = f.preemptions
		if (Decision{Runnable: f.order, Last: f.last}).preempts(f.order[f.tried-1]) {
			pre++
		}
	}
	f := frame{order: d.LastFirst(), tried: 1, preemptions: pre, last: d.Last}
	e.stack = append(e.stack, f)
	e.depth++
	return f.order[0]
}

// Next prepares the next run; it reports false when every schedule within
// the bound has been run.
func (e *DFS) Next() bool {
	if e.done {
		return false
	}
	for len(e.stack) > 0 {
		f := &e.stack[len(e.stack)-1]
		for f.tried < len(f.order) {
			c := f.order[f.tried]
			f.tried++
			cost := 0
			if (Decision{Runnable: f.order, Last: f.last}).preempts(c) {
				cost = 1
			}
			if f.preemptions+cost <= e.Bound {
				e.depth = 0
				return true
			}
		}
		e.stack = e.stack[:len(e.stack)-1]
	}
	e.done = true
	return false
}
