package script_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// TestKernelDifferential runs generated op sequences on the simulator and on
// a freshly mounted real tmpfs and compares them step by step: the same
// JSON line for every op, or a divergence. The simulator's invariants are
// checked after every step too.
//
// The default run is short (rapid's 100 sequences). CI runs a campaign of
// 2,000; run a longer one with, for example,
//
//	sudo RAPID_CHECKS=100000 go test ./script -run TestKernelDifferential
//
// On a divergence the test prints rapid's seed and failfile, and a minimal
// script (shrunk by rapid, then reduced op by op) that still diverges, with
// both kernels' output: paste it into testdata/scenarios/ as a regression.
func TestKernelDifferential(t *testing.T) {
	if why := hostkernel.Available(); why != "" {
		t.Skip("kernel-differential test skipped: " + why)
	}
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	base := t.TempDir()
	var failing []script.Op
	defer func() {
		if t.Failed() && failing != nil {
			reportMinimal(t, base, failing)
		}
	}()
	var sequences, steps int
	rapid.Check(t, func(rt *rapid.T) {
		ops := script.Ops(script.DefaultGenConfig).Draw(rt, "ops")
		d, err := differ(base, ops)
		if err != nil {
			rt.Fatal(err)
		}
		sequences++
		steps += len(ops)
		if d != nil {
			failing = ops
			rt.Fatalf("%v", d)
		}
	})
	t.Logf("%d sequences, %d ops, no divergence", sequences, steps)
}

// divergence is the first step where the two kernels disagree, or where the
// simulator broke an invariant.
type divergence struct {
	step       int
	op         string
	real, sim  string
	violations []vfs.Violation
}

func (d *divergence) Error() string {
	if len(d.violations) > 0 {
		return fmt.Sprintf("step %d (%s): simulator invariants broken: %v", d.step, d.op, vfs.InvariantError(d.violations))
	}
	return fmt.Sprintf("step %d (%s) diverges:\n real: %s\n  sim: %s", d.step, d.op, d.real, d.sim)
}

// differ runs ops on both kernels and returns the first divergence.
func differ(base string, ops []script.Op) (*divergence, error) {
	real, err := runHost(base, ops)
	if err != nil {
		return nil, err
	}
	m, err := script.NewMachine(vfs.Options{}, "tmpfs", nil)
	if err != nil {
		return nil, err
	}
	defer m.K.Shutdown()
	for i, op := range ops {
		sim := encode(m.Step(op))
		if sim != real[i] {
			return &divergence{step: i + 1, op: op.String(), real: real[i], sim: sim}, nil
		}
		if vs := m.K.CheckInvariants(); len(vs) > 0 {
			return &divergence{step: i + 1, op: op.String(), violations: vs}, nil
		}
	}
	if err := m.K.Shutdown(); err != nil {
		return &divergence{step: len(ops), op: "shutdown", real: "no leaks", sim: err.Error()}, nil
	}
	return nil, nil
}

// runHost runs ops on a fresh real tmpfs.
func runHost(base string, ops []script.Op) ([]string, error) {
	mnt, err := hostkernel.MountTmpfs(base)
	if err != nil {
		return nil, err
	}
	r := script.NewRunner(hostkernel.Task{}, mnt.Dir)
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = encode(r.Step(op))
	}
	var fds []int
	for _, name := range r.FDNames() {
		fd, _ := r.FD(name)
		fds = append(fds, fd)
	}
	return out, mnt.Close(fds)
}

// reportMinimal reduces a diverging sequence one op at a time (delta
// debugging with single removals, repeated to a fixpoint) and prints it.
func reportMinimal(t *testing.T, base string, ops []script.Op) {
	diverges := func(ops []script.Op) *divergence {
		for i := range ops {
			ops[i].Line = i + 1
		}
		d, err := differ(base, ops)
		if err != nil {
			t.Logf("reducing: %v", err)
			return nil
		}
		return d
	}
	cur := append([]script.Op(nil), ops...)
	for changed := true; changed; {
		changed = false
		for i := len(cur) - 1; i >= 0; i-- {
			try := append(append([]script.Op(nil), cur[:i]...), cur[i+1:]...)
			if diverges(try) != nil {
				cur, changed = try, true
			}
		}
	}
	d := diverges(cur)
	var b strings.Builder
	fmt.Fprintf(&b, "minimal diverging script (%d ops; paste into script/testdata/scenarios/NAME.txt and record NAME.tmpfs.jsonl with -record):\n", len(cur))
	b.WriteString(script.Format(cur))
	if d != nil {
		fmt.Fprintf(&b, "%v\n", d)
	}
	t.Log(b.String())
	fmt.Fprintln(os.Stderr, b.String())
}

// recordHost runs ops on the real kernel and writes its output to out.
func recordHost(t *testing.T, ops []script.Op, out string) {
	if why := hostkernel.Available(); why != "" {
		t.Fatalf("-record needs the real kernel: %s", why)
	}
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	lines, err := runHost(t.TempDir(), ops)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
