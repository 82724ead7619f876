package campaigntest

import (
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/internal/campaign"
)

// Property runs prop only on the checks of shard sh: rapid's k-th check
// (k from 0) is the shard's when sh owns k, and rapid derives its seed
// from the first seed and k alone, so the shards of a campaign run
// exactly its checks between them. The checks of other shards return at
// once. Once a check fails every later call runs: rapid is then shrinking
// the failure, and must see each of its attempts.
//
// The partition holds as long as prop never rejects what it drew
// (rt.Skip, a rapid filter that gives up): rapid replaces a rejected
// check by one more, which moves every later index.
func Property(sh campaign.Shard, prop func(rt *rapid.T, k int)) func(*rapid.T) {
	calls, failed := 0, false
	return func(rt *rapid.T) {
		k := calls
		calls++
		if !failed && !sh.Owns(k) {
			return
		}
		defer func() {
			if r := recover(); r != nil {
				failed = true
				panic(r)
			}
			if rt.Failed() {
				failed = true
			}
		}()
		prop(rt, k)
	}
}

// Shard is the shard this run is asked for (RELINKSIM_SHARD=i/n, or
// JOB_COMPLETION_INDEX with RELINKSIM_SHARDS=n), and the seed and checks
// of the whole campaign (rapid's: -rapid.seed or RAPID_SEED,
// -rapid.checks or RAPID_CHECKS, a fifth of it with -short). A shard
// needs a fixed seed: with rapid's own random one each shard would draw
// another campaign.
func Shard(t testing.TB) (campaign.Shard, string, int) {
	t.Helper()
	sh, err := campaign.ShardFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	seed, checks := "0", 100
	if f := flag.Lookup("rapid.seed"); f != nil {
		seed = f.Value.String()
	}
	if f := flag.Lookup("rapid.checks"); f != nil {
		fmt.Sscan(f.Value.String(), &checks)
	}
	if testing.Short() {
		checks /= 5 // as rapid does
	}
	if sh.Count > 1 && seed == "0" {
		t.Fatalf("shard %s: a sharded campaign needs a fixed seed (RAPID_SEED=N or -rapid.seed=N), the same for every shard", sh)
	}
	return sh, seed, checks
}

// RefuseReplays fails a sharded or traced (TraceEnv) run of the test t
// when rapid would first replay fail files of earlier failures
// (replays): each replay is a call of the property, which would move the
// index of every check of the campaign, and a shard that does not own
// index 0 would not even reproduce the failure. A campaign calls it once
// its summary line is sure to be written, so that the merge sees the
// shard fail.
func RefuseReplays(t testing.TB, sh campaign.Shard) {
	t.Helper()
	files := replays(t.Name())
	if len(files) == 0 || (sh.Count <= 1 && os.Getenv(TraceEnv) != "1") {
		return
	}
	t.Fatalf("shard %s: rapid would first replay %s, which moves the index of every check of the campaign: "+
		"reproduce a failure unsharded (without RELINKSIM_SHARD and RELINKSIM_SHARDS), and remove the fail files (they are not committed) before a sharded run",
		sh, strings.Join(files, ", "))
}

// replays are the fail files rapid replays before it draws a test's
// first check: -rapid.failfile, and those of earlier failures in
// testdata/rapid/NAME/NAME-*.fail, NAME the test's name as rapid (v1.3.0,
// persist.go) writes it.
func replays(test string) []string {
	var out []string
	if f := flag.Lookup("rapid.failfile"); f != nil && f.Value.String() != "" {
		out = append(out, f.Value.String())
	}
	name := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, test)
	matches, _ := filepath.Glob(filepath.Join("testdata", "rapid", name, name+"-*.fail"))
	return append(out, matches...)
}

// TraceEnv is the environment variable that makes Check print a trace
// line for every check it runs.
const TraceEnv = "RELINKSIM_CAMPAIGN_TRACE"

const tracePrefix = "relinksim campaign trace: "

// Check runs prop as a campaign: as the shard this run is asked for
// (Shard, Property), recording in s the seed, the checks, the shard, the
// sequences that passed and the time they took. prop adds what it
// exercised to s (Ops, Tally, Counts) and returns what it drew as text (a
// script, say), which a traced run (TraceEnv=1) prints a hash of.
//
// The run ends, however it ends, with s's summary line and its
// throughput. A whole run (no shard asked for) that passed then judges
// s.Problems; a shard leaves them to relinksim merge-campaign, which
// judges them on the merged campaign. s must name its Campaign and
// Backend.
func Check(t *testing.T, s *campaign.Summary, prop func(rt *rapid.T, k int) string) {
	t.Helper()
	sh, seed, checks := Shard(t)
	s.Seed, s.Checks, s.Shards = seed, checks, []string{sh.String()}
	trace := os.Getenv(TraceEnv) == "1"
	var took time.Duration
	defer func() {
		t.Helper()
		s.SimSeconds = took.Seconds()
		if t.Failed() {
			s.Divergences = 1
		}
		t.Log(s.Line())
		t.Logf("%s on %s: shard %s: %d sequences, %s", s.Campaign, s.Backend, sh, s.Sequences, s.Throughput())
		if sh.Count == 1 && !t.Failed() {
			for _, p := range s.Problems() {
				t.Error(p)
			}
		}
	}()
	RefuseReplays(t, sh)
	rapid.Check(t, Property(sh, func(rt *rapid.T, k int) {
		start := time.Now()
		defer func() { took += time.Since(start) }()
		drawn := prop(rt, k)
		s.Sequences++
		if trace {
			h := fnv.New64a()
			h.Write([]byte(drawn))
			fmt.Printf("%s%s %d %x\n", tracePrefix, t.Name(), k, h.Sum64())
		}
	}))
}

// CheckPartition checks that a campaign run as n shards runs exactly the
// sequences of the whole: it runs the campaign test that run selects (a
// -test.run pattern naming tests that call Check) in child processes of
// the test binary, with -rapid.seed=seed and -rapid.checks=checks, whole
// and as shards 0/n to n-1/n (RELINKSIM_SHARD), traced (TraceEnv), in
// an empty working directory (the tests must not read testdata). Each
// of the whole's checks 0 to checks-1 must be in exactly one shard, the
// one its index names, with the same hash; no shard may run another; and
// the shards' summary lines must merge (campaign.Merge) into exactly the
// whole's summary, times aside, with no problem.
func CheckPartition(t *testing.T, run string, seed, checks, n int) {
	t.Helper()
	type key struct {
		test string
		k    int
	}
	child := func(shard string) (map[key]string, []*campaign.Summary) {
		cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v", "-test.count=1",
			"-rapid.seed="+strconv.Itoa(seed), "-rapid.checks="+strconv.Itoa(checks), "-rapid.nofailfile")
		cmd.Env = append(os.Environ(), "RELINKSIM_SHARD="+shard, "RELINKSIM_SHARDS=", TraceEnv+"=1")
		// In an empty directory: no fail file of an earlier run
		// (testdata/rapid) is replayed.
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("shard %q: %v\n%s", shard, err, out)
		}
		seqs := map[key]string{}
		for _, l := range strings.Split(string(out), "\n") {
			_, rest, ok := strings.Cut(l, tracePrefix)
			if !ok {
				continue
			}
			var x key
			var h string
			f := strings.Fields(rest)
			if len(f) != 3 {
				t.Fatalf("shard %q: a trace line that does not parse: %q", shard, l)
			}
			x.test, h = f[0], f[2]
			x.k, err = strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("shard %q: a trace line that does not parse: %q", shard, l)
			}
			if _, dup := seqs[x]; dup {
				t.Fatalf("shard %q: %s ran sequence %d twice", shard, x.test, x.k)
			}
			seqs[x] = h
		}
		sums, err := campaign.Parse("shard "+shard, strings.NewReader(string(out)))
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) == 0 {
			t.Fatalf("shard %q: no summary line:\n%s", shard, out)
		}
		return seqs, sums
	}
	whole, wholeSums := child("")
	tests := map[string]int{}
	for x := range whole {
		tests[x.test]++
	}
	if len(tests) == 0 {
		t.Fatalf("%s ran no traced sequence", run)
	}
	for name, got := range tests {
		if got != checks {
			t.Errorf("the whole campaign ran %d sequences of %s, want %d", got, name, checks)
		}
	}
	union := map[key]string{}
	var shardSums []*campaign.Summary
	for i := range n {
		seqs, sums := child(fmt.Sprintf("%d/%d", i, n))
		shardSums = append(shardSums, sums...)
		for x, h := range seqs {
			if x.k%n != i {
				t.Errorf("shard %d/%d ran sequence %d of %s", i, n, x.k, x.test)
			}
			if _, dup := union[x]; dup {
				t.Errorf("sequence %d of %s ran in two shards", x.k, x.test)
			}
			union[x] = h
		}
	}
	var diff []string
	for x, h := range whole {
		if union[x] != h {
			diff = append(diff, fmt.Sprintf("%s %d: whole %q, shards %q", x.test, x.k, h, union[x]))
		}
	}
	for x := range union {
		if _, ok := whole[x]; !ok {
			diff = append(diff, fmt.Sprintf("%s %d: only in the shards", x.test, x.k))
		}
	}
	slices.Sort(diff)
	if len(diff) > 0 {
		t.Errorf("the shards ran %d sequences, the whole %d; differing: %v", len(union), len(whole), diff)
	}

	t.Logf("%s: %d sequences in %d shards, as the whole ran them; %d summary lines", run, len(union), n, len(shardSums))
	merged, err := campaign.Merge(shardSums)
	if err != nil {
		t.Fatalf("the shards' summaries do not merge: %v", err)
	}
	if len(merged) != len(wholeSums) {
		t.Fatalf("%d merged summaries, the whole run has %d", len(merged), len(wholeSums))
	}
	for i, m := range merged {
		if p := m.Problems(); len(p) > 0 {
			t.Errorf("%s on %s, merged: %v", m.Campaign, m.Backend, p)
		}
		if got, want := comparable(m), comparable(wholeSums[i]); got != want {
			t.Errorf("the shards merge into\n%s\nthe whole run's summary is\n%s", got, want)
		}
	}
}

// comparable is s's line without what differs between a whole run and
// its shards merged: the times and the shard list.
func comparable(s *campaign.Summary) string {
	c := *s
	c.SimSeconds, c.KernelSeconds, c.Shards = 0, 0, nil
	return c.Line()
}
