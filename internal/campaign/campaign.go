package campaign

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Shard is shard Index of Count (Count 1: the whole campaign).
type Shard struct{ Index, Count int }

// Whole is the unsharded campaign.
var Whole = Shard{0, 1}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Owns reports whether sequence k is the shard's.
func (s Shard) Owns(k int) bool { return s.Count <= 1 || k%s.Count == s.Index }

// ParseShard reads "i/n", 0 <= i < n.
func ParseShard(text string) (Shard, error) {
	a, b, ok := strings.Cut(text, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n, such as 0/4", text)
	}
	return Shard{i, n}, nil
}

// ShardFromEnv is the shard a run is asked for: RELINKSIM_SHARD=i/n, or,
// in a Kubernetes Indexed Job, JOB_COMPLETION_INDEX with
// RELINKSIM_SHARDS=n; Whole when neither is set.
func ShardFromEnv() (Shard, error) {
	if s := os.Getenv("RELINKSIM_SHARD"); s != "" {
		return ParseShard(s)
	}
	if n := os.Getenv("RELINKSIM_SHARDS"); n != "" {
		return ParseShard(os.Getenv("JOB_COMPLETION_INDEX") + "/" + n)
	}
	return Whole, nil
}

// Fact is a documented fact a campaign must exercise: at least one of
// Outcomes (keys of Summary.Tally) must occur in a campaign of
// MinSequences or more.
type Fact struct {
	ID       string   `json:"id"`
	What     string   `json:"what"`
	Outcomes []string `json:"outcomes"`
}

// Cuts counts the cut scripts of a campaign (checkpoint, kill and restart
// at a drawn point of each sequence).
type Cuts struct {
	Sequences    int            `json:"sequences"`     // sequences whose plain comparison passed
	Cuts         int            `json:"cuts"`          // cut scripts compared with the real kernel
	WithUnlinked int            `json:"with_unlinked"` // cuts with an open-unlinked file
	Relinked     int            `json:"relinked"`      // files the checkpoints relinked
	Documented   map[string]int `json:"documented"`    // checkpoints failing as documented, by reason
	Ended        int            `json:"ended"`         // comparisons ended at a refused remount
	NoCut        int            `json:"no_cut"`        // sequences without an eligible cut point
	Points       int            `json:"points"`        // cut points considered
	Ineligible   map[string]int `json:"ineligible"`    // points ruled out, by reason
	Unsteady     int            `json:"unsteady"`      // sequences not cut: the kernel was not steady
}

// The campaigns that write summaries, by the name in Summary.Campaign.
const (
	// KernelDifferential is TestKernelDifferential (tmpfs),
	// TestKernelDifferentialExt4 and TestKernelDifferentialBtrfs in
	// package script: generated sequences on the simulator and the real
	// kernel, and each cut by a checkpoint and restart.
	KernelDifferential = "kernel-differential"
	// CheckpointInvisible is TestCheckpointIsInvisible in package ckpt:
	// a checkpoint, kill and restart at a drawn cut of a generated script
	// changes nothing it prints but for the documented divergences.
	CheckpointInvisible = "checkpoint-invisible"
	// CheckpointFaults is TestFaultsAreHarmless in package ckpt: a drawn
	// kernel call of the checkpoint and of the restart fails, and each
	// leaves nothing behind, and a retry succeeds.
	CheckpointFaults = "checkpoint-faults"
)

// Summary is the verdict of one run of a campaign, or of several shards
// merged.
type Summary struct {
	Campaign string `json:"campaign"` // KernelDifferential, CheckpointInvisible, ...
	// Backend is what the campaign ran on: the filesystem (tmpfs, ext4,
	// btrfs), or for a checkpoint campaign its case (filesystem and era,
	// "ext4-relink2011-fixed", "btrfs-tasks").
	Backend string `json:"backend"`
	Seed    string `json:"seed"`   // the seed every shard drew from
	Checks  int    `json:"checks"` // the sequences of the whole campaign
	// Shards are the shards merged ("0/4", ...); "0/1" for a whole run.
	Shards    []string       `json:"shards"`
	Sequences int            `json:"sequences"`
	Ops       int            `json:"ops"`
	Unsteady  int            `json:"unsteady"` // sequences the real kernel answered differently on a rerun
	Tally     map[string]int `json:"tally"`    // ops drawn and outcomes, by name
	// Cuts are the kernel differential's cut scripts.
	Cuts  Cuts   `json:"cuts,omitzero"`
	Facts []Fact `json:"facts,omitempty"`
	// Counts are what a campaign exercised, by name (cut points,
	// checkpoints taken, files relinked, faults injected, ...); Merge
	// sums them.
	Counts map[string]int `json:"counts,omitempty"`
	// Shares are the campaign's requirements on its Counts, judged on the
	// whole campaign.
	Shares []Share `json:"shares,omitempty"`
	// Divergences counts the runs that failed: diverged from the real
	// kernel, or broke the campaign's property (each stops its shard).
	Divergences int `json:"divergences"`
	// SimSeconds and KernelSeconds are the time spent on each side.
	SimSeconds    float64 `json:"sim_seconds"`
	KernelSeconds float64 `json:"kernel_seconds"`
}

// Share is a requirement on a campaign's Counts: Part must be at least Min
// (0 to 1) of Of, and Of not zero, once the campaign has From sequences
// or more (0: whatever its size).
type Share struct {
	What string  `json:"what"` // what Part counts, for the message
	Part string  `json:"part"`
	Of   string  `json:"of"`
	Min  float64 `json:"min"`
	From int     `json:"from,omitempty"`
}

// MinSequences is the size from which a campaign must exercise its facts
// and its cuts must have had open-unlinked files.
const MinSequences = 1000

// MinCutUnlinkedShare is the share of cuts that must have had an
// open-unlinked file in a campaign of MinSequences or more: fewer and the
// cut check proves little about relinking.
const MinCutUnlinkedShare = 0.3

// Problems are the campaign's requirements its counts miss.
func (s *Summary) Problems() []string {
	var out []string
	if s.Sequences >= MinSequences {
		for _, f := range s.Facts {
			n := 0
			for _, o := range f.Outcomes {
				n += s.Tally[o]
			}
			if n == 0 {
				out = append(out, fmt.Sprintf("fact %s (%s) was not exercised: none of %v in %d sequences", f.ID, f.What, f.Outcomes, s.Sequences))
			}
		}
		c := s.Cuts
		if s.Campaign == KernelDifferential && (c.Cuts == 0 || float64(c.WithUnlinked) < MinCutUnlinkedShare*float64(c.Cuts)) {
			out = append(out, fmt.Sprintf("cut scripts: only %d of %d cuts had an open-unlinked file (want at least %.0f%%): the check proves little", c.WithUnlinked, c.Cuts, 100*MinCutUnlinkedShare))
		}
	}
	for _, r := range s.Shares {
		if s.Sequences < r.From {
			continue
		}
		part, of := s.Counts[r.Part], s.Counts[r.Of]
		if of == 0 || float64(part) < r.Min*float64(of) {
			out = append(out, fmt.Sprintf("only %d of %d %s (want at least %.0f%%): the campaign proves little", part, of, r.What, 100*r.Min))
		}
	}
	if s.Unsteady > max(3, s.Sequences/100) {
		out = append(out, fmt.Sprintf("%d of %d sequences got different answers from the real kernel on a rerun: too many to set aside", s.Unsteady, s.Sequences))
	}
	if s.Divergences > 0 {
		what := "broke the campaign's property"
		if s.Campaign == KernelDifferential {
			what = "diverged from the real kernel"
		}
		out = append(out, fmt.Sprintf("%d shard(s) %s or could not run: see their logs", s.Divergences, what))
	} else if s.sharded() && s.Sequences < s.Checks {
		// A shard ends early when rapid stops it before the test's
		// -timeout: it passes, and its sequences are missing.
		out = append(out, fmt.Sprintf("the shards ran %d of the campaign's %d sequences: a shard stopped early (rapid stops a run as it nears go test's -timeout, or after 24 h with -timeout 0): rerun it with a longer -timeout, or run more shards", s.Sequences, s.Checks))
	}
	return out
}

// sharded reports whether the summary is of a campaign run as shards.
func (s *Summary) sharded() bool {
	for _, sh := range s.Shards {
		if p, err := ParseShard(sh); err == nil && p.Count > 1 {
			return true
		}
	}
	return false
}

// Throughput describes the sequences per second on each side.
func (s *Summary) Throughput() string {
	rate := func(sec float64) string {
		if sec <= 0 {
			return "-"
		}
		return strconv.FormatFloat(float64(s.Sequences)/sec, 'f', 1, 64)
	}
	if s.Campaign != KernelDifferential && s.KernelSeconds == 0 {
		return fmt.Sprintf("%s sequences/s on the simulator (%.1f s)", rate(s.SimSeconds), s.SimSeconds)
	}
	return fmt.Sprintf("%s sequences/s on the simulator (%.1f s), %s on the real kernel (%.1f s)", rate(s.SimSeconds), s.SimSeconds, rate(s.KernelSeconds), s.KernelSeconds)
}

const prefix = "relinksim campaign summary: "

// Line is the summary as one line a log keeps and Parse finds.
func (s *Summary) Line() string {
	b, err := json.Marshal(s)
	if err != nil {
		panic("campaign: " + err.Error()) // maps of strings and ints always marshal
	}
	return prefix + string(b)
}

// Parse finds the summary lines in a log (go test -v output, say), with
// the line number of each for errors.
func Parse(name string, r io.Reader) ([]*Summary, error) {
	var out []*Summary
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		_, rest, ok := strings.Cut(sc.Text(), prefix)
		if !ok {
			continue
		}
		s := new(Summary)
		if err := json.Unmarshal([]byte(rest), s); err != nil {
			return nil, fmt.Errorf("%s:%d: a summary line that does not parse: %v", name, line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// Merge sums summaries of the shards of campaigns: one result for each
// campaign, backend and seed, in the order first seen. The shards of a
// result must share the checks and the shard count, and together be every
// shard exactly once.
func Merge(ss []*Summary) ([]*Summary, error) {
	type key struct{ campaign, backend, seed string }
	var order []key
	groups := map[key][]*Summary{}
	for _, s := range ss {
		k := key{s.Campaign, s.Backend, s.Seed}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], s)
	}
	var out []*Summary
	for _, k := range order {
		g := groups[k]
		m := &Summary{Campaign: k.campaign, Backend: k.backend, Seed: k.seed, Checks: g[0].Checks, Facts: g[0].Facts, Shares: g[0].Shares}
		seen := map[string]bool{}
		count := -1
		for _, s := range g {
			if s.Checks != m.Checks {
				return nil, fmt.Errorf("%s on %s, seed %s: shards of %d and %d checks", k.campaign, k.backend, k.seed, m.Checks, s.Checks)
			}
			if fmt.Sprint(s.Facts, s.Shares) != fmt.Sprint(m.Facts, m.Shares) {
				return nil, fmt.Errorf("%s on %s, seed %s: shards with different requirements (facts, shares): run every shard from the same commit", k.campaign, k.backend, k.seed)
			}
			for _, sh := range s.Shards {
				p, err := ParseShard(sh)
				if err != nil {
					return nil, err
				}
				if count < 0 {
					count = p.Count
				}
				if p.Count != count {
					return nil, fmt.Errorf("%s on %s, seed %s: shards of %d and of %d", k.campaign, k.backend, k.seed, count, p.Count)
				}
				if seen[sh] {
					return nil, fmt.Errorf("%s on %s, seed %s: shard %s twice", k.campaign, k.backend, k.seed, sh)
				}
				seen[sh] = true
				m.Shards = append(m.Shards, sh)
			}
			m.Sequences += s.Sequences
			m.Ops += s.Ops
			m.Unsteady += s.Unsteady
			m.Divergences += s.Divergences
			m.SimSeconds += s.SimSeconds
			m.KernelSeconds += s.KernelSeconds
			addAll(&m.Tally, s.Tally)
			addAll(&m.Counts, s.Counts)
			c := &m.Cuts
			c.Sequences += s.Cuts.Sequences
			c.Cuts += s.Cuts.Cuts
			c.WithUnlinked += s.Cuts.WithUnlinked
			c.Relinked += s.Cuts.Relinked
			c.Ended += s.Cuts.Ended
			c.NoCut += s.Cuts.NoCut
			c.Points += s.Cuts.Points
			c.Unsteady += s.Cuts.Unsteady
			addAll(&c.Documented, s.Cuts.Documented)
			addAll(&c.Ineligible, s.Cuts.Ineligible)
		}
		for i := range count {
			if sh := (Shard{i, count}).String(); !seen[sh] {
				return nil, fmt.Errorf("%s on %s, seed %s: shard %s is missing", k.campaign, k.backend, k.seed, sh)
			}
		}
		slices.SortFunc(m.Shards, func(a, b string) int {
			pa, _ := ParseShard(a)
			pb, _ := ParseShard(b)
			return pa.Index - pb.Index
		})
		out = append(out, m)
	}
	return out, nil
}

// addAll adds src's counts to *dst, which it makes when src is not nil:
// a merged map is nil only when every shard's is.
func addAll(dst *map[string]int, src map[string]int) {
	if src == nil {
		return
	}
	if *dst == nil {
		*dst = map[string]int{}
	}
	for _, k := range slices.Sorted(maps.Keys(src)) {
		(*dst)[k] += src[k]
	}
}
