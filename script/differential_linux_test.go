package script_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/internal/campaign/campaigntest"
	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/internal/hostkernel/hosttest"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
)

// backend is one filesystem the differential test runs on: a way to mount
// it fresh on the real kernel and a way to make the simulated machine.
type backend struct {
	name string
	gen  scriptgen.GenConfig
	// cpu is the CPU the real tasks run pinned to, or -1.
	cpu int
	// host mounts a fresh filesystem and returns the executor, its root and
	// a function that tears it down.
	host func(base string) (hostkernel.Task, string, func(fds []int) error, error)
	sim  func() (*script.Machine, error)
}

func tmpfsBackend() backend {
	return backend{
		name: "tmpfs",
		gen:  withNamespaces(scriptgen.DefaultGenConfig),
		cpu:  -1,
		host: func(base string) (hostkernel.Task, string, func([]int) error, error) {
			m, err := hostkernel.MountTmpfs(base)
			if err != nil {
				return hostkernel.Task{}, "", nil, err
			}
			return hostkernel.Task{Source: "none", FSType: "tmpfs"}, m.Dir, m.Close, nil
		},
		sim: func() (*script.Machine, error) { return script.NewMachine(vfs.Options{}, "tmpfs", nil) },
	}
}

func ext4Backend(template string) backend {
	gen := withNamespaces(scriptgen.DefaultGenConfig)
	// ls is drawn too: ext4 lists a directory in htree hash order, which
	// the simulator computes with the seed MakeExt4Template pins.
	// The shadow is ext4 too: mounts differ between filesystems (a second
	// mount of ext4 on its own root is EBUSY, tmpfs stacks a new one), and
	// the generator unmounts the root only from above a stacked mount.
	gen.FS = "ext4"
	gen.Setup = ext4sim.Setup(ext4sim.MkfsOptions{})
	return backend{
		name: "ext4",
		gen:  gen,
		cpu:  0, // ext4's per-CPU counters steer where top-level directories go
		host: func(base string) (hostkernel.Task, string, func([]int) error, error) {
			m, err := hostkernel.MountExt4(base, template)
			if err != nil {
				return hostkernel.Task{}, "", nil, err
			}
			return hostkernel.Task{OrphanDev: m.Dev, Source: m.Dev, FSType: "ext4"}, m.Dir, m.Close, nil
		},
		sim: func() (*script.Machine, error) {
			return script.NewMachine(vfs.Options{}, "ext4", ext4sim.Setup(ext4sim.MkfsOptions{}))
		},
	}
}

func btrfsBackend(template string) backend {
	gen := withNamespaces(scriptgen.DefaultGenConfig)
	gen.Btrfs = true
	gen.FS = "btrfs"
	gen.Setup = btrfssim.Setup(btrfssim.MkfsOptions{})
	return backend{
		name: "btrfs",
		gen:  gen,
		cpu:  -1,
		host: func(base string) (hostkernel.Task, string, func([]int) error, error) {
			m, err := hostkernel.MountBtrfs(base, template)
			if err != nil {
				return hostkernel.Task{}, "", nil, err
			}
			return hostkernel.Task{OrphanDev: m.Dev, OrphanFS: "btrfs", Source: m.Dev, FSType: "btrfs"}, m.Dir, m.Close, nil
		},
		sim: func() (*script.Machine, error) {
			return script.NewMachine(vfs.Options{}, "btrfs", btrfssim.Setup(btrfssim.MkfsOptions{}))
		},
	}
}

// withNamespaces turns on the task, namespace and mount ops: the real
// kernel's side runs every task of a sequence as a worker process in a
// throwaway mount namespace (hostkernel.Session).
func withNamespaces(c scriptgen.GenConfig) scriptgen.GenConfig {
	c.Namespaces = true
	return c
}

// TestKernelDifferential runs generated op sequences on the simulator and on
// a freshly mounted real tmpfs and compares them step by step: the same
// JSON line for every op, or a divergence. The simulator's invariants are
// checked after every step too.
//
// The sequences include tasks, namespaces and mounts (fork, clone mnt,
// as, exit, unshare, open-ns, setns, setns-type, bind, umount, mount-dev,
// remount-opts, mountinfo, mounts: scriptgen.GenConfig.Namespaces). On the
// real kernel every task is a worker process, the first in a throwaway
// mount namespace (hostkernel.Session); an op the real side cannot run
// fails the test. The summary line counts the namespace ops drawn and the
// outcomes that exercise docs/linux-semantics.md facts 10, 15, 16, 23 and
// 24; a campaign of 1,000 sequences or more that exercised one of them
// not at all fails.
//
// Every sequence whose comparison passed is also run cut (cut_test.go):
// on the simulator, checkpointed, killed and restarted at a drawn point,
// it must print the real kernel's lines but for ckpt/doc.go's documented
// divergences. The summary's second line counts the cuts, those with an
// open-unlinked file, the files relinked and the points ruled out; a
// campaign of 1,000 sequences or more fails when fewer than 30% of its
// cuts had an open-unlinked file.
//
// The default run is short (rapid's 100 sequences). CI runs a campaign of
// 2,000; run a longer one with, for example,
//
//	RAPID_CHECKS=100000 go test ./script -run TestKernelDifferential
//
// A campaign runs as shards on several machines: with one fixed seed
// (RAPID_SEED) and size (RAPID_CHECKS), RELINKSIM_SHARD=i/n runs exactly
// the sequences whose index is i modulo n (campaigntest.Property;
// TestShardsPartitionTheCampaign checks the partition). Every run ends
// with a summary line (campaign.Summary: the counts, the outcomes, the time
// on each side) that relinksim merge-campaign merges and judges whole; a
// shard judges only itself against divergences. docs/campaigns.md says how
// to run a campaign on one machine, as a Kubernetes Indexed Job and as a
// CI matrix.
//
// On a divergence the test prints rapid's seed and failfile, and a minimal
// script (shrunk by rapid, then reduced op by op) that still diverges, with
// both kernels' output: paste it into testdata/scenarios/ as a regression.
func TestKernelDifferential(t *testing.T) {
	hosttest.Require(t)
	if why := hostkernel.Available(); why != "" {
		t.Skip("kernel-differential test skipped: " + why)
	}
	differential(t, tmpfsBackend())
}

// TestKernelDifferentialExt4 is TestKernelDifferential on real ext4: a
// 128 MiB image made by mkfs.ext4 with the defaults (as the oracle makes
// it) on a loop device, the orphan chain read with dumpe2fs and debugfs.
// The image's directory hash seed is pinned (MakeExt4Template), so that
// ls compares hash orders. The test's thread is pinned to one CPU,
// because ext4's per-CPU counters decide where top-level directories go.
// CI runs 2,000 sequences:
//
//	RAPID_CHECKS=2000 go test ./script -run TestKernelDifferentialExt4
func TestKernelDifferentialExt4(t *testing.T) {
	hosttest.Require(t)
	if why := hostkernel.Ext4Available(); why != "" {
		t.Skip("ext4 kernel-differential test skipped: " + why)
	}
	defer pinToOneCPU(t)()
	template, err := hostkernel.MakeExt4Template(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	differential(t, ext4Backend(template))
}

// TestKernelDifferentialBtrfs is TestKernelDifferential on real btrfs: a
// 128 MiB image made by mkfs.btrfs with the defaults (as the oracle makes
// it) on a loop device, with subvolumes and snapshots in the generated
// sequences, the top subvolume's orphan items read with dump-tree as the
// oracle reads them and any subvolume's with subvol-orphans. CI runs
// 2,000 sequences:
//
//	RAPID_CHECKS=2000 go test ./script -run TestKernelDifferentialBtrfs
func TestKernelDifferentialBtrfs(t *testing.T) {
	hosttest.Require(t)
	if why := hostkernel.BtrfsAvailable(); why != "" {
		t.Skip("btrfs kernel-differential test skipped: " + why)
	}
	template, err := hostkernel.MakeBtrfsTemplate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	differential(t, btrfsBackend(template))
}

func differential(t *testing.T, b backend) {
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	base := t.TempDir()
	var failing []script.Op
	defer func() {
		if t.Failed() && failing != nil {
			reportMinimal(t, base, b, failing)
		}
	}()
	var failingCut *cutFailure
	defer func() {
		if t.Failed() && failingCut != nil {
			reportMinimalCut(t, base, b, failingCut)
		}
	}()
	var sequences, steps, unsteady int
	var cuts cutStats
	var simTime, kernelTime time.Duration
	tally := map[string]int{}
	shard, seed, checks := campaigntest.Shard(t)
	// The summary line is written however the run ends (a divergence
	// ends it early): relinksim merge-campaign merges the lines of the
	// shards of a campaign and applies its requirements to the whole.
	defer func() {
		sum := &campaign.Summary{
			Campaign: campaign.KernelDifferential, Backend: b.name, Seed: seed, Checks: checks,
			Shards: []string{shard.String()}, Sequences: sequences, Ops: steps, Unsteady: unsteady,
			Tally: tally, Cuts: cuts.summary(), Facts: factsOf(b),
			SimSeconds: simTime.Seconds(), KernelSeconds: kernelTime.Seconds(),
		}
		if t.Failed() {
			sum.Divergences = 1
		}
		t.Log(sum.Line())
		t.Logf("%s: shard %s: %s", b.name, shard, sum.Throughput())
		if shard.Count == 1 && !t.Failed() {
			for _, p := range sum.Problems() {
				t.Error(p)
			}
		}
	}()
	campaigntest.RefuseReplays(t, shard)
	rapid.Check(t, campaigntest.Property(shard, func(rt *rapid.T, k int) {
		// Set again by the run that fails last: the one rapid shrank to.
		failing, failingCut = nil, nil
		ops := scriptgen.Ops(b.gen).Draw(rt, "ops")
		start := time.Now()
		real, err := runHost(base, b, ops)
		kernelTime += time.Since(start)
		if err != nil {
			rt.Fatal(err)
		}
		start = time.Now()
		defer func() { simTime += time.Since(start) }()
		d, err := differFrom(base, b, ops, real, tally)
		if err != nil {
			rt.Fatal(err)
		}
		sequences++
		steps += len(ops)
		if d != nil && d.unsteady {
			unsteady++
			cuts.unsteady++
			t.Logf("%v\n(on a rerun of the same script on a fresh filesystem the real kernel gave exactly the simulator's output: the kernel is not deterministic here, the model gave one of its answers)", d)
			return
		}
		if d != nil {
			failing = ops
			rt.Fatalf("%v", d)
		}
		// The cut version of the same sequence, against the same real
		// output (cut_test.go): simulator time only.
		if f := cutCheck(rt, b, ops, real, &cuts); f != nil {
			failingCut = f
			rt.Fatalf("%v", f)
		}
	}))
	t.Logf("%s: %d sequences, %d ops, no divergence (%d sequences on which the real kernel itself was not deterministic); %s", b.name, sequences, steps, unsteady, factSummary(b, tally))
	t.Logf("%s: %v", b.name, &cuts)
}

// factsOf is factOutcomes as the campaign summary carries them.
func factsOf(b backend) []campaign.Fact {
	var out []campaign.Fact
	for _, f := range factOutcomes(b) {
		out = append(out, campaign.Fact{ID: f.fact, What: f.what, Outcomes: f.outcomes})
	}
	return out
}

// divergence is the first step where the two kernels disagree, or where the
// simulator broke an invariant.
type divergence struct {
	step       int
	op         string
	real, sim  string
	violations []vfs.Violation
	// unsteady is set when another run of the script on the real kernel
	// gave exactly the simulator's output (see differ).
	unsteady bool
}

func (d *divergence) Error() string {
	if len(d.violations) > 0 {
		return fmt.Sprintf("step %d (%s): simulator invariants broken: %v", d.step, d.op, vfs.InvariantError(d.violations))
	}
	return fmt.Sprintf("step %d (%s) diverges:\n real: %s\n  sim: %s", d.step, d.op, d.real, d.sim)
}

// differ runs ops on both kernels and returns the first divergence.
//
// The real kernel's answers are not always a function of the script: on
// btrfs, whether SEEK_DATA sees delalloc or an extent depends on whether
// background writeback ran, which other load on the machine can trigger,
// and after a transaction abort whether a listing still shows a name
// depends on whether the transaction kthread has cleaned up yet. So a
// mismatch is checked against up to five more runs on fresh real
// filesystems: if one of them gives exactly the simulator's output, every
// step, the simulator gave one of the kernel's own answers and the
// divergence is marked unsteady. A simulator bug is never excused this way
// unless the kernel itself answered as the simulator did.
//
// tally, when not nil, counts each op kind ("link") and outcome
// ("link:EXDEV", "link:ok") of the simulator's run of a sequence that does
// not diverge.
func differ(base string, b backend, ops []script.Op, tally map[string]int) (*divergence, error) {
	real, err := runHost(base, b, ops)
	if err != nil {
		return nil, err
	}
	return differFrom(base, b, ops, real, tally)
}

// differFrom is differ with real, the real kernel's output of ops.
func differFrom(base string, b backend, ops []script.Op, real []string, tally map[string]int) (*divergence, error) {
	m, err := b.sim()
	if err != nil {
		return nil, err
	}
	defer m.K.Shutdown()
	sims := make([]string, 0, len(ops))
	var first *divergence
	for i, op := range ops {
		st := m.Step(op)
		if st.Err != nil {
			return nil, fmt.Errorf("on the simulator: %s: %w", st.Op, st.Err)
		}
		sim := encode(st)
		sims = append(sims, sim)
		if first == nil && sim != real[i] {
			first = &divergence{step: i + 1, op: op.String(), real: real[i], sim: sim}
		}
		if vs := m.Check(); len(vs) > 0 {
			if first == nil {
				return &divergence{step: i + 1, op: op.String(), violations: vs}, nil
			}
			break
		}
	}
	if first != nil {
		for range 5 {
			again, err := runHost(base, b, ops)
			if err != nil {
				return nil, err
			}
			if slices.Equal(again, sims) {
				first.unsteady = true
				break
			}
		}
		return first, nil
	}
	if err := m.K.Shutdown(); err != nil {
		return &divergence{step: len(ops), op: "shutdown", real: "no leaks", sim: err.Error()}, nil
	}
	if tally != nil {
		inNewNS := false // a mount namespace was unshared or cloned earlier
		for i, op := range ops {
			outcome := "ok"
			if e := errnoOf(sims[i]); e != "" {
				outcome = e
			}
			tally[op.Name]++
			tally[op.Name+":"+outcome]++
			if inNewNS {
				tally[op.Name+":"+outcome+"+newns"]++
			}
			if (op.Name == "unshare" || op.Name == "clone") && strings.Contains(op.Text, "mnt") && outcome == "ok" {
				inNewNS = true
			}
		}
	}
	return nil, nil
}

// errnoOf returns the errno of an encoded step, or "".
func errnoOf(line string) string {
	var st struct{ Errno string }
	json.Unmarshal([]byte(line), &st)
	return st.Errno
}

// fact is a semantic fact of docs/linux-semantics.md §7 and the outcomes
// that show a campaign exercised it (any one of them).
type fact struct {
	fact, what string
	outcomes   []string
}

func factOutcomes(b backend) []fact {
	fs := []fact{
		{"10", "link or rename across a bind or second mount", []string{"link:EXDEV", "rename:EXDEV", "rename-noreplace:EXDEV", "rename-exchange:EXDEV"}},
		{"15", "a descriptor from before unshare linked into the new namespace", []string{"linkat-empty:EXDEV+newns", "linkat-proc:EXDEV+newns"}},
		{"15", "setns back into a namespace", []string{"setns:ok", "setns-type:ok"}},
		{"16", "setns with a mismatched nstype or a file that is no namespace", []string{"setns-type:EINVAL", "setns:EINVAL"}},
		{"23", "a second mount of the device under test", []string{"mount-dev:ok"}},
		{"24", "remount read-only with an open unlinked file", []string{"remount-opts:EBUSY"}},
	}
	if b.name == "ext4" {
		fs = append(fs, fact{"23", "a second mount of a mounted device changing its read-only state", []string{"mount-dev:EBUSY"}})
	}
	return fs
}

func sumOutcomes(tally map[string]int, keys []string) int {
	n := 0
	for _, k := range keys {
		n += tally[k]
	}
	return n
}

// factSummary prints how often the namespace ops were drawn and the
// outcomes of the facts' ops.
func factSummary(b backend, tally map[string]int) string {
	var kinds, outcomes []string
	for _, k := range []string{"fork", "clone", "as", "exit", "unshare", "open-ns", "setns", "setns-type", "bind", "umount", "mount-dev", "remount-opts", "mountinfo", "mounts"} {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, tally[k]))
	}
	seen := map[string]bool{}
	for _, f := range factOutcomes(b) {
		for _, o := range f.outcomes {
			if !seen[o] {
				seen[o] = true
				outcomes = append(outcomes, fmt.Sprintf("%s=%d", o, tally[o]))
			}
		}
	}
	for _, o := range []string{"setns:EPERM", "setns:EINVAL", "unshare:ok", "umount:EBUSY", "umount:EINVAL", "bind:ok", "remount-opts:ok", "clone:ok", "fork:ok"} {
		if !seen[o] {
			outcomes = append(outcomes, fmt.Sprintf("%s=%d", o, tally[o]))
		}
	}
	return "ops drawn: " + strings.Join(kinds, " ") + "; outcomes: " + strings.Join(outcomes, " ")
}

// pinToOneCPU locks the test's goroutine to its thread and the thread to
// CPU 0 (ext4's per-CPU counters steer where top-level directories go); the
// function it returns undoes both.
func pinToOneCPU(t *testing.T) func() {
	t.Helper()
	runtime.LockOSThread()
	unpin, err := hostkernel.PinToOneCPU(0)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	return func() {
		unpin()
		runtime.UnlockOSThread()
	}
}

// runHost runs ops on a fresh real filesystem.
func runHost(base string, b backend, ops []script.Op) ([]string, error) {
	task, root, done, err := b.host(base)
	if err != nil {
		return nil, err
	}
	// Every task is a worker process, the first in a mount namespace of
	// its own: nothing the script mounts or unshares reaches the test
	// process or the machine.
	sess, init, err := hostkernel.NewSession(task, b.cpu)
	if err != nil {
		done(nil)
		return nil, err
	}
	r := script.NewRunner(init, root)
	out := make([]string, len(ops))
	var stepErr error
	for i, op := range ops {
		st := r.Step(op)
		if st.Err == nil {
			st.Err = sess.Err()
		}
		if st.Err != nil {
			// The real kernel's side could not run the op at all: the
			// comparison would prove nothing.
			stepErr = fmt.Errorf("on the real kernel: %s: %w", st.Op, st.Err)
			break
		}
		out[i] = encode(st)
	}
	// The workers' descriptors, mounts and namespaces go with them.
	sess.Close()
	if err := done(nil); err != nil {
		return nil, err
	}
	return out, stepErr
}

// reportMinimal reduces a diverging sequence one op at a time (delta
// debugging with single removals, repeated to a fixpoint) and prints it.
func reportMinimal(t *testing.T, base string, b backend, ops []script.Op) {
	diverges := func(ops []script.Op) *divergence {
		for i := range ops {
			ops[i].Line = i + 1
		}
		d, err := differ(base, b, ops, nil)
		if err != nil {
			t.Logf("reducing: %v", err)
			return nil
		}
		if d != nil && d.unsteady {
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
	var sb strings.Builder
	fmt.Fprintf(&sb, "minimal diverging script on %s (%d ops; paste into script/testdata/scenarios/NAME.txt and record NAME.%s.jsonl with -record):\n", b.name, len(cur), b.name)
	sb.WriteString(script.Format(cur))
	if d != nil {
		fmt.Fprintf(&sb, "%v\n", d)
	}
	t.Log(sb.String())
	fmt.Fprintln(os.Stderr, sb.String())
}

// recordHost runs ops on the real kernel, on a fresh tmpfs, ext4 image and
// btrfs image, and writes its output to NAME.tmpfs.jsonl, NAME.ext4.jsonl
// and NAME.btrfs.jsonl. (ext4 lists a directory in htree hash order, which
// ext4sim models with the image's hash seed pinned, so ls is recorded on
// ext4 too.)
func recordHost(t *testing.T, ops []script.Op, name string) {
	if why := hostkernel.Ext4Available(); why != "" {
		t.Fatalf("-record needs the real kernel with ext4: %s", why)
	}
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	defer pinToOneCPU(t)()
	template, err := hostkernel.MakeExt4Template(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	backends := []backend{tmpfsBackend(), ext4Backend(template)}
	if why := hostkernel.BtrfsAvailable(); why != "" {
		t.Fatalf("-record needs btrfs: %s", why)
	}
	btrfsTemplate, err := hostkernel.MakeBtrfsTemplate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	backends = append(backends, btrfsBackend(btrfsTemplate))
	for _, b := range backends {
		lines, err := runHost(t.TempDir(), b, ops)
		if err != nil {
			t.Fatal(err)
		}
		out := name + "." + b.name + ".jsonl"
		if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
