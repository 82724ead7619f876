package race_test

import (
	"testing"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

// BenchmarkExhaustive explores link-unlink-2007 under upstream, every
// schedule with at most two preemptions, once per iteration, without
// partial-order reduction (full) and with it (reduced): schedules/s counts
// the runs run to their end (each boots a kernel, makes ext4, runs two
// tasks and checks everything), steps/s the scheduler steps (task
// resumptions) inside them; schedules/op is the size of the search, and
// ns/op the time a whole bound-2 search takes, runs the reduction cuts
// short included (cut/op).
//
//	go test ./race -run '^$' -bench Exhaustive
func BenchmarkExhaustive(b *testing.B) {
	sc := race.Library["link-unlink-2007"]
	for _, c := range []struct {
		name   string
		reduce bool
	}{{"full", false}, {"reduced", true}} {
		b.Run(c.name, func(b *testing.B) {
			schedules, steps, cut, n := 0, 0, 0, 0
			for b.Loop() {
				rep, err := race.Explore(sc, race.Config{Era: vfs.Upstream}, race.Options{Strategy: "exhaustive", Bound: 2, Reduce: c.reduce})
				if err != nil || rep.Failure != nil || !rep.Complete {
					b.Fatalf("%+v %v", rep, err)
				}
				schedules += rep.Schedules
				steps += rep.Steps
				cut += rep.Abandoned
				n++
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(schedules)/s, "schedules/s")
			b.ReportMetric(float64(steps)/s, "steps/s")
			b.ReportMetric(float64(schedules)/float64(n), "schedules/op")
			b.ReportMetric(float64(cut)/float64(n), "cut/op")
		})
	}
}
