package campaign

import (
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		ok   bool
	}{{"0/1", Whole, true}, {"3/4", Shard{3, 4}, true}, {"4/4", Shard{}, false}, {"-1/4", Shard{}, false}, {"1/0", Shard{}, false}, {"1", Shard{}, false}, {"a/b", Shard{}, false}} {
		got, err := ParseShard(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v", c.in, got, err)
		}
	}
	for k := range 12 {
		owners := 0
		for i := range 3 {
			if (Shard{i, 3}).Owns(k) {
				owners++
			}
		}
		if owners != 1 || !Whole.Owns(k) {
			t.Errorf("sequence %d has %d owners among 3 shards", k, owners)
		}
	}
}

func shard(sh string, seqs int, tally map[string]int) *Summary {
	return &Summary{Campaign: "kernel-differential", Backend: "ext4", Seed: "42", Checks: 1200, Shards: []string{sh},
		Sequences: seqs, Ops: 40 * seqs, Tally: tally,
		Cuts:  Cuts{Sequences: seqs, Cuts: seqs, WithUnlinked: seqs / 2, Ineligible: map[string]int{"x": 1}},
		Facts: []Fact{{ID: "10", What: "EXDEV", Outcomes: []string{"link:EXDEV", "rename:EXDEV"}}}}
}

// Shards merge into one summary, through their log lines, and the
// campaign's requirements are judged on the whole: each shard alone is
// under MinSequences, the whole is not.
func TestMerge(t *testing.T) {
	var log strings.Builder
	for i, sh := range []string{"1/2", "0/2"} {
		log.WriteString("=== RUN TestKernelDifferentialExt4\n    differential_linux_test.go:210: " + shard(sh, 600, map[string]int{"link:EXDEV": i}).Line() + "\n")
	}
	ss, err := Parse("log", strings.NewReader(log.String()))
	if err != nil || len(ss) != 2 {
		t.Fatalf("Parse: %d summaries, %v", len(ss), err)
	}
	m, err := Merge(ss)
	if err != nil || len(m) != 1 {
		t.Fatalf("Merge: %v, %v", m, err)
	}
	s := m[0]
	if s.Sequences != 1200 || s.Ops != 48000 || s.Tally["link:EXDEV"] != 1 || s.Cuts.Ineligible["x"] != 2 || strings.Join(s.Shards, " ") != "0/2 1/2" {
		t.Errorf("merged: %+v", s)
	}
	if p := s.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
	// The fact unexercised, and too few cuts with an open-unlinked file.
	s.Tally["link:EXDEV"] = 0
	s.Cuts.WithUnlinked = 10
	if p := s.Problems(); len(p) != 2 {
		t.Errorf("problems: %q, want the fact and the cuts", p)
	}
	for _, c := range []struct {
		name   string
		shards []*Summary
		want   string
	}{
		{"missing", []*Summary{shard("0/3", 1, nil), shard("2/3", 1, nil)}, "shard 1/3 is missing"},
		{"twice", []*Summary{shard("0/2", 1, nil), shard("0/2", 1, nil), shard("1/2", 1, nil)}, "shard 0/2 twice"},
		{"counts", []*Summary{shard("0/2", 1, nil), shard("1/3", 1, nil)}, "shards of 2 and of 3"},
	} {
		if _, err := Merge(c.shards); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := Parse("log", strings.NewReader("x "+prefix+"{not json\n")); err == nil || !strings.Contains(err.Error(), "log:1:") {
		t.Errorf("a bad line: %v", err)
	}
}

func ckptShard(sh string, seqs, unlinked int) *Summary {
	return &Summary{Campaign: CheckpointInvisible, Backend: "ext4-tasks", Seed: "7", Checks: 200, Shards: []string{sh},
		Sequences: seqs, Ops: 40 * seqs, Tally: map[string]int{"checkpoint-at-cut:ok": seqs},
		Counts: map[string]int{"cuts": seqs, "cuts_with_unlinked": unlinked, "relinked": 2 * unlinked},
		Shares: []Share{{What: "cut points with an open-unlinked file", Part: "cuts_with_unlinked", Of: "cuts", Min: 0.3}}}
}

// A checkpoint campaign's counts merge, its share of cut points with an
// open-unlinked file is judged on the whole (one shard alone is under
// it), the kernel differential's own requirements (cut scripts, facts)
// do not apply to it, and a shard that ran fewer sequences than it owns
// is a problem of the merged campaign.
func TestMergeCounts(t *testing.T) {
	m, err := Merge([]*Summary{ckptShard("0/2", 100, 20), ckptShard("1/2", 100, 50)})
	if err != nil || len(m) != 1 {
		t.Fatalf("Merge: %v, %v", m, err)
	}
	s := m[0]
	if s.Counts["cuts"] != 200 || s.Counts["cuts_with_unlinked"] != 70 || s.Counts["relinked"] != 140 || s.Tally["checkpoint-at-cut:ok"] != 200 {
		t.Errorf("merged: %+v", s)
	}
	if p := s.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
	if p := ckptShard("0/1", 200, 20).Problems(); len(p) != 1 || !strings.Contains(p[0], "only 20 of 200 cut points with an open-unlinked file (want at least 30%)") {
		t.Errorf("a whole run under the share: %q", p)
	}
	if !strings.Contains(s.Throughput(), "on the simulator") || strings.Contains(s.Throughput(), "real kernel") {
		t.Errorf("throughput: %s", s.Throughput())
	}
	// Fewer sequences than the campaign's checks: a shard stopped early.
	m, _ = Merge([]*Summary{ckptShard("0/2", 100, 50), ckptShard("1/2", 90, 50)})
	if p := m[0].Problems(); len(p) != 1 || !strings.Contains(p[0], "the shards ran 190 of the campaign's 200 sequences") {
		t.Errorf("a short shard: %q", p)
	}
	// A failed shard is a problem, of its own kind.
	bad := ckptShard("1/2", 3, 3)
	bad.Divergences = 1
	m, _ = Merge([]*Summary{ckptShard("0/2", 100, 50), bad})
	if p := m[0].Problems(); len(p) != 1 || !strings.Contains(p[0], "1 shard(s) broke the campaign's property") {
		t.Errorf("a failed shard: %q", p)
	}
	// Shards that disagree on the requirements (run from other commits).
	other := ckptShard("1/2", 100, 50)
	other.Shares[0].Min = 0.4
	if _, err := Merge([]*Summary{ckptShard("0/2", 100, 50), other}); err == nil || !strings.Contains(err.Error(), "different requirements") {
		t.Errorf("requirements differ: %v", err)
	}
	// Through a log line and back.
	ss, err := Parse("log", strings.NewReader("    x_test.go:1: "+ckptShard("0/1", 200, 100).Line()+"\n"))
	if err != nil || len(ss) != 1 || ss[0].Counts["relinked"] != 200 || len(ss[0].Shares) != 1 || strings.Contains(ss[0].Line(), `"cuts":{`) {
		t.Errorf("Parse: %v %v", ss, err)
	}
}
