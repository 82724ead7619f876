package exercise_test

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/script/exercise"
	"github.com/relinksim/relinksim/vfs"
)

// An exercise for a seed: the same script and questions every time, the
// answers computed by the simulator.
func Example() {
	ex, err := exercise.Generate(exercise.Config{FS: "ext4", Era: vfs.Upstream, Seed: 1})
	if err != nil {
		panic(err)
	}
	text := ex.Text(true)
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "A1 ") {
			fmt.Println(strings.TrimSpace(l))
		}
	}
	// Output:
	// A1 [orphans] f2
}
