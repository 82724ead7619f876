package race_test

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

// A race scenario of your own: two links of the same file race an unlink
// of it. The explorer runs every schedule with at most two preemptions
// (and reports a failure minimized to its fewest preemptions),
// checking the kernel's and ext4's invariants whenever no task is inside a
// system call, your property at the end, and the leak check. With the 2007
// fix the scenario is clean; in 2.6.18 it is the orphan race again, with
// a timeline to show for it.
func Example() {
	sc := &race.Scenario{
		Name:  "two-links-and-an-unlink",
		Setup: "open a creat,rdwr -> F\nclose F",
		Tasks: []string{"link a b", "link a c", "unlink a"},
		Property: func(o *race.Outcome) error {
			if o.Results[2][0].Errno != "" {
				return fmt.Errorf("unlink a failed: %s", o.Results[2][0].Errno)
			}
			return nil
		},
	}
	for _, era := range []vfs.Era{vfs.ENOENT2007, vfs.Pre2007} {
		rep, err := race.Explore(sc, race.Config{Era: era}, race.Options{Strategy: "exhaustive", Bound: 2})
		if err != nil {
			panic(err)
		}
		if rep.Failure == nil {
			fmt.Printf("%s: clean (complete: %v)\n", era, rep.Complete)
			continue
		}
		fmt.Printf("%s: %s\n", era, strings.Split(rep.Failure.Timeline(), "\n")[0])
		fmt.Printf("minimized to %d preemption, schedule %s\n", rep.Failure.Preemptions, rep.Failure.Schedule)
	}
	// Output:
	// enoent2007: clean (complete: true)
	// pre2007: race two-links-and-an-unlink on ext4, era pre2007: FAILED
	// minimized to 1 preemption, schedule AACCCCCCCCCAAAAAAA
}

// The 2007 link/unlink race from the bug library, explored exhaustively
// with at most one preemption in the era that has the bug and in the one
// that fixed it. The search is deterministic: the same counts every run.
func ExampleExplore() {
	sc := race.Library["link-unlink-2007"]
	for _, era := range []vfs.Era{vfs.Pre2007, vfs.ENOENT2007} {
		rep, err := race.Explore(sc, race.Config{Era: era}, race.Options{Strategy: "exhaustive", Bound: 1})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %d schedules, complete %v\n", era, rep.Schedules, rep.Complete)
		if f := rep.Failure; f != nil {
			fmt.Printf("  failed: %s\n  schedule %s (%d preemption)\n", f.Failure, f.Schedule, f.Preemptions)
		}
	}
	// Output:
	// pre2007: 8 schedules, complete false
	//   failed: 1 invariant violations:
	// 	E10: inode 12 is an orphan but has nlink 1
	//   schedule AABBBBBBBBBAAAAAAA (1 preemption)
	// enoent2007: 22 schedules, complete true
}

// The random strategy: each decision uniform among the runnable tasks,
// run i drawing from PCG(Seed, i), so the same seed finds the same run;
// the failure found is minimized to its fewest preemptions.
func ExampleExplore_random() {
	sc := race.Library["link-unlink-2007"]
	rep, err := race.Explore(sc, race.Config{Era: vfs.Pre2007}, race.Options{Strategy: "random", Budget: 300, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("found in run %d with %d preemptions; minimized to %d: %s\n",
		rep.Schedules, rep.Found.Preemptions, rep.Failure.Preemptions, rep.Failure.Schedule)
	// Output:
	// found in run 5 with 5 preemptions; minimized to 1: AABBBBBBBBBAAAAAAA
}
