package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

// cmdExplore runs a scenario of the race explorer's bug library: exit 0
// when no schedule within the budget breaks a check, 1 with the failing
// run's timeline when one does, 2 on bad usage.
func cmdExplore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fsName := fs.String("fs", "ext4", "filesystem: ext4, btrfs or tmpfs")
	variant := fs.String("variant", "upstream", "kernel era: pre2007, sandeen-rfc, enoent2007, relink2011, upstream")
	strategy := fs.String("strategy", "exhaustive", "rapid, pct, exhaustive, or replay (with -schedule)")
	seed := fs.Uint64("seed", 1, "seed for rapid and pct")
	budget := fs.Int("budget", 0, "schedules to run at most (0: 1,000 for rapid and pct, all for exhaustive)")
	bound := fs.Int("bound", 2, "preemption bound of the exhaustive search")
	depth := fs.Int("depth", 3, "bug depth for pct")
	schedule := fs.String("schedule", "", "schedule to replay (one task letter per decision, as a report prints it)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "relinksim explore: name one scenario: %s\n", strings.Join(race.Names(), ", "))
		return 2
	}
	sc := race.Library[fs.Arg(0)]
	if sc == nil {
		fmt.Fprintf(stderr, "relinksim explore: unknown scenario %q (want one of %s)\n", fs.Arg(0), strings.Join(race.Names(), ", "))
		return 2
	}
	era, err := vfs.ParseEra(*variant)
	if err != nil {
		fmt.Fprintln(stderr, "relinksim explore:", err)
		return 2
	}
	cfg := race.Config{Era: era, FS: *fsName}
	var rep *race.Report
	if *strategy == "replay" {
		o, err := race.Run(sc, cfg, &race.Replay{Schedule: *schedule})
		if err != nil {
			fmt.Fprintln(stderr, "relinksim explore:", err)
			return 2
		}
		rep = &race.Report{Strategy: "replay", Schedules: 1, Steps: o.Steps}
		if o.Failed() {
			rep.Failure = o
		} else {
			fmt.Fprint(stdout, o.Timeline())
		}
	} else {
		rep, err = race.Explore(sc, cfg, race.Options{
			Strategy: *strategy, Budget: *budget, Seed: *seed, Bound: *bound, Depth: *depth,
			Progress: func(n int) { fmt.Fprintf(stderr, "relinksim explore: %d schedules...\n", n) },
		})
		if err != nil {
			fmt.Fprintln(stderr, "relinksim explore:", err)
			return 2
		}
	}
	fmt.Fprintf(stdout, "%s on %s, era %s, %s: %d schedules, %d scheduler steps", sc.Name, *fsName, era, rep.Strategy, rep.Schedules, rep.Steps)
	if rep.Complete {
		fmt.Fprintf(stdout, " (every schedule with at most %d preemptions)", *bound)
	}
	if rep.Failure == nil {
		fmt.Fprintln(stdout, ": no check failed")
		return 0
	}
	fmt.Fprintln(stdout, ": a check failed")
	if f := rep.Found; f != nil {
		how := rep.Strategy
		switch {
		case rep.Strategy == "rapid" && *seed == 0:
			how = "rapid with a seed of its own (pass -seed to replay)"
		case rep.Strategy == "rapid" || rep.Strategy == "pct":
			how = fmt.Sprintf("%s with -seed %d", rep.Strategy, *seed)
		}
		fmt.Fprintf(stdout, "found by %s as schedule %s (%s); minimized to %s\n",
			how, f.Schedule, preemptions(f.Preemptions), preemptions(rep.Failure.Preemptions))
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, rep.Failure.Timeline())
	return 1
}

// preemptions says "1 preemption", "2 preemptions".
func preemptions(n int) string {
	if n == 1 {
		return "1 preemption"
	}
	return fmt.Sprintf("%d preemptions", n)
}
