package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/relinksim/relinksim/internal/campaign"
)

var mergeCampaignCommand = &command{
	name:     "merge-campaign",
	synopsis: "LOG... (or - for standard input)",
	summary:  "merge the summaries of the shards of a campaign (kernel differential, checkpoint/restart)",
	help: func() string {
		return `Merge-campaign reads the logs of the shards of a campaign — go test -v
output run with RELINKSIM_SHARD=i/n (or, in a Kubernetes Indexed Job,
JOB_COMPLETION_INDEX and RELINKSIM_SHARDS=n) and one fixed RAPID_SEED and
RAPID_CHECKS — finds each run's summary lines ("relinksim campaign
summary: {...}"), and prints one summary per campaign and backend. The
campaigns (docs/campaigns.md):

  kernel-differential   TestKernelDifferential, TestKernelDifferentialExt4,
                        TestKernelDifferentialBtrfs (./script, real kernel)
  checkpoint-invisible  TestCheckpointIsInvisible (./ckpt), one per case
  checkpoint-faults     TestFaultsAreHarmless (./ckpt), one per case
  race-explore          relinksim explore -shard i/n (its output, not go
                        test's), one per search

A kernel-differential summary has the sequences and ops of all shards,
the outcomes tallied, the cut scripts and the throughput on each side; a
checkpoint one its counts (cut points, those with an open-unlinked file,
checkpoints taken, files relinked, faults injected). It then applies the
campaign's requirements to the whole (the facts it must exercise, the
share of cuts with an open-unlinked file, the real kernel's steadiness,
every sequence run), which a shard alone does not.

Shard i of n runs exactly the sequences whose index is i modulo n of the
unsharded campaign with the same seed and RAPID_CHECKS, so n machines
cover it between them. For example, four shards as a CI matrix or on four
machines:

  RELINKSIM_HOST_TESTS=1 RAPID_SEED=42 RAPID_CHECKS=100000 RELINKSIM_SHARD=2/4 \
    go test -count=1 -run '^TestKernelDifferentialExt4$' -v -timeout 0 ./script > shard-2.log
  relinksim merge-campaign shard-*.log

As a Kubernetes Indexed Job: completions: 4, completionMode: Indexed, and
RELINKSIM_SHARDS=4 in the pod's environment (the Job sets
JOB_COMPLETION_INDEX); collect the pods' logs and merge them.

Exit status: 0 when every shard is there once and the merged campaign
meets its requirements; 1 when it does not, or a shard failed; 2 on a
usage error, an unreadable log, a log without a summary, or shards that
overlap, miss or disagree on the seed, the campaign's size or its
requirements.`
	},
	flags: func() (*flag.FlagSet, any) { return flag.NewFlagSet("merge-campaign", flag.ContinueOnError), nil },
	run:   cmdMergeCampaign,
}

func cmdMergeCampaign(c *command, fs *flag.FlagSet, _ any, stdin io.Reader, stdout, stderr io.Writer) int {
	if fs.NArg() == 0 {
		return c.usageError(stderr, "name the logs of the shards (or - for standard input)")
	}
	var all []*campaign.Summary
	for _, name := range fs.Args() {
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintf(stderr, "relinksim merge-campaign: %v\n", err)
				return 2
			}
			defer f.Close()
			r = f
		}
		ss, err := campaign.Parse(name, r)
		if err != nil {
			fmt.Fprintf(stderr, "relinksim merge-campaign: %v\n", err)
			return 2
		}
		if len(ss) == 0 {
			fmt.Fprintf(stderr, "relinksim merge-campaign: %s: no campaign summary line (run the campaign with go test -v)\n", name)
			return 2
		}
		all = append(all, ss...)
	}
	merged, err := campaign.Merge(all)
	if err != nil {
		fmt.Fprintf(stderr, "relinksim merge-campaign: %v\n", err)
		return 2
	}
	code := 0
	for _, s := range merged {
		fmt.Fprintf(stdout, "%s on %s, seed %s, %d checks, shards %s: %d sequences, %d ops",
			s.Campaign, s.Backend, s.Seed, s.Checks, strings.Join(s.Shards, " "), s.Sequences, s.Ops)
		if s.Campaign == campaign.KernelDifferential {
			fmt.Fprintf(stdout, ", %d unsteady\n", s.Unsteady)
			c := s.Cuts
			fmt.Fprintf(stdout, "  cuts: %d of %d sequences cut, %d with an open-unlinked file, %d files relinked, %d points ruled out of %d\n",
				c.Cuts, c.Sequences, c.WithUnlinked, c.Relinked, sum(c.Ineligible), c.Points)
		} else {
			fmt.Fprintln(stdout)
		}
		if len(s.Counts) > 0 {
			var counts []string
			for _, k := range slices.Sorted(maps.Keys(s.Counts)) {
				counts = append(counts, fmt.Sprintf("%s=%d", k, s.Counts[k]))
			}
			fmt.Fprintf(stdout, "  counts: %s\n", strings.Join(counts, " "))
		}
		fmt.Fprintf(stdout, "  throughput: %s\n", s.Throughput())
		problems := s.Problems()
		for _, p := range problems {
			fmt.Fprintf(stdout, "  FAILED: %s\n", p)
		}
		if len(problems) > 0 {
			code = 1
		} else {
			fmt.Fprintln(stdout, "  ok: every requirement met")
		}
		fmt.Fprintln(stdout, "  "+s.Line())
	}
	return code
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
