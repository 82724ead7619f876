package race

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// Options configure Explore.
type Options struct {
	// Strategy is "rapid", "pct" or "exhaustive".
	Strategy string
	// Budget bounds the schedules run (rapid's checks, PCT's runs, the
	// exhaustive search's cap; 0: 1,000, and no cap for exhaustive).
	Budget int
	// Seed seeds rapid and PCT.
	Seed uint64
	// Depth is PCT's bug depth d (default 3); Bound the exhaustive
	// search's preemption bound (0 allows none; two suffice for every
	// scenario of the library, and the CLI's default is 2).
	Depth, Bound int
	// Progress, when set, is called every 1,000 schedules.
	Progress func(schedules int)
}

// Report is what Explore found.
type Report struct {
	Strategy string
	// Schedules and Steps count the runs and scheduler steps explored.
	Schedules, Steps int
	// Failure is the failing run found, made as simple as it gets by
	// Minimize, or nil; Found is that run as the strategy found it (for
	// rapid, after rapid's own shrinking).
	Failure, Found *Outcome
	// Complete is set when the exhaustive search ran every schedule within
	// its bound.
	Complete bool
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
	if opt.Budget == 0 && opt.Strategy != "exhaustive" {
		opt.Budget = 1000
	}
	if opt.Depth == 0 {
		opt.Depth = 3
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
		o, err := Run(sc, cfg, ch)
		if err != nil {
			return nil, true, err
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
		// run takes, from which the change points are drawn.
		first, stop, err := runOne(Sequential{})
		if stop {
			return r, err
		}
		for i := 1; i < opt.Budget; i++ {
			rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
			if _, stop, err := runOne(NewPCT(rng, len(sc.Tasks), opt.Depth, first.Steps)); stop {
				return r, err
			}
		}
	case "exhaustive":
		e := &DFS{Bound: opt.Bound}
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
	case "rapid":
		var runErr error
		prop := func(t *rapid.T) {
			o, err := Run(sc, cfg, Rapid{t})
			if err != nil {
				runErr = err
				return
			}
			record(o)
			if o.Failed() {
				r.Failure = o // the last failing run rapid makes is the shrunk one
				t.Fatalf("%s", o.Failure)
			}
		}
		CheckRapid(opt.Budget, opt.Seed, prop)
		if runErr != nil {
			return nil, runErr
		}
	default:
		return nil, fmt.Errorf("unknown strategy %q (want rapid, pct or exhaustive)", opt.Strategy)
	}
	return r, nil
}

// CheckRapid runs prop under rapid outside a test: checks runs, seed
// (0: rapid's own) the randomness. rapid shrinks a failure and runs the
// minimal case last; prop sees it like any other.
func CheckRapid(checks int, seed uint64, prop func(*rapid.T)) {
	if !testing.Testing() {
		// rapid asks testing for -short, which needs testing's flags
		// registered and parsed even outside a test binary (the CLI).
		testingInit.Do(func() {
			testing.Init()
			if !flag.Parsed() {
				flag.CommandLine.Parse(nil)
			}
		})
	}
	done := make(chan struct{})
	tb := &quietTB{}
	go func() {
		defer close(done)
		withRapidFlags(checks, seed, func() { rapid.Check(tb, prop) })
	}()
	<-done
}

var testingInit sync.Once

// quietTB is a rapid.TB that only records whether the check failed.
type quietTB struct{ failed bool }

func (*quietTB) Helper()                             {}
func (*quietTB) Name() string                        { return "relinksim-explore" }
func (*quietTB) Logf(format string, args ...any)     {}
func (*quietTB) Log(args ...any)                     {}
func (*quietTB) Skipf(format string, args ...any)    { runtime.Goexit() }
func (*quietTB) Skip(args ...any)                    { runtime.Goexit() }
func (*quietTB) SkipNow()                            { runtime.Goexit() }
func (t *quietTB) Errorf(format string, args ...any) { t.failed = true }
func (t *quietTB) Error(args ...any)                 { t.failed = true }
func (t *quietTB) Fatalf(format string, args ...any) { t.failed = true; runtime.Goexit() }
func (t *quietTB) Fatal(args ...any)                 { t.failed = true; runtime.Goexit() }
func (t *quietTB) FailNow()                          { t.failed = true; runtime.Goexit() }
func (t *quietTB) Fail()                             { t.failed = true }
func (t *quietTB) Failed() bool                      { return t.failed }

// withRapidFlags runs fn with rapid's settings (which rapid reads from the
// command-line flags it registers) set to checks and seed, and no
// failfiles written, then restores them.
func withRapidFlags(checks int, seed uint64, fn func()) {
	set := map[string]string{"rapid.checks": fmt.Sprint(checks), "rapid.seed": fmt.Sprint(seed), "rapid.nofailfile": "true"}
	old := map[string]string{}
	for name, v := range set {
		f := flag.Lookup(name)
		if f == nil {
			continue
		}
		old[name] = f.Value.String()
		f.Value.Set(v)
	}
	defer func() {
		for name, v := range old {
			flag.Lookup(name).Value.Set(v)
		}
	}()
	fn()
}

// Check is the explorer as a property test: rapid draws the schedules of
// sc (as many as -rapid.checks asks), and a failing one fails t with the
// shrunk run's timeline. The failfile rapid writes replays it.
//
//	func TestMyRace(t *testing.T) {
//		race.Check(t, &race.Scenario{Setup: "...", Tasks: []string{"...", "..."}}, race.Config{})
//	}
func Check(t *testing.T, sc *Scenario, cfg Config) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) {
		o, err := Run(sc, cfg, Rapid{rt})
		if err != nil {
			rt.Fatal(err)
		}
		if o.Failed() {
			rt.Fatalf("%s", o.Timeline())
		}
	})
}
