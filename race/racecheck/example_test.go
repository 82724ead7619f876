package racecheck_test

import (
	"fmt"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/race/racecheck"
	"github.com/relinksim/relinksim/vfs"
)

// Explore the 2007 race with schedules rapid draws from a fixed seed,
// outside a test: rapid finds and shrinks the failure, and Minimize
// brings it to its fewest preemptions.
func ExampleExplore() {
	rep, err := racecheck.Explore(race.Library["link-unlink-2007"], race.Config{Era: vfs.Pre2007}, 200, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Failure != nil, rep.Failure.Preemptions)
	// Output:
	// true 1
}
