package racecheck

import (
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
// sc (as many as the test binary's -rapid.checks asks, from its
// -rapid.seed: Check sets none of rapid's flags, so checks run in
// parallel tests at once), and a failing one fails t with the
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
