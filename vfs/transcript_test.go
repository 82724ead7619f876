package vfs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// TestTranscripts runs the lab-notebook transcripts in testdata/. Regenerate
// them with
//
//	go test ./vfs -run TestTranscripts -rewrite
//
// and review the diff. Commands:
//
//	kernel [era=ERA] [protected_hardlinks]
//	    Boot a new kernel (checking the previous one for leaks) with a fresh
//	    tmpfs on /mnt; script paths are relative to /mnt.
//	run [trace]
//	    Run the input ops; print each op and its result. With trace, also
//	    the kernel functions each op went through. Invariants are checked
//	    after every op and any violation is printed.
//	eras
//	    Run the input ops on a fresh kernel of every era and print, for each
//	    op, the result per era.
//	invariants
//	    Print the invariant violations, or "ok".
func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		h := &transcript{t: t}
		defer h.finish()
		datadriven.RunTest(t, path, h.handle)
	})
}

type transcript struct {
	t *testing.T
	m *script.Machine
}

func (h *transcript) finish() {
	if h.m != nil {
		vfstest.Finish(h.t, h.m.K)
		h.m = nil
	}
}

func (h *transcript) handle(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "kernel":
		h.finish()
		opts := vfs.Options{}
		for _, a := range d.CmdArgs {
			switch a.Key {
			case "era":
				era, err := vfs.ParseEra(a.Vals[0])
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				opts.Era = era
			case "protected_hardlinks":
				opts.ProtectedHardlinks = true
			default:
				d.Fatalf(t, "unknown argument %q", a.Key)
			}
		}
		h.m = newMachine(t, opts)
		return fmt.Sprintf("booted a %s kernel; tmpfs on /mnt", opts.Era)
	case "run":
		if h.m == nil {
			d.Fatalf(t, "run before kernel")
		}
		ops, err := script.Parse(d.Input)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		var b strings.Builder
		var events []vfs.Event
		if d.HasArg("trace") {
			h.m.K.SetTracer(func(e vfs.Event) { events = append(events, e) })
			defer h.m.K.SetTracer(nil)
		}
		for _, op := range ops {
			events = events[:0]
			b.WriteString(h.m.Step(op).Describe())
			b.WriteByte('\n')
			for _, e := range events {
				fmt.Fprintf(&b, "    %s: %s\n", e.Func, e.Msg)
			}
			for _, v := range h.m.K.CheckInvariants() {
				t.Errorf("%s: after %q: %v", d.Pos, op.Src, v)
				fmt.Fprintf(&b, "  INVARIANT %v\n", v)
			}
		}
		return b.String()
	case "eras":
		ops, err := script.Parse(d.Input)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		results := make([][]script.Step, len(vfs.Eras))
		for i, era := range vfs.Eras {
			m := newMachine(t, vfs.Options{Era: era})
			results[i] = m.Run(ops)
			vfstest.Finish(t, m.K)
		}
		var b strings.Builder
		for j, op := range ops {
			fmt.Fprintf(&b, "%s\n", op.Src)
			same := true
			for i := range vfs.Eras {
				if describeResult(results[i][j]) != describeResult(results[0][j]) {
					same = false
				}
			}
			if same {
				fmt.Fprintf(&b, "  every era: %s\n", describeResult(results[0][j]))
				continue
			}
			for i, era := range vfs.Eras {
				res := strings.ReplaceAll(describeResult(results[i][j]), "\n", "\n    ")
				fmt.Fprintf(&b, "  %-13s%s\n", era.String()+":", res)
			}
		}
		return b.String()
	case "invariants":
		vs := h.m.K.CheckInvariants()
		if len(vs) == 0 {
			return "ok"
		}
		return vfs.InvariantError(vs).Error()
	}
	d.Fatalf(t, "unknown command %q", d.Cmd)
	return ""
}

// describeResult is a step's result without the op.
func describeResult(s script.Step) string {
	d := s.Describe()
	return strings.TrimPrefix(strings.TrimPrefix(d, s.Op+":"), " ")
}

func newMachine(t *testing.T, opts vfs.Options) *script.Machine {
	t.Helper()
	m, err := script.NewMachine(opts, "tmpfs", nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
