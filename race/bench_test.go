package race_test

import (
	"testing"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

// BenchmarkExhaustive explores link-unlink-2007 under upstream, every
// schedule with at most two preemptions, once per iteration: schedules/s
// counts runs (each boots a kernel, makes ext4, runs two tasks and checks
// everything), steps/s the scheduler steps (task resumptions) inside them.
//
//	go test ./race -run '^$' -bench Exhaustive
func BenchmarkExhaustive(b *testing.B) {
	sc := race.Library["link-unlink-2007"]
	schedules, steps := 0, 0
	for b.Loop() {
		rep, err := race.Explore(sc, race.Config{Era: vfs.Upstream}, race.Options{Strategy: "exhaustive", Bound: 2})
		if err != nil || rep.Failure != nil || !rep.Complete {
			b.Fatalf("%+v %v", rep, err)
		}
		schedules += rep.Schedules
		steps += rep.Steps
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(schedules)/s, "schedules/s")
	b.ReportMetric(float64(steps)/s, "steps/s")
}
