package race

import (
	"regexp"
	"slices"
	"strings"
)

// Minimize turns a failing run into the simplest run that fails the same
// way (the same invariants broken), as CHESS reports a bug with the fewest
// preemptions. First it searches every schedule with 0, 1, ... preemptions,
// fewer than the run has (DFS), stopping at the first bound with such a
// failure, so the result has the minimum number of preemptions when that
// search fits in its budget (minimizeBudget runs). Then it replays local
// variations of the schedule (one decision given to another task, one
// decision inserted or dropped, the tail cut so the last task runs on) and
// keeps any that fails the same way and is simpler (fewer preemptions, or
// as many and fewer decisions) until none is.
//
// rapid shrinks the ops and tasks of a failure, but its shrinker changes
// drawn values one at a time, and a schedule's simpler form usually needs
// several decisions changed together, so rapid's schedules keep needless
// preemptions. Minimize finishes the job. It is deterministic, and a run
// costs microseconds.
//
// A run that did not fail is returned as it is.
func Minimize(o *Outcome) (*Outcome, error) {
	if !o.Failed() {
		return o, nil
	}
	kind := failureKind(o.Failure)
	best := o
	// Iterative context bounding: every schedule with no preemption, then
	// with one, ... below the run's own count; the first bound with a
	// failure of the same kind is the minimum.
	runs := 0
	for b := 0; b < best.Preemptions && runs < minimizeBudget; b++ {
		e := &DFS{Bound: b}
		var found *Outcome
		for found == nil && runs < minimizeBudget {
			r, err := Run(o.Scenario, o.Config, e)
			if err != nil {
				return nil, err
			}
			runs++
			if r.Failed() && failureKind(r.Failure) == kind {
				found = r
			} else if !e.Next() {
				break
			}
		}
		if found != nil {
			best = found
			break
		}
	}
	// Local edits, for runs too big to search and to shorten the schedule.
	for runs < 2*minimizeBudget {
		next, err := improve(best, kind, &runs)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return best, nil
		}
		best = next
	}
	return best, nil
}

// minimizeBudget bounds the runs of Minimize's bounded searches; the local
// edits get as many again.
const minimizeBudget = 20000

// improve returns the first variation of best's schedule that fails the
// same way and is simpler, or nil.
func improve(best *Outcome, kind string, runs *int) (*Outcome, error) {
	s := best.Schedule
	tried := map[string]bool{s: true}
	for i := range len(s) {
		cands := []string{s[:i], s[:i] + s[i+1:]}
		for t := range len(best.Scenario.Tasks) {
			l := taskName(t)
			cands = append(cands, s[:i]+l+s[i+1:], s[:i]+l+s[i:])
		}
		for _, c := range cands {
			if tried[c] {
				continue
			}
			tried[c] = true
			r, err := Run(best.Scenario, best.Config, &Replay{Schedule: c})
			if err != nil {
				return nil, err
			}
			*runs++
			if r.Failed() && failureKind(r.Failure) == kind && simpler(r, best) {
				return r, nil
			}
		}
	}
	return nil, nil
}

// simpler orders runs by preemptions, then by decisions.
func simpler(a, b *Outcome) bool {
	if a.Preemptions != b.Preemptions {
		return a.Preemptions < b.Preemptions
	}
	return len(a.Schedule) < len(b.Schedule)
}

// checkCode matches the names of the numbered invariants (ext4sim's E1..,
// btrfssim's B1.., the vfs's V1..) in a failure, not descriptor names.
var checkCode = regexp.MustCompile(`\b[EBV]\d+:`)

// failureKind is what two failures must share to count as the same bug:
// the invariants they break, or, for a failure that names none (a leak, a
// deadlock, a kernel BUG, a property), its text up to the first colon.
func failureKind(f string) string {
	codes := checkCode.FindAllString(f, -1)
	if len(codes) == 0 {
		head, _, _ := strings.Cut(f, ":")
		return head
	}
	slices.Sort(codes)
	return strings.Join(slices.Compact(codes), ",")
}
