package ckpt_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/ckpt"
	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/internal/campaign/campaigntest"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
)

// Issue 12, point 6: every kernel call of the checkpoint and of the
// restart fails in turn (fail=N, N from 1 to the calls a clean run makes).
//
//   - C1: after a failed checkpoint no collection directory or relinked
//     name remains (the whole filesystem is walked), lost+found only if it
//     was there, and the tasks' files are as before: each descriptor's
//     inode, nlink, size, position, /proc/self/fd name and I_LINKABLE, the
//     checkpointer's root and working directory; a retry succeeds.
//   - C2: after a failed restart every relinked name is still in place
//     (same inode, nlink), no restored task is left (the kernel's tasks
//     are counted), and a retry succeeds.
//   - C3, C4 after the retry (checkpointCut), and the script then goes on
//     as S does (continueAndCompare); every kernel ends with its
//     invariants checked and the leak check.
//
// TestCheckpointFaults and TestRestartFaults try every call in turn on a
// hand-written script and five generated ones (fixed seeds); the property
// TestFaultsAreHarmless draws the script, the cut and the failing call of
// the checkpoint and of the restart, and checks C1–C4 on each. CI runs it
// with 1,000 generated scripts per filesystem:
//
//	RAPID_CHECKS=1000 go test -count=1 -run '^TestFaultsAreHarmless$' ./ckpt/
//
// It is a campaign that runs as shards, as TestCheckpointIsInvisible does
// (docs/campaigns.md); its summary line counts, besides the cut points,
// the faults injected by kind (the checkpoint's or the restart's first,
// last or another call) and the calls of the clean runs they were drawn
// from.

// faultPrefix is the hand-written script: several unlinked files (one
// with a second name left), a fifo with data, a removed directory, and a
// descriptor table shared by two tasks (clone files), with an unlinked
// file opened by the clone.
const faultPrefix = `open a creat,rdwr -> A
write A hello
unlink a
open b creat,rdwr -> B
write B world
link b b2
unlink b
mkfifo p
open p rdwr -> P
write P fifodata
unlink p
open c creat,rdwr -> C
mkdir dir
open dir directory -> DIR
rmdir dir
clone files -> T
as T
open d creat,rdwr -> D
write D shared
unlink d
dup A -> A2
as init`

// faultPrefixTmpfile adds an O_TMPFILE file still linkable (upstream).
const faultPrefixTmpfile = faultPrefix + `
open . rdwr,tmpfile -> TMP
write TMP tmp`

// faultRest is what runs after the cut in the hand-written script.
const faultRest = `fstat A
read P 100
fstat D
pread A 0 5
pread B2 0 5
as T
fstat D
write D more
close D
as init
cat b2
close A
orphans
close DIR
orphans`

const faultRestTmpfile = faultRest + `
linkat-empty TMP t
cat t`

// faultScripts returns the hand-written script and a few generated ones
// (fixed seeds: the same every run), each split at its cut.
func faultScripts(t *testing.T, c fsCase) []faultScript {
	prefix, rest := faultPrefix, faultRest
	if c.era == vfs.Upstream {
		prefix, rest = faultPrefixTmpfile, faultRestTmpfile
	}
	if c.era == vfs.Relink2011 {
		// The seed fails a checkpoint with an open removed directory
		// (EPERM, doc.go): the script without it.
		prefix = strings.Replace(prefix, "mkdir dir\nopen dir directory -> DIR\nrmdir dir\n", "", 1)
		rest = strings.Replace(rest, "close DIR\n", "", 1)
	}
	out := []faultScript{{"hand-written", mustParse(t, prefix), mustParse(t, rest)}}
	gen := scriptgen.Ops(c.genConfig())
	for seed := 0; len(out) < 6 && seed < 100; seed++ {
		ops := gen.Example(seed)
		// Cut where the most files are open-unlinked.
		m := c.boot(t)
		best, bestN := -1, 0
		for i, op := range ops {
			m.Step(op)
			if n, _ := openUnlinked(m); n > bestN && inInitialNamespaces(m) {
				best, bestN = i+1, n
			}
		}
		if err := m.K.Shutdown(); err != nil {
			t.Fatalf("leak check: %v", err)
		}
		if bestN < 2 {
			continue
		}
		fs := faultScript{fmt.Sprintf("seed %d", seed), ops[:best], ops[best:]}
		if _, _, failed := cleanCalls(t, c, fs); failed == nil {
			// (A documented failure of the checkpoint has nothing to
			// inject: the next seed.)
			out = append(out, fs)
		}
	}
	if len(out) < 4 {
		t.Fatalf("only %d scripts with two open-unlinked files: the test proves little", len(out))
	}
	return out
}

type faultScript struct {
	name         string
	prefix, rest []script.Op
}

func mustParse(t failer, src string) []script.Op {
	ops, err := script.Parse(src)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return ops
}

// startRuns boots S (a) and the cut run (b) and runs the prefix on both.
func startRuns(t failer, c fsCase, fs faultScript) (a, b *run) {
	a, b = &run{m: c.boot(t)}, &run{m: c.boot(t)}
	for _, r := range []*run{a, b} {
		for _, op := range fs.prefix {
			if s := r.step(op); s.Err != nil {
				t.Fatalf("%s: %v", s.Describe(), s.Err)
			}
		}
		r.markCut()
	}
	return a, b
}

// cleanCalls returns the kernel calls a clean checkpoint and a clean
// restart of the prefix make (Summary.Calls), on a scratch machine. A
// clean checkpoint that fails returns its step (the caller decides
// whether the failure is documented).
func cleanCalls(t failer, c fsCase, fs faultScript) (ckptCalls, restartCalls int, failed *script.Step) {
	m := c.boot(t)
	for _, op := range fs.prefix {
		m.Step(op)
	}
	var targets []ckpt.Target
	for _, ti := range m.Tasks() {
		targets = append(targets, ckpt.Target{Name: ti.Name, Task: ti.Sys.(*vfs.Task)})
	}
	d := ckpt.Daemon(m.K)
	img, sum, err := ckpt.Checkpoint(d, targets, ckpt.Options{})
	if err != nil {
		// The same checkpoint as an op, for its errno and description.
		s := m.Step(mustOp("checkpoint -> CKPT"))
		if s.Errno == "" && s.Err == nil {
			t.Fatalf("clean checkpoint: %v, but the op succeeded", err)
		}
		if why := documentedCheckpointFailure(c, m, s); why == "" {
			t.Fatalf("clean checkpoint: %v", err)
		}
		if err := m.K.Shutdown(); err != nil {
			t.Fatalf("leak check: %v", err)
		}
		return 0, 0, &s
	}
	for _, tg := range targets {
		tg.Task.Exit()
	}
	_, rsum, err := ckpt.Restart(d, img, ckpt.Options{})
	if err != nil {
		t.Fatalf("clean restart: %v", err)
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatalf("leak check: %v", err)
	}
	return sum.Calls, rsum.Calls, nil
}

// observe describes what C1 says a failed checkpoint leaves as it was:
// every task's descriptors (inode, nlink, size, position, name,
// I_LINKABLE), the kernel's task count, the checkpointer's root and
// working directory.
func observe(m *script.Machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tasks %d\n", len(m.K.Tasks()))
	d := ckpt.Daemon(m.K)
	fmt.Fprintf(&b, "checkpointer root %s cwd %s\n", d.DPath(d.Root()), d.DPath(d.Cwd()))
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		for _, fd := range t.FDs() {
			st, err := t.Fstat(fd)
			pos, perr := t.Lseek(fd, 0, 1)
			name, _ := t.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
			f, _ := t.File(fd)
			fmt.Fprintf(&b, "%s fd %d: %v %v pos %d %v %q linkable=%v\n", ti.Name, fd, st, err, pos, perr, name,
				f != nil && f.Inode().State()&vfs.I_LINKABLE != 0)
		}
	}
	return b.String()
}

func TestCheckpointFaults(t *testing.T) {
	for _, c := range invisibleCases {
		t.Run(c.name, func(t *testing.T) {
			total := 0
			for _, fs := range faultScripts(t, c) {
				want, _, failed := cleanCalls(t, c, fs)
				if failed != nil {
					t.Fatalf("%s: the clean checkpoint fails: %s", fs.name, failed.Describe())
				}
				n := 1
				for ; ; n++ {
					if n > want+1 {
						t.Fatalf("%s: fail=%d still fails; a clean checkpoint makes %d calls", fs.name, n, want)
					}
					a, b := startRuns(t, c, fs)
					if !checkFailedCheckpoint(t, fs.name, b, n) {
						// Past the last call: the clean checkpoint; it
						// goes on as the property does.
						b.m.Step(mustOp("kill"))
						b.m.Step(mustOp("restart FAILED"))
						a.m.K.Shutdown()
						b.m.K.Shutdown()
						break
					}
					// The retry succeeds, and the script goes on as S.
					rec, failed := checkpointCut(t, c, b, nil)
					if failed != "" {
						t.Fatalf("%s: retry failed: %s", fs.name, failed)
					}
					rec.madeDirs = true // the failed one made directories too
					continueAndCompare(t, a, b, fs.rest, len(fs.prefix), rec)
					total++
				}
				if n-1 != want {
					t.Errorf("%s: %d calls could fail, a clean checkpoint makes %d", fs.name, n-1, want)
				}
			}
			t.Logf("%d failed checkpoints checked", total)
		})
	}
}

// checkFailedCheckpoint runs "checkpoint fail=n -> FAILED" on b and checks
// C1: no collection directory or relinked name anywhere, lost+found only
// if it was there, the tasks as they were (observe), the invariants. It
// returns false when the checkpoint succeeded (n is past its last call).
func checkFailedCheckpoint(t failer, name string, b *run, n int) bool {
	t.Helper()
	_, lfErr := ckpt.Daemon(b.m.K).Lstat("/mnt/lost+found")
	before := observe(b.m)
	s := b.m.Step(mustOp(fmt.Sprintf("checkpoint fail=%d -> FAILED", n)))
	if s.Err != nil {
		t.Fatalf("%s fail=%d: %v", name, n, s.Err)
	}
	if s.Errno == "" {
		return false
	}
	if s.Errno != "ENOMEM" {
		t.Fatalf("%s fail=%d: %s, want the injected ENOMEM", name, n, s.Describe())
	}
	checkNoCollection(t, b.m, lfErr == nil, fmt.Sprintf("C1: %s, checkpoint fail=%d", name, n))
	if after := observe(b.m); after != before {
		t.Fatalf("C1: %s, checkpoint fail=%d changed the tasks:\nbefore:\n%s\nafter:\n%s", name, n, before, after)
	}
	if vs := b.m.Check(); len(vs) > 0 {
		t.Fatalf("%s fail=%d: %v", name, n, vfs.InvariantError(vs))
	}
	return true
}

func TestRestartFaults(t *testing.T) {
	for _, c := range invisibleCases {
		t.Run(c.name, func(t *testing.T) {
			total := 0
			for _, fs := range faultScripts(t, c) {
				_, want, failed := cleanCalls(t, c, fs)
				if failed != nil {
					t.Fatalf("%s: the clean checkpoint fails: %s", fs.name, failed.Describe())
				}
				for n := 1; n <= want; n++ {
					a, b := startRuns(t, c, fs)
					rec, failed := checkpointCut(t, c, b, func(rec *ckptRecord) {
						checkFailedRestart(t, fs.name, b, rec, n)
						total++
					})
					if failed != "" {
						t.Fatalf("%s: checkpoint failed: %s", fs.name, failed)
					}
					continueAndCompare(t, a, b, fs.rest, len(fs.prefix), rec)
				}
			}
			t.Logf("%d failed restarts checked", total)
		})
	}
}

// checkFailedRestart runs "restart CKPT fail=n" on b, after the kill, and
// checks C2: the injected ENOMEM, every relinked name in place (same
// inode, nlink), no restored task left (the kernel's and the script's
// tasks are counted), the invariants. checkpointCut then retries.
func checkFailedRestart(t failer, name string, b *run, rec *ckptRecord, n int) {
	t.Helper()
	m := b.m
	d := ckpt.Daemon(m.K)
	names := map[string]vfs.Stat_t{}
	for name := range rec.relinked {
		if st, err := d.Lstat(name); err == nil {
			names[name] = st
		}
	}
	tasks := len(m.K.Tasks())
	s := m.Step(mustOp(fmt.Sprintf("restart CKPT fail=%d", n)))
	if s.Err != nil || s.Errno != "ENOMEM" {
		t.Fatalf("%s restart fail=%d: %s (%v), want the injected ENOMEM", name, n, s.Describe(), s.Err)
	}
	for rn, was := range names {
		st, err := d.Lstat(rn)
		if err != nil || st.Ino != was.Ino || st.Nlink != was.Nlink {
			t.Fatalf("C2: %s, restart fail=%d: relinked name %s: %v %v, was %v", name, n, rn, st, err, was)
		}
	}
	if got := len(m.K.Tasks()); got != tasks {
		t.Fatalf("C2: %s, restart fail=%d: %d tasks, %d before", name, n, got, tasks)
	}
	if got := strings.Join(m.TaskNames(), " "); got != ckpt.Inspector {
		t.Fatalf("C2: %s, restart fail=%d: the script has tasks %s, want only %s", name, n, got, ckpt.Inspector)
	}
	if vs := m.Check(); len(vs) > 0 {
		t.Fatalf("%s restart fail=%d: %v", name, n, vfs.InvariantError(vs))
	}
}

// TestFaultsAreHarmless is point 6 as a property: for a generated script,
// a drawn cut point (biased towards open-unlinked files, as in
// TestCheckpointIsInvisible) and a drawn call of the checkpoint and of the
// restart that fails: C1 after the failed checkpoint, a retry that
// succeeds, C2 after the failed restart, a retry that succeeds, then C3,
// C4 and the rest of the script as S prints it; every kernel ends with the
// leak check.
func TestFaultsAreHarmless(t *testing.T) {
	for _, c := range invisibleCases {
		t.Run(c.name, func(t *testing.T) {
			s := c.summary(campaign.CheckpointFaults)
			for _, k := range []string{"checkpoint_faults", "restart_faults", "checkpoint_calls", "restart_calls"} {
				s.Counts[k] = 0
			}
			campaigntest.Check(t, s, func(rt *rapid.T, _ int) string {
				ops := scriptgen.Ops(c.genConfig()).Draw(rt, "ops")
				s.Ops += len(ops)
				tallyOps(s, ops)
				k := drawCut(rt, c, ops)
				fs := faultScript{"generated", ops[:k], ops[k:]}
				cut := cutScript(ops, k)
				rt.Logf("cut after op %d of %d; the cut script:\n%s", k, len(ops), cut)
				ckCalls, rsCalls, failed := cleanCalls(rt, c, fs)
				if failed != nil {
					// A documented failure (cleanCalls checked): the
					// invisibility property covers it; nothing to inject.
					addCut(s, 0, 0, false, failed.Errno+" (clean checkpoint)")
					return cut
				}
				if ckCalls == 0 || rsCalls == 0 {
					rt.Fatalf("a clean checkpoint makes %d calls and a restart %d: nothing to inject", ckCalls, rsCalls)
				}
				n := rapid.IntRange(1, ckCalls).Draw(rt, "checkpoint-fail")
				r := rapid.IntRange(1, rsCalls).Draw(rt, "restart-fail")
				a, b := startRuns(rt, c, fs)
				unlinked, fifo := openUnlinked(b.m)
				if !checkFailedCheckpoint(rt, "generated", b, n) {
					rt.Fatalf("checkpoint fail=%d succeeded; a clean checkpoint makes %d calls", n, ckCalls)
				}
				rec, why := checkpointCut(rt, c, b, func(rec *ckptRecord) {
					checkFailedRestart(rt, "generated", b, rec, r)
				})
				if why != "" {
					rt.Fatalf("the retried checkpoint failed (%s) where the clean one succeeded", why)
				}
				rec.madeDirs = true // the failed checkpoint made directories too
				if continueAndCompare(rt, a, b, fs.rest, k, rec) {
					s.Counts["ended_early"]++
				}
				addCut(s, unlinked, len(rec.relinked), fifo, "")
				s.Counts["checkpoint_faults"]++
				s.Counts["restart_faults"]++
				s.Counts["checkpoint_calls"] += ckCalls
				s.Counts["restart_calls"] += rsCalls
				s.Tally["fault:checkpoint:"+callKind(n, ckCalls)]++
				s.Tally["fault:restart:"+callKind(r, rsCalls)]++
				return fmt.Sprintf("%s\n# checkpoint fail=%d, restart fail=%d", cut, n, r)
			})
			logCuts(t, s)
			t.Logf("faults injected: checkpoint %d (of %d calls), restart %d (of %d calls)",
				s.Counts["checkpoint_faults"], s.Counts["checkpoint_calls"], s.Counts["restart_faults"], s.Counts["restart_calls"])
		})
	}
}

// callKind says which of a run's calls call n is: its first, its last
// (the one after which only the clean-up runs), or another.
func callKind(n, calls int) string {
	switch n {
	case 1:
		return "first"
	case calls:
		return "last"
	}
	return "middle"
}
