package race

import "strings"

// Partial-order reduction: what the explorer knows of a step, and when two
// steps of different tasks are independent (run in either order from the
// same state, they reach the same state, and neither changes whether the
// other can run). The package documentation (Partial-order reduction)
// says why this is all that is sound to know without recording every
// object a step touches.

// taskState is a task's state after a step.
type taskState uint8

const (
	runnable taskState = iota // stopped at a yield point, can go on
	blocked                   // waits for a lock
	finished                  // ran its last op
)

// footprint is what the explorer knows of one step of a task: the yield
// points it started and stopped at, whether it was a lock probe, and the
// task's state after it.
//
// A probe is a step that started at "before lock L" (the yield in
// vfs.Kernel.Acquire and AcquireShared before they look at the lock) and
// ended waiting for L: in between, the kernel ran only the lock's wait
// loop, which reads L's holder and readers and writes nothing. Every
// other step runs kernel code that may read and write anything, so it
// counts as touching everything; of the locks, though, it changes only
// the one it starts by acquiring (a step that starts at "before lock L"
// or, woken, at "wait for L") and the one it ends by releasing ("after
// unlock L"): Acquire yields before it takes a lock and Release after it
// drops one, and nothing else writes a lock's holder or readers.
type footprint struct {
	start, end string // the yield points ("" for a task's first step)
	probe      bool
	lock       string // a probe's lock, by name
	// holder is the task holding a probe's lock (its index), or -1 when
	// it is held shared or by a task outside the scenario.
	holder int
	after  taskState
}

// stepFootprint is the footprint of the step ts just took from start.
func stepFootprint(ts *task, start string) footprint {
	fp := footprint{start: start, end: ts.point, holder: -1}
	switch {
	case ts.done:
		fp.after = finished
	case ts.waitOn != nil:
		fp.after = blocked
		if l := ts.waitOn.Name; namesLock(start, "before lock ", l) {
			fp.probe, fp.lock, fp.holder = true, l, ts.holder
		}
	}
	return fp
}

// independent reports whether step a of task ta and step b of task tb,
// both possible from one state, are independent: two probes (both only
// read), or a probe and a step that cannot change the probe's lock. Any
// other pair is dependent.
func independent(a footprint, ta int, b footprint, tb int) bool {
	switch {
	case ta == tb:
		return false
	case a.probe && b.probe:
		return true
	case a.probe:
		return !mayChange(b, tb, a)
	case b.probe:
		return !mayChange(a, ta, b)
	}
	return false
}

// mayChange reports whether step w of task tw may change the lock probe p
// found taken, matching locks by name (a lock of the same name may be the
// same lock). A lock held by one task of the scenario changes only when
// that task releases it; one held shared, or by another task, whenever a
// lock of its name is taken or released.
func mayChange(w footprint, tw int, p footprint) bool {
	if namesLock(w.end, "after unlock ", p.lock) && (p.holder < 0 || p.holder == tw) {
		return true
	}
	return p.holder < 0 && (namesLock(w.start, "before lock ", p.lock) || w.start == "wait for "+p.lock)
}

// namesLock reports whether a yield point names lock: prefix, then the
// lock's name, then " in " or " (shared) in " (vfs/lock.go's strings).
func namesLock(point, prefix, lock string) bool {
	rest, ok := strings.CutPrefix(point, prefix)
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, lock)
	return ok && (strings.HasPrefix(rest, " in ") || strings.HasPrefix(rest, " (shared) in "))
}
