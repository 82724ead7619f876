package race

import (
	"fmt"
	"iter"
	"strings"
	"unicode/utf8"

	// The filesystems the bug library runs on register themselves.
	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// Config says how to run a scenario: the kernel era and what the
// filesystem is made with. The zero value is upstream ext4.
type Config struct {
	Era vfs.Era
	// FS names a registered filesystem (vfs.LookupFS): "ext4" (default),
	// "btrfs", "tmpfs" or one of your own, made fresh for each run with
	// the oracle's defaults (or Mkfs).
	FS string
	// Mkfs are mkfs options for FS ("orphan_file").
	Mkfs string
	// MountOptions are the filesystem's mount options.
	MountOptions string
}

// Filesystem returns the name of the filesystem the scenario runs on:
// FS, or ext4 by default.
func (c Config) Filesystem() string {
	if c.FS == "" {
		return "ext4"
	}
	return c.FS
}

// Event is one step of a run: task Task ran from where it had stopped to
// Point, the yield point it stopped at ("before lock i_rwsem in vfs_link",
// a preemption point the kernel code marks, "between ops, next: OP", or
// "done").
type Event struct {
	Task  int
	Op    int // the op the task was in (index into its ops), -1 before the first
	Point string
}

// Outcome is what one run of a scenario under one schedule did.
type Outcome struct {
	Scenario *Scenario
	Config   Config
	// Schedule holds the decisions, one task letter per decision; Replay
	// runs it again.
	Schedule string
	Events   []Event
	// Results are each task's op results, in op order.
	Results [][]script.Step
	// Failure says what broke ("" when every check passed); FailedAt is
	// the number of events that had run when it was found.
	Failure  string
	FailedAt int
	// Steps counts the scheduler steps (task resumptions) of the run.
	Steps int
	// Preemptions counts the decisions that switched away from a task
	// that could have gone on running.
	Preemptions int
	// Abandoned is set when the run was cut short because its Chooser
	// returned Abandon (or, for DFS, the run belongs to another shard):
	// it was not run to its end nor checked there, and is no schedule of
	// the search.
	Abandoned bool
}

// Failed reports whether a check failed.
func (o *Outcome) Failed() bool { return o.Failure != "" }

// task is one simulated task of a run, its ops running in a coroutine.
type task struct {
	idx     int // the task's index: A is 0
	vt      *vfs.Task
	runner  *script.Runner
	ops     []script.Op
	next    func() (string, bool)
	stop    func()
	yield   func(string) bool
	op      int
	inCall  bool
	done    bool
	waitOn  *vfs.Lock
	shared  bool
	results []script.Step
	err     error // the op the task could not run at all
	// point is where the task stopped last ("" before its first step):
	// where its next step starts.
	point string
	// holder is the task holding the lock the task waits for when it
	// blocked (its index), or -1: the lock is held shared, or by a task
	// outside the scenario.
	holder int
	// aborting is set when the run is abandoned: the coroutine unwinds,
	// and nothing it does on the way matters.
	aborting bool
}

// errAborted unwinds a task whose run was abandoned (a deadlock, or a
// Chooser that returned Abandon).
type errAborted struct{}

// scheduler implements vfs.Scheduler for one run.
type scheduler struct {
	tasks  map[*vfs.Task]*task
	failed string
}

// Yield implements vfs.Scheduler: the task stops here and the run's loop
// chooses who goes on.
func (s *scheduler) Yield(t *vfs.Task, point string) {
	ts := s.tasks[t]
	if ts == nil {
		return // the init task, between runs
	}
	if !ts.yield(point) {
		panic(errAborted{})
	}
}

// Block implements vfs.Scheduler: the task waits until l is free.
func (s *scheduler) Block(t *vfs.Task, l *vfs.Lock, shared bool) {
	ts := s.tasks[t]
	if ts == nil {
		vfs.Bug("race: %v blocks on %s outside a run", t, l.Name)
	}
	ts.waitOn, ts.shared = l, shared
	ts.holder = -1
	if h := s.tasks[l.Holder()]; h != nil {
		ts.holder = h.idx
	}
	if !ts.yield("wait for " + l.Name) {
		panic(errAborted{})
	}
}

// Run runs sc once under cfg, every scheduling decision taken by ch, and
// checks it: the kernel's and the filesystem's invariants whenever no task
// is inside a system call, and at the end the invariants, the scenario's
// property, a crash and recovery if the scenario asks for one, the kernel
// log (no "kernel BUG") and the leak check.
//
// A Chooser may return Abandon instead of a task: the run stops there,
// without its end-of-run checks, and the Outcome says Abandoned (DFS does
// so for runs its partial-order reduction or its shard leaves out).
func Run(sc *Scenario, cfg Config, ch Chooser) (*Outcome, error) {
	p, err := newPlan(sc)
	if err != nil {
		return nil, err
	}
	return p.run(cfg, ch, nil)
}

// Moment is the kernel as a Watch function sees it after one scheduler
// step: for reading (drawing it, say), never for changing.
type Moment struct {
	Kernel *vfs.Kernel
	// Tasks names the scenario's tasks by their letters ("A", "B", ...)
	// and the init task "init".
	Tasks map[*vfs.Task]string
	// Step counts the scheduler steps so far; 0 is the moment after the
	// setup, before any task ran. Event is the step's (zero at step 0).
	Step  int
	Event Event
}

// RunWatched is Run with watch called after the setup and after every
// scheduler step, with the kernel as it is then — possibly in the middle
// of system calls. watch must not change the kernel.
func RunWatched(sc *Scenario, cfg Config, ch Chooser, watch func(Moment)) (*Outcome, error) {
	p, err := newPlan(sc)
	if err != nil {
		return nil, err
	}
	return p.run(cfg, ch, watch)
}

// plan is a scenario's ops, parsed and checked once: an exploration runs
// thousands of schedules of one scenario, and parsing its ops again for
// every one was most of the memory a run allocated.
type plan struct {
	sc           *Scenario
	setup, final []script.Op
	tasks        [][]script.Op
	noOps        error // a task without ops: reported once the setup ran
}

// newPlan parses and checks sc's ops, with Run's errors in Run's order.
func newPlan(sc *Scenario) (*plan, error) {
	p := &plan{sc: sc}
	var err error
	if p.setup, err = script.Parse(sc.Setup); err != nil {
		return nil, fmt.Errorf("scenario %s: setup: %w", sc.Name, err)
	}
	if len(sc.Tasks) == 0 {
		return nil, fmt.Errorf("scenario %s has no tasks: nothing to interleave", sc.Name)
	}
	if p.tasks, err = sc.checkTaskOps(); err != nil {
		return nil, err
	}
	if p.final, err = script.Parse(sc.Final); err != nil {
		return nil, fmt.Errorf("scenario %s: final: %w", sc.Name, err)
	}
	for i, ops := range p.tasks {
		if len(ops) == 0 {
			p.noOps = fmt.Errorf("scenario %s: task %s has no ops", sc.Name, taskName(i))
			break
		}
	}
	return p, nil
}

// stepObserver is implemented by a Chooser that needs to know what each
// step it decided did (DFS, for its partial-order reduction and shards).
type stepObserver interface {
	// stepped is called after every step that followed a decision.
	stepped(task int, fp footprint)
	// discard reports whether the run that just ended is one the
	// chooser does not want checked (another shard's): it is then
	// Abandoned, without its end-of-run checks.
	discard() bool
}

func (p *plan) run(cfg Config, ch Chooser, watch func(Moment)) (*Outcome, error) {
	sc := p.sc
	m, err := script.Boot(script.Config{Options: vfs.Options{Era: cfg.Era}, FS: cfg.Filesystem(), Mkfs: cfg.Mkfs, MountOptions: cfg.MountOptions})
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	o := &Outcome{Scenario: sc, Config: cfg}
	// A setup that does not do what it says leaves nothing worth
	// exploring: every op of it must succeed.
	for _, op := range p.setup {
		st := m.Step(op)
		var err error
		switch {
		case st.Err != nil:
			err = st.Err
		case st.Errno != "":
			err = fmt.Errorf("%s, where the scenario needs it to succeed", st.Errno)
		}
		if err != nil {
			m.K.Shutdown()
			return nil, sc.opError("setup", st, err)
		}
	}
	if p.noOps != nil {
		return nil, p.noOps
	}
	k := m.K
	init := m.Init()
	sched := &scheduler{tasks: make(map[*vfs.Task]*task, len(p.tasks))}
	tasks := make([]*task, 0, len(p.tasks))
	for i, ops := range p.tasks {
		vt := init.Fork()
		ts := &task{idx: i, vt: vt, runner: m.Runner.Fork(vt), ops: ops, op: -1}
		ts.next, ts.stop = iter.Pull(func(yield func(string) bool) {
			ts.yield = yield
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(errAborted); !ok && !ts.aborting {
						panic(r)
					}
				}
			}()
			for j, op := range ts.ops {
				// Between two ops another task may run (the first op
				// starts when the task is first chosen).
				if j > 0 && !yield("between ops, next: "+op.String()) {
					return
				}
				ts.op = j
				k.SetCurrent(vt)
				ts.inCall = true
				st := ts.runner.Step(op)
				ts.inCall = false
				if st.Err != nil {
					// The op cannot run in a task at all (crash, check,
					// fault: ops of the machine): the scenario is wrong.
					ts.err = sc.opError("task "+taskName(i), st, st.Err)
					return
				}
				ts.results = append(ts.results, st)
			}
		})
		sched.tasks[vt] = ts
		tasks = append(tasks, ts)
	}
	k.SetScheduler(sched)
	var names map[*vfs.Task]string
	if watch != nil {
		names = map[*vfs.Task]string{init: "init"}
		for i, ts := range tasks {
			names[ts.vt] = taskName(i)
		}
		watch(Moment{Kernel: k, Tasks: names})
	}
	obs, _ := ch.(stepObserver)
	schedule := make([]byte, 0, 32)
	runnable := make([]int, 0, len(tasks))
	last := -1
	for {
		runnable = runnable[:0]
		alive := 0
		for i, ts := range tasks {
			if ts.done {
				continue
			}
			alive++
			if ts.waitOn == nil || ts.waitOn.Available(ts.shared) {
				runnable = append(runnable, i)
			}
		}
		if alive == 0 {
			break
		}
		if len(runnable) == 0 {
			o.fail(fmt.Sprintf("deadlock: every task waits for a lock (%s)", waiting(tasks)), len(o.Events))
			stopAll(k, tasks)
			break
		}
		choice := last
		decided := false
		if o.Failure == "" {
			d := Decision{Runnable: runnable, Last: last, Step: o.Steps}
			choice = ch.Choose(d)
			if choice == Abandon {
				o.Abandoned = true
				stopAll(k, tasks)
				break
			}
			if !contains(runnable, choice) {
				vfs.Bug("race: chooser picked task %d, not one of %v", choice, runnable)
			}
			if d.preempts(choice) {
				o.Preemptions++
			}
			schedule = utf8.AppendRune(schedule, rune('A'+choice)) // taskName(choice)
			decided = true
		} else if !contains(runnable, choice) {
			// After a failure the run is only finished, cheaply.
			choice = runnable[0]
		}
		ts := tasks[choice]
		ts.waitOn = nil
		k.SetCurrent(ts.vt)
		start := ts.point
		point, ok := ts.next()
		o.Steps++
		if !ok {
			ts.done = true
			point = "done"
		}
		ts.point = point
		o.Events = append(o.Events, Event{Task: choice, Op: ts.op, Point: point})
		last = choice
		if decided && obs != nil {
			obs.stepped(choice, stepFootprint(ts, start))
		}
		if watch != nil {
			watch(Moment{Kernel: k, Tasks: names, Step: len(o.Events), Event: o.Events[len(o.Events)-1]})
		}
		if o.Failure == "" && quiescent(tasks) {
			if vs := k.CheckInvariants(); len(vs) > 0 {
				o.fail(vfs.InvariantError(vs).Error(), len(o.Events))
			}
		}
	}
	k.SetScheduler(nil)
	for _, ts := range tasks {
		if ts.err != nil {
			return nil, ts.err
		}
	}
	o.Schedule = string(schedule)
	for _, ts := range tasks {
		o.Results = append(o.Results, ts.results)
	}
	if !o.Abandoned && obs != nil && obs.discard() {
		o.Abandoned = true
	}
	if o.Abandoned {
		return o, nil // cut short: what it would check is checked elsewhere
	}
	if o.Failure != "" && strings.HasPrefix(o.Failure, "deadlock") {
		return o, nil // the kernel is stuck mid-call: nothing more to check
	}
	if err := o.finish(m, p.final, tasks); err != nil {
		return nil, err
	}
	return o, nil
}

// Abandon is what a Chooser returns to stop a run where it is (Run).
const Abandon = -1

// stopAll ends the coroutines of the tasks still running: each unwinds
// from where it stopped, as the current task (the kernel code it unwinds
// through may drop locks), and whatever it does on the way is ignored:
// the kernel is not looked at again.
func stopAll(k *vfs.Kernel, tasks []*task) {
	for _, ts := range tasks {
		if !ts.done {
			ts.aborting = true
			k.SetCurrent(ts.vt)
			ts.stop()
		}
	}
}

// checkTaskOps parses the tasks' ops and rejects, before anything runs, a
// task op that acts on the whole machine (script.MachineOp: crash, check,
// fault, checkpoint, ...), naming it: a task only makes system calls, and
// those ops belong in setup or final.
func (sc *Scenario) checkTaskOps() ([][]script.Op, error) {
	out := make([][]script.Op, 0, len(sc.Tasks))
	for i, src := range sc.Tasks {
		ops, err := script.Parse(src)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: task %s: %w", sc.Name, taskName(i), err)
		}
		for _, op := range ops {
			if !script.MachineOp(op.Name) {
				continue
			}
			msg := fmt.Sprintf("op %s acts on the whole machine, not as a task's system call: it cannot run in a task (put it in setup: or final:)", op.Name)
			if sc.File != "" {
				return nil, fmt.Errorf("%s:%d: %s (task %s of scenario %s)", sc.File, op.Line, msg, taskName(i), sc.Name)
			}
			return nil, fmt.Errorf("scenario %s: task %s: line %d: %s", sc.Name, taskName(i), op.Line, msg)
		}
		out = append(out, ops)
	}
	return out, nil
}

// opError says which op of the scenario could not run and why: as
// FILE:LINE: for a scenario read from a file (ParseScenarioFile keeps the
// file's lines), else naming the scenario, the section and the line.
func (sc *Scenario) opError(section string, st script.Step, err error) error {
	if sc.File != "" {
		return fmt.Errorf("%s:%d: %s: %w (%s of scenario %s)", sc.File, st.Line, st.Op, err, section, sc.Name)
	}
	return fmt.Errorf("scenario %s: %s: line %d: %s: %w", sc.Name, section, st.Line, st.Op, err)
}

// finish runs the scenario's final ops and the end-of-run checks. A
// final op that cannot run at all is an error; its errno is a result.
func (o *Outcome) finish(m *script.Machine, finalOps []script.Op, tasks []*task) error {
	for _, ts := range tasks {
		ts.vt.Exit()
	}
	for _, op := range finalOps {
		if st := m.Step(op); st.Err != nil {
			m.K.Shutdown()
			return o.Scenario.opError("final", st, st.Err)
		}
	}
	end := len(o.Events)
	if vs := m.Check(); len(vs) > 0 {
		o.fail(vfs.InvariantError(vs).Error(), end)
	}
	if p := o.Scenario.Property; p != nil {
		if err := p(o); err != nil {
			o.fail(err.Error(), end)
		}
	}
	if o.Scenario.Crash {
		log, err := m.Crash()
		if err != nil {
			o.fail("recovery after the crash: "+err.Error(), end)
		}
		if vs := m.Check(); len(vs) > 0 {
			o.fail("after the crash and recovery: "+vfs.InvariantError(vs).Error(), end)
		}
		o.checkLog(log, end)
	}
	if err := m.K.Shutdown(); err != nil {
		o.fail("leak check: "+err.Error(), end)
	}
	o.checkLog(m.K.Dmesg(), end)
	return nil
}

// checkLog fails the run on a kernel BUG in the log.
func (o *Outcome) checkLog(lines []string, at int) {
	for _, l := range lines {
		if strings.Contains(l, "kernel BUG") {
			o.fail(l, at)
			return
		}
	}
}

// fail records the first failure.
func (o *Outcome) fail(msg string, at int) {
	if o.Failure == "" {
		o.Failure, o.FailedAt = msg, at
	}
}

// quiescent reports whether no task is inside a system call.
func quiescent(tasks []*task) bool {
	for _, ts := range tasks {
		if ts.inCall && !ts.done {
			return false
		}
	}
	return true
}

func waiting(tasks []*task) string {
	var out []string
	for i, ts := range tasks {
		if !ts.done && ts.waitOn != nil {
			out = append(out, taskName(i)+" on "+ts.waitOn.Name)
		}
	}
	return strings.Join(out, ", ")
}

func contains(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// taskName is the letter a task goes by: A, B, C, ...
func taskName(i int) string { return string(rune('A' + i)) }
