package scripttest

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// MachineFactory boots a machine for a transcript's kernel command: it gets
// the kernel options (era and protected_hardlinks already applied) and the
// command's other arguments, which are its own to interpret.
type MachineFactory func(opts vfs.Options, args []datadriven.CmdArg) (*script.Machine, error)

// Registry returns the factory that boots the registered filesystem fs
// (vfs.LookupFS): the kernel command's opts=OPTS are its mount options
// (several, comma-separated), mkfs=OPTS and any other argument (KEY or
// KEY=VALUE, such as orphan_file) its mkfs options.
func Registry(fs string) MachineFactory {
	return func(opts vfs.Options, args []datadriven.CmdArg) (*script.Machine, error) {
		cfg := script.Config{Options: opts, FS: fs}
		var mkfs []string
		for _, a := range args {
			switch a.Key {
			case "opts":
				cfg.MountOptions = strings.Join(a.Vals, ",")
			case "mkfs":
				mkfs = append(mkfs, a.Vals...)
			default:
				mkfs = append(mkfs, strings.Join(append([]string{a.Key}, a.Vals...), "="))
			}
		}
		cfg.Mkfs = strings.Join(mkfs, ",")
		return script.Boot(cfg)
	}
}

// RunTranscripts runs the lab-notebook transcripts in dir on the
// registered filesystem fs (Registry). See RunTranscriptsWith.
func RunTranscripts(t *testing.T, dir, fs string) {
	RunTranscriptsWith(t, dir, Registry(fs))
}

// RunTranscriptsWith runs the lab-notebook transcripts in dir with
// cockroachdb/datadriven, booting machines with factory. Regenerate them
// with -rewrite and review the diff. Commands:
//
//	kernel [era=ERA] [protected_hardlinks] [FACTORY ARGS...]
//	    Boot a new machine (the previous one is checked for invariants and
//	    leaks, unless it crashed). Script paths are relative to /mnt. An op
//	    that cannot be carried out at all (Step.Err) fails the test.
//	run [trace]
//	    Run the input ops; print each op and its result. With trace, also
//	    the kernel functions each op went through. Invariants are checked
//	    after every op and a violation fails the test — unless the machine
//	    runs a buggy era, where the transcript shows the violations (they
//	    are the point).
//	eras
//	    Run the input ops on a fresh machine of every era and print, for
//	    each op, the result per era.
//	invariants
//	    Print the invariant violations, or "ok".
//	leaks
//	    Shut the machine down (Kernel.Shutdown) and print every object
//	    left behind, or "no leaks": the transcript shows a leak instead of
//	    failing on it, and a leak that appears or goes changes it. The
//	    next command must be kernel.
//
// Transcripts are the files under dir whose names have no extension; the
// others (references, rapid's failfiles, go test's fuzz corpora under
// fuzz/) are left alone.
func RunTranscriptsWith(t *testing.T, dir string, factory MachineFactory) {
	datadriven.Walk(t, dir, func(t *testing.T, path string) {
		if strings.Contains(path, "/rapid/") || strings.Contains(path, "/fuzz/") || filepath.Ext(path) != "" {
			return
		}
		h := &transcript{t: t, factory: factory}
		defer h.finish(t)
		datadriven.RunTest(t, path, h.handle)
	})
}

type transcript struct {
	t       *testing.T
	factory MachineFactory
	m       *script.Machine
	buggy   bool
}

// finish checks the last machine for leaks (a crashed kernel's state is
// lost with it, so only the current one is checked).
func (h *transcript) finish(t *testing.T) {
	if h.m == nil {
		return
	}
	if vs := h.m.Check(); len(vs) > 0 && !h.buggy {
		t.Errorf("at the end of the transcript: %v", vfs.InvariantError(vs))
	}
	if err := h.m.K.Shutdown(); err != nil && !h.buggy {
		t.Errorf("leak check: %v", err)
	}
	h.m = nil
}

// buggyEra reports whether m's era ships a known bug in its filesystem
// (vfs.FSInfo.BuggyEras), so transcripts may show broken invariants on
// purpose (they still print them, so an unexpected one changes the
// transcript): pre2007 and sandeen-rfc in ext4, relink2011 in btrfs (seed
// patch 06 deletes the orphan item before adding the name). tmpfs has
// none: every check runs.
func buggyEra(m *script.Machine) bool { return m.FS().BuggyIn(m.K.Era()) }

func (h *transcript) boot(t *testing.T, d *datadriven.TestData, opts vfs.Options, args []datadriven.CmdArg) *script.Machine {
	m, err := h.factory(opts, args)
	if err != nil {
		d.Fatalf(t, "boot: %v", err)
	}
	return m
}

func (h *transcript) handle(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "kernel":
		h.finish(t)
		opts, rest := kernelArgs(t, d)
		h.m = h.boot(t, d, opts, rest)
		h.buggy = buggyEra(h.m)
		h.m.Dmesg()
		desc := fmt.Sprintf("booted a %s kernel; %s on /mnt", opts.Era, h.m.FSName())
		if o := h.m.MountOptions(); o != "" {
			desc += " (" + o + ")"
		}
		return desc
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
		trace := d.HasArg("trace")
		for _, op := range ops {
			events = events[:0]
			if trace {
				h.m.K.SetTracer(func(e vfs.Event) { events = append(events, e) })
			}
			st := h.m.Step(op)
			h.m.K.SetTracer(nil)
			if st.Err != nil {
				d.Fatalf(t, "%s: %v", st.Op, st.Err)
			}
			b.WriteString(st.Describe())
			b.WriteByte('\n')
			for _, e := range events {
				fmt.Fprintf(&b, "    %s: %s\n", e.Func, e.Msg)
			}
			if vs := h.m.Check(); len(vs) > 0 {
				if !h.buggy {
					t.Errorf("%s: after %q: %v", d.Pos, op.Src, vfs.InvariantError(vs))
				}
				for _, v := range vs {
					fmt.Fprintf(&b, "  INVARIANT %v\n", v)
				}
			}
		}
		return b.String()
	case "eras":
		ops, err := script.Parse(d.Input)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		_, rest := kernelArgs(t, d)
		results := make([][]script.Step, len(vfs.Eras))
		for i, era := range vfs.Eras {
			m := h.boot(t, d, vfs.Options{Era: era}, rest)
			results[i] = m.Run(ops)
			for _, st := range results[i] {
				if st.Err != nil {
					d.Fatalf(t, "%s: %s: %v", era, st.Op, st.Err)
				}
			}
			if buggyEra(m) {
				m.K.Shutdown() // its broken state may well leak
				continue
			}
			if vs := m.Check(); len(vs) > 0 {
				t.Errorf("%s: %s: %v", d.Pos, era, vfs.InvariantError(vs))
			}
			if err := m.K.Shutdown(); err != nil {
				t.Errorf("%s: %s: leak check: %v", d.Pos, era, err)
			}
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
				// A column of 13, and a space after longer names.
				fmt.Fprintf(&b, "  %-*s%s\n", max(13, len(era.String())+2), era.String()+":", res)
			}
		}
		return b.String()
	case "leaks":
		if h.m == nil {
			d.Fatalf(t, "leaks before kernel")
		}
		if vs := h.m.Check(); len(vs) > 0 && !h.buggy {
			t.Errorf("%s: before shutdown: %v", d.Pos, vfs.InvariantError(vs))
		}
		err := h.m.K.Shutdown()
		h.m = nil
		if err == nil {
			return "no leaks"
		}
		var le *vfs.LeakError
		if !errors.As(err, &le) {
			d.Fatalf(t, "shutdown: %v", err)
		}
		var b strings.Builder
		for _, o := range le.Objects {
			fmt.Fprintf(&b, "leaked %s %s (refcount %d)\n", o.Kind, o.Desc, o.Refs)
		}
		return b.String()
	case "invariants":
		vs := h.m.Check()
		if len(vs) == 0 {
			return "ok"
		}
		return vfs.InvariantError(vs).Error()
	}
	d.Fatalf(t, "unknown command %q", d.Cmd)
	return ""
}

// kernelArgs applies era= and protected_hardlinks and returns the rest.
func kernelArgs(t *testing.T, d *datadriven.TestData) (vfs.Options, []datadriven.CmdArg) {
	opts := vfs.Options{}
	var rest []datadriven.CmdArg
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
			rest = append(rest, a)
		}
	}
	return opts, rest
}

// describeResult is a step's result without the op.
func describeResult(s script.Step) string {
	d := s.Describe()
	return strings.TrimPrefix(strings.TrimPrefix(d, s.Op+":"), " ")
}
