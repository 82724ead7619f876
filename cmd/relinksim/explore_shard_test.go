package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// explore -shard i/n runs a part of the search and ends with a summary
// line; merge-campaign merges the shards' outputs into the whole search:
// the schedules of the unsharded run, exit 0 when none failed, 1 when one
// did, 2 with a shard missing. The shard also comes from RELINKSIM_SHARD.
func TestExploreShards(t *testing.T) {
	t.Setenv("RELINKSIM_SHARD", "")
	t.Setenv("RELINKSIM_SHARDS", "")
	dir := t.TempDir()
	whole := invoke([]string{"explore", "-era", "upstream", "link-unlink-2007"}, "")
	full := invoke([]string{"explore", "-era", "upstream", "-reduce=false", "link-unlink-2007"}, "")
	if whole.code != 0 || full.code != 0 || strings.Contains(whole.out, "campaign summary") ||
		!strings.Contains(whole.out, "exhaustive: 83 schedules (and 7 runs cut short), ") ||
		!strings.Contains(full.out, "exhaustive: 90 schedules, ") {
		t.Fatalf("unsharded: exit %d, %d:\n%s%s", whole.code, full.code, whole.out, full.out)
	}
	shards := func(era string, n int, extra ...string) []string {
		var logs []string
		for i := range n {
			args := append([]string{"explore", "-era", era, "-shard", fmt.Sprintf("%d/%d", i, n)}, extra...)
			r := invoke(append(args, "link-unlink-2007"), "")
			if r.code == 2 || !strings.Contains(r.out, "relinksim campaign summary: ") {
				t.Fatalf("shard %d/%d: exit %d:\n%s%s", i, n, r.code, r.out, r.errOut)
			}
			p := filepath.Join(dir, fmt.Sprintf("%s-%d-of-%d.log", era, i, n))
			if err := os.WriteFile(p, []byte(r.out), 0o644); err != nil {
				t.Fatal(err)
			}
			logs = append(logs, p)
		}
		return logs
	}
	logs := shards("upstream", 4)
	r := invoke(append([]string{"merge-campaign"}, logs...), "")
	if r.code != 0 || !strings.Contains(r.out, "race-explore on ext4-upstream, seed link-unlink-2007 exhaustive bound=2 reduce=true, 0 checks, shards 0/4 1/4 2/4 3/4: 83 sequences") {
		t.Errorf("merge of four shards: exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	if r := invoke(append([]string{"merge-campaign"}, shards("upstream", 3, "-reduce=false")...), ""); r.code != 0 || !strings.Contains(r.out, ": 90 sequences") {
		t.Errorf("merge of three unreduced shards: exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	if r := invoke(append([]string{"merge-campaign"}, logs[1:]...), ""); r.code != 2 || !strings.Contains(r.errOut, "shard 0/4 is missing") {
		t.Errorf("three shards of four: exit %d: %s", r.code, r.errOut)
	}
	// In 2.6.18 a shard finds the race: the merge fails.
	if r := invoke(append([]string{"merge-campaign"}, shards("pre2007", 2)...), ""); r.code != 1 || !strings.Contains(r.out, "race-explore on ext4-pre2007") {
		t.Errorf("merge of pre2007 shards: exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	// The environment names the shard when -shard does not.
	t.Setenv("RELINKSIM_SHARD", "1/4")
	if r := invoke([]string{"explore", "-era", "upstream", "link-unlink-2007"}, ""); r.code != 0 || !strings.Contains(r.out, "exhaustive, shard 1/4: ") || !strings.Contains(r.out, `"shards":["1/4"]`) {
		t.Errorf("RELINKSIM_SHARD=1/4: exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	t.Setenv("RELINKSIM_SHARD", "")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"explore", "-shard", "4/4", "link-unlink-2007"}, `shard "4/4": want i/n`},
		{[]string{"explore", "-strategy", "replay", "-schedule", "AB", "-shard", "0/2", "link-unlink-2007"}, "-shard is for"},
		{[]string{"explore", "-strategy", "pct", "-reduce", "link-unlink-2007"}, "-reduce is for the exhaustive strategy"},
	} {
		if r := invoke(c.args, ""); r.code != 2 || !strings.Contains(r.errOut, c.msg) {
			t.Errorf("relinksim %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), r.code, r.errOut, c.msg)
		}
	}
}
