package race_test

import (
	"reflect"
	"testing"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

// The explorer's replay schedules: any bytes, read as task decisions, on
// any library scenario, era and filesystem, replay to a finished run —
// never a panic or a hang — that names only the scenario's tasks, says
// where it failed if it did (FailedAt within its events), and replays
// exactly from the schedule it reports: the same events, results and
// verdict.
func FuzzReplay(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), []byte("AABBBBBBBBBAAAAAAA"))
	f.Add(uint8(1), uint8(1), uint8(1), []byte("BA"))
	f.Add(uint8(2), uint8(2), uint8(2), []byte{})
	names := race.Names()
	fss := []string{"ext4", "btrfs", "tmpfs"}
	f.Fuzz(func(t *testing.T, sc, era, fs uint8, decisions []byte) {
		s := race.Library[names[int(sc)%len(names)]]
		cfg := race.Config{Era: vfs.Eras[int(era)%len(vfs.Eras)], FS: fss[int(fs)%len(fss)]}
		schedule := make([]byte, 0, len(decisions))
		for _, d := range decisions {
			schedule = append(schedule, 'A'+d%byte(len(s.Tasks)+1)) // one letter past the tasks: a decision that cannot be followed
		}
		o, err := race.Run(s, cfg, &race.Replay{Schedule: string(schedule)})
		if err != nil {
			// A scenario some filesystem cannot run at all (amir-add-entry
			// injects a fault tmpfs cannot) fails the same whatever the
			// schedule: that is the configuration, not the schedule.
			if _, err0 := race.Run(s, cfg, &race.Replay{}); err0 != nil && err0.Error() == err.Error() {
				t.Skipf("%s on %s: %v", s.Name, cfg.FS, err)
			}
			t.Fatalf("%s %s: %v", s.Name, schedule, err)
		}
		if o.Steps == 0 || len(o.Events) != o.Steps {
			t.Fatalf("%s: %d steps, %d events", s.Name, o.Steps, len(o.Events))
		}
		if o.Failed() && (o.FailedAt < 1 || o.FailedAt > len(o.Events)) {
			t.Fatalf("%s: failed at event %d of %d", s.Name, o.FailedAt, len(o.Events))
		}
		for _, c := range o.Schedule {
			if c < 'A' || int(c-'A') >= len(s.Tasks) {
				t.Fatalf("%s: schedule %s names a task the scenario does not have", s.Name, o.Schedule)
			}
		}
		again, err := race.Run(s, cfg, &race.Replay{Schedule: o.Schedule})
		if err != nil {
			t.Fatal(err)
		}
		if again.Schedule != o.Schedule || !reflect.DeepEqual(again.Events, o.Events) || again.Failure != o.Failure || again.FailedAt != o.FailedAt {
			t.Fatalf("%s: schedule %s does not replay: %s, failure %q at %d, then %q at %d", s.Name, o.Schedule, again.Schedule, o.Failure, o.FailedAt, again.Failure, again.FailedAt)
		}
		for i := range o.Results {
			for j := range o.Results[i] {
				if a, b := o.Results[i][j].Describe(), again.Results[i][j].Describe(); a != b {
					t.Fatalf("%s: task %c's op %d gave %s, then %s", s.Name, 'A'+i, j, a, b)
				}
			}
		}
	})
}
