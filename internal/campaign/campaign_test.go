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
	return &Summary{Campaign: "kernel-differential", Backend: "ext4", Seed: "42", Checks: 2000, Shards: []string{sh},
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
