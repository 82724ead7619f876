package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/internal/campaign"
)

// merge-campaign merges the shards' logs into one verdict, judged whole,
// and refuses a campaign with a shard missing.
func TestMergeCampaign(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, s *campaign.Summary) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("=== RUN   TestKernelDifferential\n    x_test.go:1: "+s.Line()+"\n--- PASS\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sum := func(sh string, unlinked int) *campaign.Summary {
		return &campaign.Summary{Campaign: "kernel-differential", Backend: "tmpfs", Seed: "9", Checks: 1200, Shards: []string{sh},
			Sequences: 600, Ops: 24000, Tally: map[string]int{"link:EXDEV": 3},
			Cuts:       campaign.Cuts{Sequences: 600, Cuts: 600, WithUnlinked: unlinked},
			Facts:      []campaign.Fact{{ID: "10", What: "EXDEV", Outcomes: []string{"link:EXDEV"}}},
			SimSeconds: 6, KernelSeconds: 12}
	}
	a, b := write("0.log", sum("0/2", 300)), write("1.log", sum("1/2", 300))
	r := invoke([]string{"merge-campaign", a, b}, "")
	if r.code != 0 || !strings.Contains(r.out, "kernel-differential on tmpfs, seed 9, 1200 checks, shards 0/2 1/2: 1200 sequences, 48000 ops") ||
		!strings.Contains(r.out, "100.0 sequences/s on the simulator") || !strings.Contains(r.out, "ok: every requirement met") {
		t.Errorf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	// Judged whole: too few cuts with an open-unlinked file between them.
	c := write("1bad.log", sum("1/2", 0))
	if r := invoke([]string{"merge-campaign", a, c}, ""); r.code != 1 || !strings.Contains(r.out, "FAILED: cut scripts: only 300 of 1200") {
		t.Errorf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	if r := invoke([]string{"merge-campaign", a}, ""); r.code != 2 || !strings.Contains(r.errOut, "shard 1/2 is missing") {
		t.Errorf("one shard of two: exit %d, %s", r.code, r.errOut)
	}
	if r := invoke([]string{"merge-campaign", "-"}, "no summary here\n"); r.code != 2 || !strings.Contains(r.errOut, "no campaign summary line") {
		t.Errorf("no summary: exit %d, %s", r.code, r.errOut)
	}
}

// The checkpoint campaigns merge the same way: their counts summed and
// printed, their share of cut points with an open-unlinked file judged on
// the whole, one result per case.
func TestMergeCampaignCheckpoint(t *testing.T) {
	dir := t.TempDir()
	sum := func(backend, sh string, unlinked int) *campaign.Summary {
		return &campaign.Summary{Campaign: campaign.CheckpointFaults, Backend: backend, Seed: "7", Checks: 200, Shards: []string{sh},
			Sequences: 100, Ops: 4000, Tally: map[string]int{"fault:checkpoint:first": 9},
			Counts:     map[string]int{"cuts": 100, "cuts_with_unlinked": unlinked, "checkpoint_faults": 97},
			Shares:     []campaign.Share{{What: "cut points with an open-unlinked file", Part: "cuts_with_unlinked", Of: "cuts", Min: 0.4}},
			SimSeconds: 2}
	}
	var logs []string
	for i, sh := range []string{"0/2", "1/2"} {
		var b strings.Builder
		for _, s := range []*campaign.Summary{sum("tmpfs", sh, 50), sum("ext4", sh, 30)} {
			b.WriteString("=== RUN   TestFaultsAreHarmless/" + s.Backend + "\n    faults_test.go:383: " + s.Line() + "\n")
		}
		p := filepath.Join(dir, fmt.Sprintf("shard-%d.log", i))
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, p)
	}
	r := invoke(append([]string{"merge-campaign"}, logs...), "")
	for _, want := range []string{
		"checkpoint-faults on tmpfs, seed 7, 200 checks, shards 0/2 1/2: 200 sequences, 8000 ops\n  counts: checkpoint_faults=194 cuts=200 cuts_with_unlinked=100\n  throughput: 50.0 sequences/s on the simulator (4.0 s)\n  ok: every requirement met",
		"checkpoint-faults on ext4, seed 7, 200 checks, shards 0/2 1/2",
		"FAILED: only 60 of 200 cut points with an open-unlinked file (want at least 40%)",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("no %q in:\n%s", want, r.out)
		}
	}
	if r.code != 1 || strings.Contains(r.out, " unsteady\n") || strings.Contains(r.out, "  cuts: ") {
		t.Errorf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
}
