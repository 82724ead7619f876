package racecheck

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/race"
)

// Rapid draws every decision from a *rapid.T, so that rapid shrinks a
// failing schedule together with the ops: towards fewer preemptions (0,
// continuing the last task, is its simplest value) and earlier tasks.
type Rapid struct{ T *rapid.T }

// Choose implements race.Chooser.
func (r Rapid) Choose(d race.Decision) int {
	order := d.LastFirst()
	if len(order) == 1 {
		return order[0]
	}
	return order[rapid.IntRange(0, len(order)-1).Draw(r.T, "task")]
}

// Check is the explorer as a property test: rapid draws the schedules of
// sc (as many as -rapid.checks asks), and a failing one fails t with the
// timeline of the shrunk run minimized to its fewest preemptions
// (race.Minimize, as `relinksim explore` reports it) and the schedule that
// replays it. The failfile rapid writes replays it too. A scenario that
// cannot run (a setup op that fails, an unknown filesystem) fails t.
//
//	func TestMyRace(t *testing.T) {
//		racecheck.Check(t, &race.Scenario{Setup: "...", Tasks: []string{"...", "..."}}, race.Config{})
//	}
func Check(t *testing.T, sc *race.Scenario, cfg race.Config) {
	t.Helper()
	var failed *race.Outcome
	var runErr error
	ok := t.Run("schedules", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			o, err := race.Run(sc, cfg, Rapid{rt})
			if err != nil {
				runErr = err
				rt.Fatal(err)
			}
			if o.Failed() {
				failed = o // the last failing run is rapid's shrunk one
				rt.Fatalf("%s", o.Failure)
			}
		})
	})
	if runErr != nil {
		t.Fatalf("the scenario cannot run: %v", runErr)
	}
	if ok || failed == nil {
		return
	}
	min, err := race.Minimize(failed)
	if err != nil {
		t.Fatalf("minimizing the failure: %v\n%s", err, failed.Timeline())
	}
	t.Fatalf("%s on %s, era %s: a check failed; rapid found schedule %s, minimized to %s with %d preemption(s):\n%s",
		sc.Name, cfg.Filesystem(), cfg.Era, failed.Schedule, min.Schedule, min.Preemptions, min.Timeline())
}

// Explore runs up to checks schedules of sc drawn by rapid (seed 0: rapid
// picks one), outside a test, and reports as race.Explore does: a failure
// shrunk by rapid (Found) and minimized (Failure).
func Explore(sc *race.Scenario, cfg race.Config, checks int, seed uint64) (*race.Report, error) {
	if checks <= 0 {
		return nil, fmt.Errorf("racecheck: %d checks: want at least one", checks)
	}
	r := &race.Report{Strategy: "rapid"}
	var runErr error
	CheckRapid(checks, seed, func(t *rapid.T) {
		o, err := race.Run(sc, cfg, Rapid{t})
		if err != nil {
			runErr = err
			t.Fatal(err)
		}
		r.Schedules++
		r.Steps += o.Steps
		if o.Failed() {
			r.Failure = o // the last failing run rapid makes is the shrunk one
			t.Fatalf("%s", o.Failure)
		}
	})
	if runErr != nil {
		return nil, runErr
	}
	if r.Failure == nil {
		return r, nil
	}
	r.Found = r.Failure
	min, err := race.Minimize(r.Found)
	if err != nil {
		return r, err
	}
	r.Failure = min
	return r, nil
}

// CheckRapid runs prop under rapid outside a test: checks runs, seed
// (0: rapid's own) the randomness. rapid shrinks a failure and runs the
// minimal case last; prop sees it like any other. Calls are serialized:
// rapid reads its settings from process-wide flags.
func CheckRapid(checks int, seed uint64, prop func(*rapid.T)) {
	rapidMu.Lock()
	defer rapidMu.Unlock()
	if !testing.Testing() {
		// rapid asks testing for -short, which needs testing's flags
		// registered and parsed even outside a test binary.
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

var (
	testingInit sync.Once
	rapidMu     sync.Mutex
)

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
