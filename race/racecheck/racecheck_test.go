package racecheck_test

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/race/racecheck"
	"github.com/relinksim/relinksim/vfs"
)

// ops is the pool the generated tasks draw from, the ops of the 2007 race
// first, so that shrinking prefers them.
var ops = []string{"link a b", "unlink a", "unlink b", "link b a", "rename b a", "open a rdonly -> X"}

// linkUnlinkProperty generates one to three tasks of one to three ops on a
// file a, and a schedule, and fails on any broken check.
func linkUnlinkProperty(era vfs.Era, last **race.Outcome) func(*rapid.T) {
	return func(t *rapid.T) {
		n := rapid.IntRange(1, 3).Draw(t, "tasks")
		sc := &race.Scenario{Name: "generated", Setup: "open a creat,rdwr -> F\nwrite F data\nclose F"}
		for i := 0; i < n; i++ {
			k := rapid.IntRange(1, 3).Draw(t, "ops")
			var lines []string
			for j := 0; j < k; j++ {
				lines = append(lines, ops[rapid.IntRange(0, len(ops)-1).Draw(t, "op")])
			}
			sc.Tasks = append(sc.Tasks, strings.Join(lines, "\n"))
		}
		o, err := race.Run(sc, race.Config{Era: era}, racecheck.Rapid{T: t})
		if err != nil {
			t.Fatal(err)
		}
		if o.Failed() {
			*last = o
			t.Fatalf("%s", o.Timeline())
		}
	}
}

// rapid finds the 2007 race from random tasks and schedules under pre2007
// and shrinks it to two tasks, link a b and unlink a (in either order);
// Minimize then takes the needless preemptions out of rapid's schedule,
// leaving a minimal interleaving: one preemption (the link preempted
// between its lookup and its link while the unlink runs, or the unlink
// preempted between the name's removal and d_delete while the link looks
// the name up). One is the minimum: no schedule without preemptions fails.
func TestRapidFindsAndShrinks2007(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		var last *race.Outcome
		racecheck.CheckRapid(300, seed, linkUnlinkProperty(vfs.Pre2007, &last))
		if last == nil {
			t.Fatalf("seed %d: rapid did not find the race", seed)
		}
		tasks := append([]string(nil), last.Scenario.Tasks...)
		slices.Sort(tasks)
		if got := fmt.Sprint(tasks); got != "[link a b unlink a]" {
			t.Errorf("seed %d: shrunk to tasks %q, want link a b and unlink a", seed, last.Scenario.Tasks)
			continue
		}
		min, err := race.Minimize(last)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: rapid's schedule %s (%d preemptions), minimized %s", seed, last.Schedule, last.Preemptions, min.Schedule)
		if !strings.Contains(min.Failure, "E10") {
			t.Errorf("seed %d: minimized failure %q, want E10", seed, min.Failure)
		}
		if min.Preemptions != 1 {
			t.Errorf("seed %d: minimized to %d preemptions, want 1:\n%s", seed, min.Preemptions, min.Timeline())
		}
		rep, err := race.Explore(min.Scenario, min.Config, race.Options{Strategy: "exhaustive", Bound: 0})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failure != nil || !rep.Complete {
			t.Errorf("seed %d: a schedule without preemptions fails (or the search is incomplete):\n%v", seed, rep.Failure)
		}
	}
}

// The same property holds in the eras that fixed the race. CI runs 10,000
// schedules per era:
//
//	RAPID_CHECKS=10000 go test ./race/racecheck -run TestRapidFixedEras
func TestRapidFixedEras(t *testing.T) {
	for _, era := range []vfs.Era{vfs.SandeenRFC, vfs.ENOENT2007, vfs.Relink2011, vfs.Upstream} {
		t.Run(era.String(), func(t *testing.T) {
			var last *race.Outcome
			rapid.Check(t, linkUnlinkProperty(era, &last))
		})
	}
}

// Check is the explorer as a property test; under the fixed eras the 2007
// scenario passes.
func TestCheck(t *testing.T) {
	racecheck.Check(t, race.Library["link-unlink-2007"], race.Config{Era: vfs.Upstream})
}

// Check reports a failure as the CLI does: rapid's shrunk run, minimized
// to its fewest preemptions, with the timeline. (The failing Check runs in
// a child test process, whose failure is the point.)
func TestCheckReportsMinimized(t *testing.T) {
	if os.Getenv("RACECHECK_CHILD") == "1" {
		racecheck.Check(t, race.Library["link-unlink-2007"], race.Config{Era: vfs.Pre2007})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckReportsMinimized$", "-rapid.nofailfile", "-rapid.seed=3", "-rapid.checks=300")
	cmd.Env = append(os.Environ(), "RACECHECK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("Check passed on the 2007 race under pre2007:\n%s", out)
	}
	for _, want := range []string{"link-unlink-2007 on ext4, era pre2007: a check failed", "with 1 preemption(s)", "E10:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

// Explore is rapid's exploration outside a test, minimized like race's.
func TestExploreMinimizes(t *testing.T) {
	rep, err := racecheck.Explore(race.Library["link-unlink-2007"], race.Config{Era: vfs.Pre2007}, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failure == nil || rep.Found == nil || rep.Failure.Preemptions != 1 {
		t.Fatalf("report %+v", rep)
	}
	if _, err := racecheck.Explore(race.Library["link-unlink-2007"], race.Config{}, 0, 1); err == nil {
		t.Error("0 checks: no error")
	}
}

// Two explorations with the rapid strategy at once (the race on
// rapid's process-wide flags): each gets its own checks and seed and its
// own verdict; under -race, no data race.
func TestParallelExplorers(t *testing.T) {
	sc := race.Library["link-unlink-2007"]
	var wg sync.WaitGroup
	reports := make([]*race.Report, 2)
	errs := make([]error, 2)
	for i, era := range []vfs.Era{vfs.Pre2007, vfs.Upstream} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = racecheck.Explore(sc, race.Config{Era: era}, 20+i*7, uint64(i+1))
		}()
	}
	wg.Wait()
	for i, r := range reports {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r.Schedules == 0 {
			t.Fatalf("explorer %d ran no schedule", i)
		}
	}
	if reports[1].Failure != nil {
		t.Errorf("the fixed era failed: %s", reports[1].Failure.Failure)
	}
	if reports[1].Schedules != 27 {
		t.Errorf("the second explorer ran %d schedules, want its own 27 checks", reports[1].Schedules)
	}
}
