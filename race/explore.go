package race

import (
	"fmt"
	"math/rand/v2"

	"github.com/relinksim/relinksim/internal/campaign"
)

// Options configure Explore.
type Options struct {
	// Strategy is "exhaustive", "pct" or "random" (uniform choices).
	// rapid's chooser, for property tests, is in package race/racecheck.
	Strategy string
	// Budget bounds the schedules run (PCT's and random's runs, the
	// exhaustive search's cap; 0: 1,000, and no cap for exhaustive).
	Budget int
	// Seed seeds PCT and random: run i draws from PCG(Seed, i), so a
	// run replays alone and two explorations share nothing.
	Seed uint64
	// Depth is PCT's bug depth d (default 3; one past the steps of a
	// run is the deepest there is, and a larger one is taken as that);
	// Bound the exhaustive search's preemption bound (0 allows none; two
	// suffice for every scenario of the library, and the CLI's default
	// is 2).
	Depth, Bound int
	// Reduce prunes the exhaustive search with sleep sets (partial-order
	// reduction, DFS.Reduce): schedules that only reorder independent
	// steps of one already run are left out. It finds a failure exactly
	// when the full search does, and the same results; it runs fewer
	// schedules.
	Reduce bool
	// Shard makes the search explore one shard of it (the zero value or
	// campaign.Whole: all of it). Shard i of n runs a disjoint part, the
	// same on every machine, and the n shards together run exactly the
	// unsharded search's schedules: for exhaustive, subtrees of the
	// schedule tree numbered i modulo n (DFS.Shard); for pct and random,
	// the runs numbered i modulo n (pct's first run, which measures the
	// steps of a run, is run by every shard and counted by shard 0).
	Shard campaign.Shard
	// Progress, when set, is called every 1,000 schedules.
	Progress func(schedules int)
}

// Report is what Explore found.
type Report struct {
	Strategy string
	// Schedules and Steps count the runs and scheduler steps explored.
	Schedules, Steps int
	// Failure is the failing run found, made as simple as it gets by
	// Minimize, or nil; Found is that run as the strategy found it.
	Failure, Found *Outcome
	// Complete is set when the exhaustive search ran every schedule within
	// its bound (of its shard).
	Complete bool
	// Abandoned counts the runs cut short and not counted in Schedules:
	// with Reduce, runs whose every continuation reorders a schedule
	// already run; with a Shard, the runs that show a shard the subtrees
	// of the others.
	Abandoned int
}

// Explore runs sc under cfg with the strategy opt asks for, until a run
// fails or the budget is spent. A failure is reported minimized.
func Explore(sc *Scenario, cfg Config, opt Options) (*Report, error) {
	r, err := explore(sc, cfg, opt)
	if err != nil || r.Failure == nil {
		return r, err
	}
	r.Found = r.Failure
	if min, err := Minimize(r.Found); err == nil {
		r.Failure = min
	} else {
		return r, err // Failure stays the run as found
	}
	return r, nil
}

func explore(sc *Scenario, cfg Config, opt Options) (*Report, error) {
	// Options that would explore nothing, or not what they say, are
	// errors rather than a report of no failure.
	switch {
	case opt.Budget < 0:
		return nil, fmt.Errorf("budget %d: want 0 (the default) or more", opt.Budget)
	case opt.Bound < 0:
		return nil, fmt.Errorf("preemption bound %d: want 0 or more", opt.Bound)
	case opt.Depth < 0:
		return nil, fmt.Errorf("bug depth %d: want 0 (the default, 3) or more", opt.Depth)
	case opt.Reduce && opt.Strategy != "exhaustive":
		return nil, fmt.Errorf("partial-order reduction is for the exhaustive strategy, not %s", opt.Strategy)
	}
	if opt.Budget == 0 && opt.Strategy != "exhaustive" {
		opt.Budget = 1000
	}
	if opt.Depth == 0 {
		opt.Depth = 3
	}
	if opt.Shard.Count > 1 && (opt.Shard.Index < 0 || opt.Shard.Index >= opt.Shard.Count) {
		return nil, fmt.Errorf("shard %s: want i/n with 0 <= i < n", opt.Shard)
	}
	switch opt.Strategy {
	case "exhaustive", "pct", "random":
	default:
		return nil, fmt.Errorf("unknown strategy %q (want exhaustive, pct or random; rapid's chooser, for property tests, is racecheck.Rapid)", opt.Strategy)
	}
	p, err := newPlan(sc)
	if err != nil {
		return nil, err
	}
	r := &Report{Strategy: opt.Strategy}
	record := func(o *Outcome) {
		r.Schedules++
		r.Steps += o.Steps
		if opt.Progress != nil && r.Schedules%1000 == 0 {
			opt.Progress(r.Schedules)
		}
	}
	// runOne runs one schedule; it reports whether exploring should stop
	// (a failure found, or an error).
	runOne := func(ch Chooser) (*Outcome, bool, error) {
		o, err := p.run(cfg, ch, nil)
		if err != nil {
			return nil, true, err
		}
		if o.Abandoned {
			r.Abandoned++
			return o, false, nil
		}
		record(o)
		if o.Failed() {
			r.Failure = o
			return o, true, nil
		}
		return o, false, nil
	}
	switch opt.Strategy {
	case "pct":
		// The first run, without preemptions, measures k, the steps a
		// run takes, from which the change points are drawn. Every shard
		// needs k; shard 0 counts the run.
		var first *Outcome
		if opt.Shard.Owns(0) {
			var stop bool
			if first, stop, err = runOne(Sequential{}); stop {
				return r, err
			}
		} else if first, err = p.run(cfg, Sequential{}, nil); err != nil {
			return r, err
		}
		for i := 1; i < opt.Budget; i++ {
			if !opt.Shard.Owns(i) {
				continue
			}
			rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
			if _, stop, err := runOne(NewPCT(rng, len(sc.Tasks), opt.Depth, first.Steps)); stop {
				return r, err
			}
		}
	case "random":
		for i := range opt.Budget {
			if !opt.Shard.Owns(i) {
				continue
			}
			rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
			if _, stop, err := runOne(Random{rng}); stop {
				return r, err
			}
		}
	case "exhaustive":
		e := &DFS{Bound: opt.Bound, Reduce: opt.Reduce, Shard: opt.Shard}
		for {
			if _, stop, err := runOne(e); stop {
				return r, err
			}
			if !e.Next() {
				r.Complete = true
				return r, nil
			}
			if opt.Budget > 0 && r.Schedules >= opt.Budget {
				return r, nil
			}
		}
	}
	return r, nil
}
