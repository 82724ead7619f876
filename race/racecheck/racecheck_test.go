package racecheck_test

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
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
//
// rapid takes its seed and count from the test binary's flags, which
// nothing here changes: each seed runs in a child test process started
// with -rapid.seed and -rapid.checks.
func TestRapidFindsAndShrinks2007(t *testing.T) {
	if os.Getenv("RACECHECK_CHILD") == "shrink" {
		var last *race.Outcome
		t.Run("rapid", func(t *testing.T) { rapid.Check(t, linkUnlinkProperty(vfs.Pre2007, &last)) })
		if last == nil {
			fmt.Println("RESULT not found")
			return
		}
		tasks := append([]string(nil), last.Scenario.Tasks...)
		slices.Sort(tasks)
		min, err := race.Minimize(last)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := race.Explore(min.Scenario, min.Config, race.Options{Strategy: "exhaustive", Bound: 0})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("RESULT tasks %q; rapid's schedule %s (%d preemptions), minimized %s (%d preemptions, E10 %v); without preemptions: failure %v, complete %v\n",
			tasks, last.Schedule, last.Preemptions, min.Schedule, min.Preemptions, strings.Contains(min.Failure, "E10"), rep.Failure != nil, rep.Complete)
		return
	}
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRapidFindsAndShrinks2007$", "-rapid.nofailfile", fmt.Sprint("-rapid.seed=", seed), "-rapid.checks=300")
		cmd.Env = append(os.Environ(), "RACECHECK_CHILD=shrink")
		out, _ := cmd.CombinedOutput() // the child fails: rapid found the race
		var result string
		for _, l := range strings.Split(string(out), "\n") {
			if r, ok := strings.CutPrefix(l, "RESULT "); ok {
				result = r
			}
		}
		t.Logf("seed %d: %s", seed, result)
		for _, want := range []string{`tasks ["link a b" "unlink a"]`, "(1 preemptions, E10 true)", "without preemptions: failure false, complete true"} {
			if !strings.Contains(result, want) {
				t.Errorf("seed %d: result lacks %q: %q\n%s", seed, want, result, out)
			}
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

// Checks run in parallel tests at once: Check sets none of rapid's
// process-wide flags (the issue: two explorers raced on them). Run under
// -race.
func TestParallelChecks(t *testing.T) {
	for _, era := range []vfs.Era{vfs.Upstream, vfs.ENOENT2007, vfs.Relink2011} {
		t.Run(era.String(), func(t *testing.T) {
			t.Parallel()
			racecheck.Check(t, race.Library["link-unlink-2007"], race.Config{Era: era})
		})
	}
}
