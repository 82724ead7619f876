package script_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/script"
)

// cutCheck is the kernel-differential campaign's cut check of one
// sequence whose plain comparison passed: a cut point drawn among those
// the restart can honour (drawCut), the cut script run on the simulator
// and compared with real, the real kernel's output of the sequence
// (checkCut). It returns nil when the cut run printed what the real
// kernel printed (up to ckpt/doc.go's divergences) or when no point could
// be cut.
func cutCheck(rt *rapid.T, b backend, ops []script.Op, real []string, st *cutStats) *cutFailure {
	st.sequences++
	k, ok, err := drawCut(rt, b.sim, ops, st)
	if err != nil {
		return &cutFailure{ops: ops, k: 0, what: err.Error()}
	}
	if !ok {
		st.noCut++
		return nil
	}
	rec, err := checkCut(b.sim, b.name, ops, k, real)
	if err != nil {
		var f *cutFailure
		if errors.As(err, &f) {
			return f
		}
		return &cutFailure{ops: ops, k: k, what: err.Error()}
	}
	st.cuts++
	if rec.unlinked > 0 {
		st.withUnlinked++
	}
	st.relinked += rec.relinked
	if rec.failed != "" {
		bump(&st.documented, rec.failed)
	}
	if rec.endedAt > 0 {
		st.ended++
	}
	return nil
}

// eligibleAt reports whether point k of ops is one the restart can honour.
func eligibleAt(b backend, ops []script.Op, k int) bool {
	m, err := b.sim()
	if err != nil {
		return false
	}
	defer m.K.Shutdown()
	for _, op := range ops[:k] {
		m.Step(op)
	}
	why, _ := cutPoint(m)
	return why == ""
}

// reportMinimalCut reduces a failing cut script one op at a time (the cut
// staying where it was among the remaining ops), each candidate run on
// the real kernel again, and prints it with its failure.
func reportMinimalCut(t *testing.T, base string, b backend, f *cutFailure) {
	var last *cutFailure
	fails := func(ops []script.Op, k int) bool {
		real, err := runHost(base, b, ops)
		if err != nil {
			return false // the shorter script cannot run (a task or name it needs is gone)
		}
		if d, err := differFrom(base, b, ops, real, nil); err != nil || d != nil {
			return false // the plain comparison must still pass
		}
		if !eligibleAt(b, ops, k) {
			return false
		}
		_, err = checkCut(b.sim, b.name, ops, k, real)
		var cf *cutFailure
		if errors.As(err, &cf) {
			last = cf
			return true
		}
		return false
	}
	if !fails(f.ops, f.k) {
		t.Logf("the failing cut script does not fail again on a rerun; as found:\n%v", f)
		return
	}
	ops, k := reduceCut(f.ops, f.k, fails)
	fails(ops, k)
	var sb strings.Builder
	fmt.Fprintf(&sb, "minimal failing cut script on %s (%d ops of S, cut after op %d):\n", b.name, len(ops), k)
	if last != nil {
		sb.WriteString(last.Error())
	}
	t.Log(sb.String())
	fmt.Fprintln(os.Stderr, sb.String())
}
