package exercise

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// fresh boots a machine for ex and runs its first k steps on it.
func fresh(t *testing.T, ex *Exercise, k int) *script.Machine {
	t.Helper()
	m, err := script.Boot(script.Config{FS: ex.FS, Options: vfs.Options{Era: ex.Era}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range m.Run(ex.Ops[:k]) {
		if st.Err != nil {
			t.Fatalf("step %d %s: %v", st.Line, st.Op, st.Err)
		}
	}
	return m
}

// fdsOn returns the names of m's open descriptors, in open order, with
// their stat.
func fdsOn(m *script.Machine) (names []string, stats []vfs.Stat_t) {
	for _, n := range m.FDNames() {
		fd, ok := m.FD(n)
		if !ok {
			continue
		}
		if s, err := m.Init().Fstat(fd); err == nil {
			names = append(names, n)
			stats = append(stats, s)
		}
	}
	return names, stats
}

func answerList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// check recomputes every answer of ex independently of Generate — each on
// a fresh machine that runs the script's steps up to the question's, read
// through the Task's system calls rather than the ops Generate used — and
// returns a description of each mismatch, and of each broken promise (no
// question, no open unlinked file).
func check(t *testing.T, ex *Exercise) []string {
	t.Helper()
	var bad []string
	if len(ex.Questions) == 0 {
		bad = append(bad, "no question")
	}
	// Some descriptor opened on a name refers, after some step, to an
	// inode with nlink 0.
	m := fresh(t, ex, 0)
	unlinked := false
	named := map[string]bool{}
	for _, op := range ex.Ops {
		m.Step(op)
		if op.Name == "open" && !slices.Contains(op.Flags, "tmpfile") {
			named[op.Out] = true
		}
		names, stats := fdsOn(m)
		for i, n := range names {
			if named[n] && stats[i].Nlink == 0 {
				unlinked = true
			}
		}
	}
	if !unlinked {
		bad = append(bad, "no file is open and unlinked after any step")
	}
	for i, q := range ex.Questions {
		var got string
		switch q.Kind {
		case Orphans:
			m := fresh(t, ex, q.Step)
			inos, ok, err := m.Init().OnDiskOrphans(m.Root)
			if err != nil || !ok {
				t.Fatalf("Q%d: %s has no orphan list (%v)", i+1, ex.FS, err)
			}
			names, stats := fdsOn(m)
			var out []string
			for _, ino := range inos {
				holder := fmt.Sprintf("ino:%d", ino)
				for j, s := range stats {
					if s.Ino == ino {
						holder = names[j]
						break
					}
				}
				out = append(out, holder)
			}
			got = answerList(out)
		case UnlinkedOpen:
			if _, ok, _ := fresh(t, ex, 0).Init().OnDiskOrphans("/mnt"); ok {
				bad = append(bad, fmt.Sprintf("Q%d: unlinked-open asked on %s, which has an orphan list", i+1, ex.FS))
			}
			names, stats := fdsOn(fresh(t, ex, q.Step))
			var out []string
			for j, s := range stats {
				if s.Nlink == 0 {
					out = append(out, names[j])
				}
			}
			got = answerList(out)
		case Nlink:
			m := fresh(t, ex, q.Step)
			s, err := m.Init().Lstat(m.Path(q.Path))
			switch {
			case vfs.ErrnoOf(err) == vfs.ENOENT:
				got = "ENOENT"
			case err != nil:
				t.Fatalf("Q%d: lstat %s: %v", i+1, q.Path, err)
			default:
				got = fmt.Sprint(s.Nlink)
			}
		case Frees:
			// Follow the inode by its kernel object id: freed at the
			// first step after which it is no longer a live object.
			m := fresh(t, ex, q.OpenStep)
			fd, ok := m.FD(q.FD)
			if !ok {
				t.Fatalf("Q%d: %s is not open after step %d", i+1, q.FD, q.OpenStep)
			}
			f, err := m.Init().File(fd)
			if err != nil {
				t.Fatal(err)
			}
			id := f.Inode().ObjectID()
			got = "never"
			for s := q.OpenStep + 1; s <= len(ex.Ops); s++ {
				m.Step(ex.Ops[s-1])
				if !slices.ContainsFunc(m.K.LiveObjects(), func(o vfs.LeakedObject) bool { return o.ID == id }) {
					got = fmt.Sprintf("step %d", s)
					break
				}
			}
		case LinkResult, Result:
			op := ex.Ops[q.Step-1]
			if q.Kind == LinkResult && op.Name != "link" && op.Name != "linkat-empty" && op.Name != "linkat-proc" {
				bad = append(bad, fmt.Sprintf("Q%d: link-result about %q", i+1, op.String()))
			}
			st := fresh(t, ex, q.Step-1).Step(op)
			got = "ok"
			if st.Errno != "" {
				got = st.Errno
			}
		default:
			bad = append(bad, fmt.Sprintf("Q%d: unknown kind %q", i+1, q.Kind))
			continue
		}
		if got != q.Answer {
			bad = append(bad, fmt.Sprintf("Q%d [%s] %s: answer %q, the simulator says %q", i+1, q.Kind, q.Text, q.Answer, got))
		}
		step := q.Step
		if q.Kind == Frees {
			step = q.OpenStep
		}
		if !strings.Contains(q.Text, fmt.Sprintf("step %d", step)) {
			bad = append(bad, fmt.Sprintf("Q%d: text %q does not name step %d", i+1, q.Text, step))
		}
	}
	return bad
}

// Every answer, for many seeds on every filesystem and era, is what the
// simulator says when the script runs again on fresh machines.
func TestAnswersMatchSimulator(t *testing.T) {
	seeds := uint64(40)
	if testing.Short() {
		seeds = 10
	}
	kinds := map[Kind]int{}
	for _, fs := range []string{"ext4", "btrfs", "tmpfs"} {
		for _, era := range vfs.Eras {
			for seed := uint64(0); seed < seeds; seed++ {
				ex, err := Generate(Config{FS: fs, Era: era, Seed: seed})
				if err != nil {
					t.Fatalf("%s %s seed %d: %v", fs, era, seed, err)
				}
				for _, q := range ex.Questions {
					kinds[q.Kind]++
				}
				for _, b := range check(t, ex) {
					t.Errorf("%s %s seed %d: %s\n%s", fs, era, seed, b, ex.Script())
				}
			}
		}
	}
	for _, k := range []Kind{Orphans, UnlinkedOpen, Nlink, Frees, LinkResult} {
		if kinds[k] == 0 {
			t.Errorf("no %s question in any exercise", k)
		}
	}
	t.Logf("questions by kind: %v", kinds)
}

// The check catches a wrong answer of each kind.
func TestCheckCatchesBrokenAnswer(t *testing.T) {
	for _, fs := range []string{"ext4", "tmpfs"} {
		ex, err := Generate(Config{FS: fs, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if bad := check(t, ex); len(bad) != 0 {
			t.Fatalf("unbroken exercise fails: %v", bad)
		}
		for i := range ex.Questions {
			broken := *ex
			broken.Questions = slices.Clone(ex.Questions)
			broken.Questions[i].Answer = "step 99"
			bad := check(t, &broken)
			if len(bad) != 1 || !strings.Contains(bad[0], `answer "step 99"`) {
				t.Errorf("%s Q%d answered wrongly: check says %q", fs, i+1, bad)
			} else if i == 0 {
				t.Logf("as expected: %s", bad[0])
			}
		}
		noQ := *ex
		noQ.Questions = nil
		if bad := check(t, &noQ); len(bad) != 1 || bad[0] != "no question" {
			t.Errorf("no questions: check says %q", bad)
		}
	}
}

// The same Config gives the same exercise; another seed another.
func TestDeterministic(t *testing.T) {
	for _, fs := range []string{"ext4", "btrfs", "tmpfs"} {
		a, err := Generate(Config{FS: fs, Era: vfs.Pre2007, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Generate(Config{FS: fs, Era: vfs.Pre2007, Seed: 7})
		c, _ := Generate(Config{FS: fs, Era: vfs.Pre2007, Seed: 8})
		if a.Text(true) != b.Text(true) {
			t.Errorf("%s: seed 7 twice differs:\n%s\n%s", fs, a.Text(true), b.Text(true))
		}
		if a.Script() == c.Script() {
			t.Errorf("%s: seeds 7 and 8 draw the same script", fs)
		}
		if strings.Contains(a.Text(false), "Answers:") || !strings.Contains(a.Text(true), "Answers:") {
			t.Errorf("%s: reveal does not govern the answers", fs)
		}
	}
}

func TestSteps(t *testing.T) {
	for _, n := range []int{MinSteps, 12, MaxSteps} {
		ex, err := Generate(Config{Seed: 3, Steps: n})
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.Ops) != n {
			t.Errorf("Steps %d: %d ops", n, len(ex.Ops))
		}
	}
	for seed := uint64(0); seed < 50; seed++ {
		ex, err := Generate(Config{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(ex.Ops); n < 6 || n > 10 {
			t.Errorf("seed %d: %d ops, want 6 to 10", seed, n)
		}
	}
	for _, c := range []Config{{Steps: 3}, {Steps: 17}, {FS: "xfs"}, {Era: vfs.Era(99)}} {
		if _, err := Generate(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
