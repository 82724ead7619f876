package race

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
)

// search is what an exhaustive search explored: every schedule it ran to
// the end (sorted), the distinct results of those runs, the runs it
// abandoned, and with states every state its runs went through (the
// kernel drawn, and where each task stood), up to a failure.
type search struct {
	schedules []string
	outcomes  map[string]int
	failed    bool
	abandoned int
	states    map[string]bool
}

// result is a run's observable result: its failure, or else every op's
// result and the kernel as the tasks left it, drawn (vfsdraw: tasks,
// files, dentries, inodes with their counts, mounts). (A failing run's ops
// are finished without decisions after the failure, so only the failure
// is compared.)
func result(o *Outcome, final string) string {
	if o.Failed() {
		return "failed: " + o.Failure
	}
	var b strings.Builder
	for i, res := range o.Results {
		for _, st := range res {
			fmt.Fprintf(&b, "%s %s; ", taskName(i), st.Describe())
		}
	}
	return b.String() + "\n" + final
}

// enumerate runs e's whole search of sc, on past failures; with states,
// it draws every state.
func enumerate(t testing.TB, sc *Scenario, cfg Config, e *DFS, states ...bool) search {
	t.Helper()
	p, err := newPlan(sc)
	if err != nil {
		t.Fatal(err)
	}
	s := search{outcomes: map[string]int{}}
	all := len(states) > 0 && states[0]
	if all {
		s.states = map[string]bool{}
	}
	// from is the first step whose state the run has not drawn before: a
	// run replays the decisions of the one before it up to the frame Next
	// changed, and a run is a function of its decisions (R4).
	from := 0
	for {
		var final string
		type state struct {
			step int
			key  string
		}
		var seen []state
		where := make([]string, len(sc.Tasks))
		done := 0
		watch := func(m Moment) {
			if m.Event.Point == "done" {
				done++
			}
			if done == len(sc.Tasks) && final == "" {
				final = vfsdraw.DOT(m.Kernel, vfsdraw.Options{TaskNames: m.Tasks})
			}
			if m.Step > 0 {
				where[m.Event.Task] = fmt.Sprintf("%d %s", m.Event.Op, m.Event.Point)
			}
			if all && m.Step >= from {
				seen = append(seen, state{m.Step, fmt.Sprintf("%q\n%s", where, vfsdraw.DOT(m.Kernel, vfsdraw.Options{TaskNames: m.Tasks}))})
			}
		}
		o, err := p.run(cfg, e, watch)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range seen {
			// After a failure the steps are not decided: not compared.
			if !o.Failed() || st.step <= o.FailedAt {
				s.states[st.key] = true
			}
		}
		if o.Abandoned {
			s.abandoned++
		} else {
			s.schedules = append(s.schedules, o.Schedule)
			s.outcomes[result(o, final)]++
			s.failed = s.failed || o.Failed()
		}
		if !e.Next() {
			break
		}
		from = len(e.stack)
	}
	slices.Sort(s.schedules)
	return s
}

// sameReach compares a reduced search with the full one: a failure in
// one iff in the other, the same distinct results, and only schedules of
// the full search. It returns what differs.
func sameReach(full, reduced search) []string {
	var out []string
	if full.failed != reduced.failed {
		out = append(out, fmt.Sprintf("the full search fails: %v, the reduced one: %v", full.failed, reduced.failed))
	}
	for _, r := range slices.Sorted(maps.Keys(full.outcomes)) {
		if reduced.outcomes[r] == 0 {
			out = append(out, "only the full search reaches: "+r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(reduced.outcomes)) {
		if full.outcomes[r] == 0 {
			out = append(out, "only the reduced search reaches: "+r)
		}
	}
	for _, s := range reduced.schedules {
		if _, ok := slices.BinarySearch(full.schedules, s); !ok {
			out = append(out, "the reduced search runs a schedule the full one does not: "+s)
		}
	}
	if full.states != nil && reduced.states != nil {
		n := 0
		for st := range full.states {
			if !reduced.states[st] {
				n++
			}
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("the reduced search misses %d of the full search's %d states", n, len(full.states)))
		}
		if len(reduced.states) > len(full.states)-n {
			out = append(out, "the reduced search reaches states the full one does not")
		}
	}
	return out
}

// reductionCases are the scenarios the reduction is checked on beyond the
// library: three tasks (where the bound's cost condition matters most)
// and tasks of two ops.
var reductionCases = []struct {
	sc    *Scenario
	eras  []vfs.Era
	bound int
}{
	{&Scenario{Name: "link-then-unlink", Setup: "open a creat,rdwr -> F\nclose F",
		Tasks: []string{"link a b\nunlink b", "unlink a"}}, []vfs.Era{vfs.Pre2007, vfs.Upstream}, 2},
	{&Scenario{Name: "two-links-and-an-unlink", Setup: "open a creat,rdwr -> F\nclose F",
		Tasks: []string{"link a b", "link a c", "unlink a"}}, []vfs.Era{vfs.Pre2007, vfs.Upstream}, 1},
	{&Scenario{Name: "link-unlink-rename", Setup: "mkdir d\nopen a creat,rdwr -> F\nclose F\nopen d/c creat,rdwr -> G\nclose G",
		Tasks: []string{"link a b", "unlink a", "rename d/c a"}}, []vfs.Era{vfs.Pre2007, vfs.ENOENT2007}, 1},
}

// The reduced search reaches what the full one reaches, at every bound up
// to 2: for every scenario of the library in every era, and for three
// more (three tasks; tasks of two ops), it finds a failure iff the full
// search does, the distinct results of its runs are the full search's,
// and it runs only schedules of the full search — fewer of them.
func TestReductionKeepsEveryResult(t *testing.T) {
	type job struct {
		sc    *Scenario
		era   vfs.Era
		bound int
	}
	var jobs []job
	for _, name := range Names() {
		for _, era := range vfs.Eras {
			for b := range 3 {
				jobs = append(jobs, job{Library[name], era, b})
			}
		}
	}
	for _, c := range reductionCases {
		eras := c.eras
		if raceEnabled {
			eras = eras[:1]
		}
		for _, era := range eras {
			jobs = append(jobs, job{c.sc, era, c.bound})
		}
	}
	for _, j := range jobs {
		t.Run(fmt.Sprintf("%s/%s/bound%d", j.sc.Name, j.era, j.bound), func(t *testing.T) {
			cfg := Config{Era: j.era}
			// Drawing every state is slow under the race detector: there
			// the states are compared in two eras, the results in all.
			states := !raceEnabled || j.era == vfs.Pre2007 || j.era == vfs.Upstream
			full := enumerate(t, j.sc, cfg, &DFS{Bound: j.bound}, states)
			reduced := enumerate(t, j.sc, cfg, &DFS{Bound: j.bound, Reduce: true}, states)
			for _, d := range sameReach(full, reduced) {
				t.Error(d)
			}
			if len(reduced.schedules) > len(full.schedules) {
				t.Errorf("reduced: %d schedules, full: %d", len(reduced.schedules), len(full.schedules))
			}
			t.Logf("%d schedules, reduced %d (and %d runs abandoned part way); %d distinct results, %d states, failure %v",
				len(full.schedules), len(reduced.schedules), reduced.abandoned, len(full.outcomes), len(full.states), full.failed)
		})
	}
}

// The schedule counts at bound 2, full and reduced, as the package
// documentation quotes them: the same in every era.
func TestReductionCounts(t *testing.T) {
	want := map[string][3]int{ // full, reduced, abandoned
		"link-unlink-2007": {90, 83, 7},
		"amir-add-entry":   {116, 100, 16},
		"rename-link-2022": {110, 102, 8},
	}
	eras := vfs.Eras
	if raceEnabled {
		eras = []vfs.Era{vfs.Pre2007, vfs.Upstream}
	}
	for _, name := range Names() {
		for _, era := range eras {
			cfg := Config{Era: era}
			full := enumerate(t, Library[name], cfg, &DFS{Bound: 2})
			reduced := enumerate(t, Library[name], cfg, &DFS{Bound: 2, Reduce: true})
			got := [3]int{len(full.schedules), len(reduced.schedules), reduced.abandoned}
			if got != want[name] {
				t.Errorf("%s in %s: full, reduced, abandoned %v, want %v", name, era, got, want[name])
			}
		}
	}
}

// The check above has teeth: with an independence relation that calls
// every two steps of different tasks independent, the reduced search
// misses states the full one reaches in every case, and in 2.6.18 the
// 2007 race altogether.
func TestBrokenIndependenceIsCaught(t *testing.T) {
	broken := func(a footprint, ta int, b footprint, tb int) bool { return ta != tb }
	for _, name := range Names() {
		for _, era := range []vfs.Era{vfs.Pre2007, vfs.Upstream} {
			cfg := Config{Era: era}
			full := enumerate(t, Library[name], cfg, &DFS{Bound: 2}, true)
			reduced := enumerate(t, Library[name], cfg, &DFS{Bound: 2, Reduce: true, indep: broken}, true)
			d := sameReach(full, reduced)
			if len(d) == 0 {
				t.Errorf("%s in %s: a relation that calls every two steps independent went unnoticed", name, era)
			}
			t.Logf("%s in %s, broken relation: %q", name, era, d)
			if name == "link-unlink-2007" && era == vfs.Pre2007 && (!full.failed || reduced.failed) {
				t.Errorf("the 2007 race: found by the full search %v, by the broken reduced one %v", full.failed, reduced.failed)
			}
		}
	}
}

// Shards 0/4 to 3/4 of a search run exactly its schedules between them,
// each once, with and without reduction; each shard runs some.
func TestShardsPartitionTheSearch(t *testing.T) {
	for _, c := range []struct {
		sc    *Scenario
		era   vfs.Era
		bound int
	}{
		{Library["link-unlink-2007"], vfs.Upstream, 2},
		{Library["amir-add-entry"], vfs.Upstream, 2},
		{reductionCases[0].sc, vfs.Upstream, 2},
		{reductionCases[1].sc, vfs.Upstream, 1},
	} {
		for _, reduce := range []bool{false, true} {
			cfg := Config{Era: c.era}
			whole := enumerate(t, c.sc, cfg, &DFS{Bound: c.bound, Reduce: reduce})
			var union []string
			var sizes []int
			for i := range 4 {
				s := enumerate(t, c.sc, cfg, &DFS{Bound: c.bound, Reduce: reduce, Shard: campaign.Shard{Index: i, Count: 4}})
				union = append(union, s.schedules...)
				sizes = append(sizes, len(s.schedules))
				if len(s.schedules) == 0 {
					t.Errorf("%s, reduce %v: shard %d/4 runs nothing", c.sc.Name, reduce, i)
				}
			}
			slices.Sort(union)
			if !slices.Equal(union, whole.schedules) {
				t.Errorf("%s, reduce %v: the shards run %d schedules, the whole search %d (or others)", c.sc.Name, reduce, len(union), len(whole.schedules))
			}
			t.Logf("%s, reduce %v: %d schedules, shards %v", c.sc.Name, reduce, len(whole.schedules), sizes)
		}
	}
}

// Explore's shards add up to the whole search, and report a failure only
// in the shard whose part holds it.
func TestExploreShards(t *testing.T) {
	sc := Library["link-unlink-2007"]
	failures := 0
	for _, reduce := range []bool{false, true} {
		whole, err := Explore(sc, Config{Era: vfs.Upstream}, Options{Strategy: "exhaustive", Bound: 2, Reduce: reduce})
		if err != nil {
			t.Fatal(err)
		}
		schedules, steps := 0, 0
		for i := range 3 {
			r, err := Explore(sc, Config{Era: vfs.Upstream}, Options{Strategy: "exhaustive", Bound: 2, Reduce: reduce, Shard: campaign.Shard{Index: i, Count: 3}})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Complete || r.Failure != nil {
				t.Errorf("shard %d/3: complete %v, failure %v", i, r.Complete, r.Failure != nil)
			}
			schedules += r.Schedules
			steps += r.Steps
		}
		if schedules != whole.Schedules || steps != whole.Steps {
			t.Errorf("reduce %v: shards %d schedules %d steps, whole %d %d", reduce, schedules, steps, whole.Schedules, whole.Steps)
		}
		// In 2.6.18 some shards find the race, the others run clean.
		for i := range 3 {
			r, err := Explore(sc, Config{Era: vfs.Pre2007}, Options{Strategy: "exhaustive", Bound: 2, Reduce: reduce, Shard: campaign.Shard{Index: i, Count: 3}})
			if err != nil {
				t.Fatal(err)
			}
			if r.Failure != nil {
				failures++
				if !strings.Contains(r.Failure.Failure, "E10") {
					t.Errorf("shard %d/3: %s", i, r.Failure.Failure)
				}
			} else if !r.Complete {
				t.Errorf("shard %d/3: neither a failure nor complete", i)
			}
		}
	}
	if failures == 0 {
		t.Error("no shard found the 2007 race")
	}
	for _, strategy := range []string{"random", "pct"} {
		whole, err := Explore(sc, Config{Era: vfs.Upstream}, Options{Strategy: strategy, Budget: 40, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := range 4 {
			r, err := Explore(sc, Config{Era: vfs.Upstream}, Options{Strategy: strategy, Budget: 40, Seed: 3, Shard: campaign.Shard{Index: i, Count: 4}})
			if err != nil {
				t.Fatal(err)
			}
			n += r.Schedules
		}
		if n != whole.Schedules {
			t.Errorf("%s: shards ran %d schedules, the whole %d", strategy, n, whole.Schedules)
		}
	}
}

// independent, case by case.
func TestIndependent(t *testing.T) {
	probe := func(lock string, holder int) footprint {
		return footprint{start: "before lock " + lock + " in do_linkat", end: "wait for " + lock, probe: true, lock: lock, holder: holder, after: blocked}
	}
	step := func(start, end string) footprint { return footprint{start: start, end: end, holder: -1} }
	for _, c := range []struct {
		a      footprint
		ta     int
		b      footprint
		tb     int
		indep  bool
		reason string
	}{
		{probe("i_rwsem", 1), 0, probe("i_rwsem", 0), 1, true, "two probes only read"},
		{probe("i_rwsem", 1), 0, step("", "jbd2__journal_start in ext4_link"), 1, true, "the holder runs on, keeping the lock"},
		{probe("i_rwsem", 1), 0, step("x", "after unlock i_rwsem in vfs_unlink"), 1, false, "the holder drops a lock of that name"},
		{probe("i_rwsem", 1), 0, step("x", "after unlock i_rwsem (shared) in lookup_slow"), 1, false, "the holder drops a lock of that name, shared"},
		{probe("i_rwsem", 1), 0, step("x", "after unlock i_rwsem in vfs_unlink"), 2, true, "another task drops another lock of that name"},
		{probe("i_rwsem", 1), 0, step("x", "after unlock s_orphan_lock in ext4_orphan_add"), 1, true, "the holder drops another lock"},
		{probe("i_rwsem", -1), 0, step("x", "after unlock i_rwsem in vfs_unlink"), 2, false, "held shared: any release of the name may free it"},
		{probe("i_rwsem", -1), 0, step("before lock i_rwsem (shared) in lookup_slow", "y"), 2, false, "held shared: a taking of the name may change it"},
		{probe("i_rwsem", -1), 0, step("wait for i_rwsem", "y"), 2, false, "held shared: a woken waiter takes a lock of the name"},
		{probe("i_rwsem", -1), 0, step("before lock i_rwsem2 in f", "after unlock i_rwsem2 in f"), 2, true, "another name"},
		{step("a", "b"), 0, step("c", "d"), 1, false, "two steps of kernel code"},
		{probe("i_rwsem", 1), 0, probe("i_rwsem", 1), 0, false, "one task"},
	} {
		if got := independent(c.a, c.ta, c.b, c.tb); got != c.indep {
			t.Errorf("%s: independent %v, want %v", c.reason, got, c.indep)
		}
		if got := independent(c.b, c.tb, c.a, c.ta); got != c.indep {
			t.Errorf("%s (swapped): independent %v, want %v", c.reason, got, c.indep)
		}
	}
	for _, c := range []struct {
		point, prefix, lock string
		want                bool
	}{
		{"before lock i_rwsem in vfs_link", "before lock ", "i_rwsem", true},
		{"before lock i_rwsem (shared) in lookup_slow", "before lock ", "i_rwsem", true},
		{"before lock i_rwsem2 in f", "before lock ", "i_rwsem", false},
		{"after unlock a in b in f", "after unlock ", "a in b", true},
		{"after unlock a in b in f", "after unlock ", "a", true},
		{"jbd2__journal_start in ext4_link", "before lock ", "i_rwsem", false},
	} {
		if got := namesLock(c.point, c.prefix, c.lock); got != c.want {
			t.Errorf("namesLock(%q, %q, %q) = %v", c.point, c.prefix, c.lock, got)
		}
	}
}

// The steps of the library's scenarios that the reduction calls probes
// are the runs' "wait for" steps, each started at the lock's "before
// lock" point.
func TestProbesAreWaits(t *testing.T) {
	sc := Library["rename-link-2022"]
	p, err := newPlan(sc)
	if err != nil {
		t.Fatal(err)
	}
	e := &recorder{DFS: DFS{Bound: 2, Reduce: true}}
	probes := 0
	for {
		e.fps = e.fps[:0]
		o, err := p.run(Config{}, e, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, fp := range e.fps {
			ev := o.Events[i]
			if wait := strings.HasPrefix(ev.Point, "wait for "); fp.probe != wait || fp.end != ev.Point {
				t.Errorf("%s step %d (%s): footprint %+v", o.Schedule, i+1, ev.Point, fp)
			}
			if fp.probe {
				probes++
				if !namesLock(fp.start, "before lock ", fp.lock) || fp.holder != 1-ev.Task {
					t.Errorf("%s step %d: probe %+v", o.Schedule, i+1, fp)
				}
			}
		}
		if !e.Next() {
			break
		}
	}
	if probes == 0 {
		t.Error("no probe seen")
	}
}

// recorder is a DFS that keeps the run's footprints.
type recorder struct {
	DFS
	fps []footprint
}

func (r *recorder) stepped(task int, fp footprint) {
	r.fps = append(r.fps, fp)
	r.DFS.stepped(task, fp)
}
