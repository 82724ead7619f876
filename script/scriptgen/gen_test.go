package scriptgen_test

import (
	"testing"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
)

// The generator draws ops in proportion to their weights. rapid's own
// integer and SampledFrom generators favour small values, which once gave
// cat (weight 2, sorting early) 20% of all ops and symlink (weight 2,
// sorting late) 0.7%: ops with equal weights that every state allows must
// come out about equally often, and link (weight 5) more often than each.
func TestGeneratorFollowsWeights(t *testing.T) {
	// 150 sequences from fixed seeds: the same sample on every run, and
	// whatever -rapid.checks or -short say.
	counts := map[string]int{}
	total := 0
	gen := scriptgen.Ops(scriptgen.DefaultGenConfig)
	for seed := range 150 {
		for _, op := range gen.Example(seed) {
			counts[op.Name]++
			total++
		}
	}
	even := []string{"cat", "stat", "lstat", "symlink"}
	lo, hi := counts[even[0]], counts[even[0]]
	for _, name := range even {
		lo, hi = min(lo, counts[name]), max(hi, counts[name])
	}
	t.Logf("%d ops: %v", total, counts)
	if lo == 0 || hi > 2*lo {
		t.Errorf("ops of equal weight drawn unevenly: %v of %d ops", pickCounts(counts, even), total)
	}
	if counts["link"] < hi {
		t.Errorf("link (weight 5) drawn %d times, less than an op of weight 2 (%d)", counts["link"], hi)
	}
}

func pickCounts(counts map[string]int, names []string) map[string]int {
	out := map[string]int{}
	for _, n := range names {
		out[n] = counts[n]
	}
	return out
}

// The zero GenConfig is the default one: it draws sequences of 30 to 60
// ops, never none (a property built on it would otherwise test nothing);
// a config that asks for at most 0 ops still draws one.
func TestZeroConfigDrawsOps(t *testing.T) {
	for _, c := range []struct {
		cfg      scriptgen.GenConfig
		min, max int
	}{
		{scriptgen.GenConfig{}, 30, 60},
		{scriptgen.GenConfig{FS: "tmpfs", OracleOnly: true}, 30, 60},
		{scriptgen.GenConfig{MaxOps: -3}, 1, 1},
		{scriptgen.GenConfig{MinOps: 5, MaxOps: 2}, 5, 5},
	} {
		for seed := range 20 {
			ops := scriptgen.Ops(c.cfg).Example(seed)
			if n := len(ops); n < c.min || n > c.max {
				t.Errorf("%+v, seed %d: %d ops, want %d to %d", c.cfg, seed, n, c.min, c.max)
			}
		}
	}
}

// With Namespaces the generator draws the task, namespace and mount ops,
// and only ones the real kernel's executor can run: no clone sharing a
// descriptor table or fs_struct, never the filesystem root unmounted
// from under the script. Every op it draws runs on a simulated machine
// without a script error.
func TestNamespacesDrawsHostRunnableOps(t *testing.T) {
	cfg := scriptgen.DefaultGenConfig
	cfg.Namespaces = true
	counts := map[string]int{}
	for seed := range 60 {
		ops := scriptgen.Ops(cfg).Example(seed)
		m, err := script.NewMachine(vfs.Options{}, "tmpfs", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			counts[op.Name]++
			if op.Name == "clone" && op.Text != "mnt" {
				t.Errorf("seed %d: %s: the real kernel's tasks cannot share tables", seed, op)
			}
			if st := m.Step(op); st.Err != nil {
				t.Errorf("seed %d: %s: %v", seed, op, st.Err)
			}
		}
		m.K.Shutdown()
	}
	for _, name := range []string{"fork", "clone", "as", "exit", "unshare", "open-ns", "setns", "setns-type", "bind", "umount", "mount-dev", "remount-opts", "mountinfo", "mounts"} {
		if counts[name] == 0 {
			t.Errorf("%s never drawn: %v", name, counts)
		}
	}
}
