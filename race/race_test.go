package race_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

// rewriting reports whether -rewrite (datadriven's flag, which the
// transcripts use too) asks for testdata to be rewritten.
func rewriting() bool {
	f := flag.Lookup("rewrite")
	return f != nil && f.Value.String() == "true"
}

// Every scenario of the bug library, in every era, explored exhaustively
// up to two preemptions, with partial-order reduction and without: the bug
// is found exactly in the eras that have it, and every other era is proved
// clean for the scenario (every schedule within the bound run).
func TestLibraryExhaustive(t *testing.T) {
	for _, name := range race.Names() {
		sc := race.Library[name]
		for _, era := range vfs.Eras {
			for _, reduce := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/reduce=%v", name, era, reduce), func(t *testing.T) {
					rep, err := race.Explore(sc, race.Config{Era: era}, race.Options{Strategy: "exhaustive", Bound: 2, Reduce: reduce})
					if err != nil {
						t.Fatal(err)
					}
					switch {
					case sc.BuggyIn(era) && rep.Failure == nil:
						t.Errorf("not found in %d schedules", rep.Schedules)
					case !sc.BuggyIn(era) && rep.Failure != nil:
						t.Errorf("a fixed era fails:\n%s", rep.Failure.Timeline())
					case !sc.BuggyIn(era) && !rep.Complete:
						t.Errorf("search incomplete after %d schedules", rep.Schedules)
					}
					t.Logf("%d schedules, %d steps, complete %v", rep.Schedules, rep.Steps, rep.Complete)
				})
			}
		}
	}
}

// A failing schedule replays: the same decisions give the same run.
func TestReplay(t *testing.T) {
	sc := race.Library["link-unlink-2007"]
	cfg := race.Config{Era: vfs.Pre2007}
	rep, err := race.Explore(sc, cfg, race.Options{Strategy: "exhaustive", Bound: 2})
	if err != nil || rep.Failure == nil {
		t.Fatalf("%v %v", rep, err)
	}
	again, err := race.Run(sc, cfg, &race.Replay{Schedule: rep.Failure.Schedule})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := rep.Failure.Timeline(), again.Timeline(); a != b {
		t.Errorf("replay differs:\n%s\n---\n%s", a, b)
	}
}

// The committed timeline of the 2007 race, as the explorer prints it.
func TestTimeline2007(t *testing.T) {
	sc := race.Library["link-unlink-2007"]
	rep, err := race.Explore(sc, race.Config{Era: vfs.Pre2007}, race.Options{Strategy: "exhaustive", Bound: 2})
	if err != nil || rep.Failure == nil {
		t.Fatalf("%v %v", rep, err)
	}
	got := rep.Failure.Timeline()
	const path = "testdata/link-unlink-2007.timeline"
	if rewriting() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("timeline differs from %s (rewrite with -rewrite):\n%s", path, got)
	}
}

// PCT finds the 2007 race within 1,000 runs for each of a fixed set of
// seeds.
func TestPCTFinds2007(t *testing.T) {
	sc := race.Library["link-unlink-2007"]
	for seed := uint64(1); seed <= 10; seed++ {
		rep, err := race.Explore(sc, race.Config{Era: vfs.Pre2007}, race.Options{Strategy: "pct", Budget: 1000, Seed: seed, Depth: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failure == nil {
			t.Errorf("seed %d: not found in %d runs", seed, rep.Schedules)
			continue
		}
		t.Logf("seed %d: found after %d runs", seed, rep.Schedules)
	}
}

// The random strategy finds the 2007 race within 300 runs for each of a
// fixed set of seeds, and Minimize brings it to one preemption; in the
// fixed era it runs its whole budget without a failure.
func TestRandomFinds2007(t *testing.T) {
	sc := race.Library["link-unlink-2007"]
	for seed := uint64(1); seed <= 5; seed++ {
		rep, err := race.Explore(sc, race.Config{Era: vfs.Pre2007}, race.Options{Strategy: "random", Budget: 300, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failure == nil || rep.Found == nil {
			t.Errorf("seed %d: not found in %d runs", seed, rep.Schedules)
			continue
		}
		if rep.Failure.Preemptions != 1 || !strings.Contains(rep.Failure.Failure, "E10") {
			t.Errorf("seed %d: minimized to %d preemptions: %s", seed, rep.Failure.Preemptions, rep.Failure.Failure)
		}
		t.Logf("seed %d: found after %d runs with %d preemptions, minimized to %s", seed, rep.Schedules, rep.Found.Preemptions, rep.Failure.Schedule)
	}
	rep, err := race.Explore(sc, race.Config{Era: vfs.Upstream}, race.Options{Strategy: "random", Budget: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failure != nil || rep.Schedules != 300 {
		t.Errorf("upstream: %d schedules, failure %v", rep.Schedules, rep.Failure)
	}
}

// Explorations share nothing: every setting is a parameter, so several run
// at once (the issue: two rapid explorers raced on rapid's process-wide
// flags), and each reports exactly what it reports alone. Run under -race.
func TestParallelExplorers(t *testing.T) {
	sc := race.Library["link-unlink-2007"]
	type job struct {
		era vfs.Era
		opt race.Options
	}
	jobs := []job{
		{vfs.Pre2007, race.Options{Strategy: "random", Budget: 300, Seed: 1}},
		{vfs.Upstream, race.Options{Strategy: "random", Budget: 27, Seed: 2}},
		{vfs.Pre2007, race.Options{Strategy: "pct", Budget: 300, Seed: 3, Depth: 2}},
		{vfs.ENOENT2007, race.Options{Strategy: "exhaustive", Bound: 1}},
	}
	summary := func(r *race.Report) string {
		s := fmt.Sprintf("%s %d schedules %d steps", r.Strategy, r.Schedules, r.Steps)
		if r.Failure != nil {
			s += " failed " + r.Found.Schedule + " -> " + r.Failure.Schedule
		}
		return s
	}
	alone := make([]string, len(jobs))
	for i, j := range jobs {
		r, err := race.Explore(sc, race.Config{Era: j.era}, j.opt)
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = summary(r)
	}
	together := make([]string, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := race.Explore(sc, race.Config{Era: j.era}, j.opt)
			if errs[i] = err; err == nil {
				together[i] = summary(r)
			}
		}()
	}
	wg.Wait()
	for i := range jobs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if together[i] != alone[i] {
			t.Errorf("exploration %d: %s at once with others, %s alone", i, together[i], alone[i])
		}
	}
	if !strings.Contains(alone[0], "failed") || strings.Contains(alone[1], "failed") || !strings.Contains(alone[1], "27 schedules") {
		t.Errorf("verdicts: %q", alone)
	}
}

// A scenario that cannot run as written is an error, never "no check
// failed": a setup op that fails, a fault the filesystem cannot inject, an
// op a task cannot run at all, an unknown filesystem.
func TestScenariosThatCannotRunAreErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		sc   *race.Scenario
		cfg  race.Config
		want string
	}{
		{"setup fails", &race.Scenario{Name: "s", Setup: "open nodir/a rdwr -> F", Tasks: []string{"close F"}}, race.Config{},
			"scenario s: setup: line 1: open nodir/a rdwr -> F: ENOENT, where the scenario needs it to succeed"},
		{"fault tmpfs cannot inject", race.Library["amir-add-entry"], race.Config{FS: "tmpfs", Era: vfs.SandeenRFC},
			`fault add_entry 4: the filesystem at /mnt cannot inject fault "add_entry"`},
		{"machine op in a task", &race.Scenario{Name: "c", Tasks: []string{"crash"}}, race.Config{},
			"scenario c: task A: line 1: op crash acts on the whole machine"},
		{"unknown filesystem", race.Library["link-unlink-2007"], race.Config{FS: "zfs"}, `unknown filesystem "zfs"`},
	} {
		_, err := race.Run(c.sc, c.cfg, race.Sequential{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Run: %v, want an error saying %q", c.name, err, c.want)
		}
		rep, err := race.Explore(c.sc, c.cfg, race.Options{Strategy: "exhaustive", Bound: 1})
		if err == nil {
			t.Errorf("%s: Explore reported %+v, want an error", c.name, rep)
		}
	}
}

// A PCT depth far past a run's steps (the issue's -depth 1000000000 hung
// drawing a billion change points) is taken as the deepest there is, and
// the search finds the 2007 bug all the same.
func TestPCTHugeDepth(t *testing.T) {
	sc := race.Library["link-unlink-2007"]
	rep, err := race.Explore(sc, race.Config{Era: vfs.Pre2007}, race.Options{Strategy: "pct", Depth: 1_000_000_000, Budget: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Schedules == 0 {
		t.Fatal("no schedule ran")
	}
	if rep.Failure == nil {
		t.Errorf("%d pct runs at the deepest depth did not find the 2007 race", rep.Schedules)
	}
}

// A task op that acts on the whole machine (the crash, fault and
// check in a custom Scenario's task) is rejected before anything runs,
// naming the op, by every strategy.
func TestMachineOpsInTasks(t *testing.T) {
	for _, op := range []string{"crash", "check", "fault add_entry 1", "dmesg", "draw"} {
		sc := &race.Scenario{Name: "custom", Setup: "open a creat,rdwr -> F\n", Tasks: []string{"link a b", op}}
		name := strings.Fields(op)[0]
		for _, strategy := range []string{"exhaustive", "pct", "random"} {
			_, err := race.Explore(sc, race.Config{}, race.Options{Strategy: strategy, Bound: 2, Budget: 3})
			if err == nil || !strings.Contains(err.Error(), "op "+name+" acts on the whole machine") || !strings.Contains(err.Error(), "task B") {
				t.Errorf("%s in a task, %s: %v", op, strategy, err)
			}
		}
		if _, err := race.Run(sc, race.Config{}, &race.Replay{}); err == nil {
			t.Errorf("%s in a task: Run ran", op)
		}
	}
	// In setup and final they are fine.
	sc := &race.Scenario{Name: "custom", Setup: "open a creat,rdwr -> F\ncheck\n", Tasks: []string{"link a b", "unlink a"}, Final: "check\n"}
	if _, err := race.Explore(sc, race.Config{}, race.Options{Strategy: "exhaustive", Bound: 1}); err != nil {
		t.Errorf("check in setup and final: %v", err)
	}
}
