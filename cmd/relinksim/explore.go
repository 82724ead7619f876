package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/internal/notebook"
	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/script"
)

var exploreCommand = &command{
	name:     "explore",
	synopsis: "[-fs NAME] [-era ERA] [-strategy exhaustive|pct|random|replay] [-shard i/n] [flags] SCENARIO|FILE",
	summary:  "explore the interleavings of a race: a library scenario or a scenario file",
	help: func() string {
		return `Explore runs a race — a scenario of the bug library, or a scenario file —
under many schedules of its tasks on a fresh -fs filesystem of era -era, and
checks every run (see package race). With -strategy exhaustive (the default)
it tries every schedule with at most -bound preemptions, pruned by
partial-order reduction unless -reduce=false (schedules that only reorder
independent steps of one already run are left out, which changes nothing
the search can find); with pct, -budget randomized runs seeded by -seed;
with random, -budget runs whose every decision is uniform among the
runnable tasks, seeded by -seed; with replay, the one -schedule a report
printed. It prints how many schedules and scheduler steps it explored,
and, when a check failed, the failing run minimized, as a timeline with
the schedule that replays it.

-shard i/n (or RELINKSIM_SHARD=i/n, or in a Kubernetes Indexed Job
JOB_COMPLETION_INDEX with RELINKSIM_SHARDS=n) runs shard i of n: a
disjoint part of the search, the same on every machine, the n shards
together running exactly the unsharded search's schedules (exhaustive:
subtrees of the schedule tree, numbered i modulo n; pct and random: the
runs numbered i modulo n). A sharded run ends with a summary line
("relinksim campaign summary: {...}": schedules, steps, whether the shard
completed its part, whether it failed), and relinksim merge-campaign
merges the shards' outputs into one verdict: the schedules and steps
summed, exit 0 when every shard is there once, completed and found no
failure. For example, on four machines:

  relinksim explore -era upstream -shard 2/4 link-unlink-2007 > shard-2.log
  relinksim merge-campaign shard-*.log

rapid's chooser is not here: it lives in package race/racecheck
(racecheck.Check) for Go property tests, and this command links neither
rapid nor testing.

Exit status: 0 when no check failed within the budget; 1 when one did; 2 on
a usage error, an unreadable or malformed scenario file
(FILE:LINE:COL: message), or a scenario that cannot run (an op of it that
cannot be carried out, a setup op that fails).`
	},
	more: func() string {
		var b strings.Builder
		b.WriteString("Library scenarios (SCENARIO; a file named like one is read as ./NAME):\n")
		for _, n := range race.Names() {
			sc := race.Library[n]
			var eras []string
			for _, e := range sc.Buggy {
				eras = append(eras, e.String())
			}
			first, _, _ := strings.Cut(sc.Doc, "\n")
			fmt.Fprintf(&b, "  %-18s buggy in %s\n      %s...\n", n, strings.Join(eras, ", "), first)
		}
		b.WriteString("\nScenario files (FILE):\n\n")
		for _, l := range strings.Split(race.ScenarioFileFormat, "\n") {
			if l == "" {
				b.WriteString("\n")
			} else {
				fmt.Fprintf(&b, "  %s\n", l)
			}
		}
		b.WriteString("\n")
		b.WriteString(filesystems())
		return b.String()
	},
	flags: func() (*flag.FlagSet, any) {
		fs := flag.NewFlagSet("explore", flag.ContinueOnError)
		o := &exploreFlags{}
		o.define(fs, "ext4")
		fs.Var(&o.variant, "variant", "deprecated alias of -era, still accepted: use -era `ERA`")
		fs.StringVar(&o.strategy, "strategy", "exhaustive", "`STRATEGY`: exhaustive (every schedule within -bound), pct (-budget runs from -seed, bug depth -depth), random (-budget runs of uniform choices from -seed), or replay (the one -schedule)")
		fs.Uint64Var(&o.seed, "seed", 1, "seed `N` of the pct and random strategies")
		fs.IntVar(&o.budget, "budget", 0, "run at most `N` schedules (0: 1,000 for pct and random, no limit for exhaustive)")
		fs.IntVar(&o.bound, "bound", 2, "preemption bound `N` of the exhaustive strategy")
		fs.BoolVar(&o.reduce, "reduce", true, "prune the exhaustive search with partial-order reduction (sleep sets); -reduce=false runs every schedule within -bound")
		fs.StringVar(&o.shard, "shard", "", "run shard `i/n` of the search (default: RELINKSIM_SHARD, or JOB_COMPLETION_INDEX/RELINKSIM_SHARDS, else all of it) and end with a summary line for merge-campaign")
		fs.IntVar(&o.depth, "depth", 3, "bug depth `N` of the pct strategy")
		fs.StringVar(&o.notebook, "notebook", "", "also write the lab notebook of the failing run (or, with -strategy replay, of the run) to `FILE`.html: the timeline and the picture of the kernel after every step")
		fs.StringVar(&o.schedule, "schedule", "", "`SCHEDULE` to replay with -strategy replay: one task letter per decision, as a report prints it")
		return fs, o
	},
	run: cmdExplore,
}

type exploreFlags struct {
	bootFlags
	variant              eraValue
	strategy, schedule   string
	notebook, shard      string
	seed                 uint64
	budget, bound, depth int
	reduce               bool
}

// cmdExplore runs a scenario: exit 0 when no schedule within the budget
// breaks a check, 1 with the failing run's timeline when one does, 2 when
// the command or the scenario is wrong.
func cmdExplore(c *command, fs *flag.FlagSet, opts any, _ io.Reader, stdout, stderr io.Writer) int {
	o := opts.(*exploreFlags)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if fs.NArg() != 1 {
		return c.usageError(stderr, "name one scenario (%s) or scenario file", strings.Join(race.Names(), ", "))
	}
	era := o.era.era
	if o.variant.set {
		if o.era.set && o.era.era != o.variant.era {
			return c.usageError(stderr, "-era %s and -variant %s disagree (-variant is a deprecated alias of -era)", o.era.era, o.variant.era)
		}
		era = o.variant.era
		fmt.Fprintln(stderr, "relinksim explore: -variant is deprecated; use -era")
	}
	switch o.strategy {
	case "exhaustive", "pct", "random":
		if set["schedule"] {
			return c.usageError(stderr, "-schedule needs -strategy replay")
		}
	case "replay":
		if o.schedule == "" {
			return c.usageError(stderr, "-strategy replay needs -schedule (as a report prints it)")
		}
		if set["shard"] {
			return c.usageError(stderr, "-shard is for the exhaustive, pct and random strategies, not replay")
		}
	case "rapid":
		return c.usageError(stderr, "-strategy rapid: rapid's chooser lives in package race/racecheck (racecheck.Check), for Go property tests; the command line links neither rapid nor testing (random draws uniform choices from -seed)")
	default:
		return c.usageError(stderr, "unknown -strategy %q (want exhaustive, pct, random or replay)", o.strategy)
	}
	if set["reduce"] && o.strategy != "exhaustive" {
		return c.usageError(stderr, "-reduce is for the exhaustive strategy")
	}
	shard, sharded := campaign.Whole, false
	if o.strategy != "replay" {
		var err error
		if set["shard"] {
			shard, err = campaign.ParseShard(o.shard)
			sharded = true
		} else if os.Getenv("RELINKSIM_SHARD") != "" || os.Getenv("RELINKSIM_SHARDS") != "" {
			shard, err = campaign.ShardFromEnv()
			sharded = true
		}
		if err != nil {
			return c.usageError(stderr, "%v", err)
		}
	}
	arg := fs.Arg(0)
	sc := race.Library[arg]
	if sc == nil {
		src, err := os.ReadFile(arg)
		if err != nil {
			if os.IsNotExist(err) {
				return c.usageError(stderr, "%q is neither a library scenario (%s) nor a file", arg, strings.Join(race.Names(), ", "))
			}
			fmt.Fprintf(stderr, "relinksim explore: %v\n", err)
			return 2
		}
		if sc, err = race.ParseScenarioFile(arg, src); err != nil {
			fmt.Fprintln(stderr, err) // FILE:LINE:COL: message
			return 2
		}
	}
	if o.strategy == "replay" {
		for i, r := range o.schedule {
			if r < 'A' || int(r-'A') >= len(sc.Tasks) {
				return c.usageError(stderr, "-schedule %s: decision %d is %q, not a task of %s (A to %c)", o.schedule, i+1, r, sc.Name, 'A'+len(sc.Tasks)-1)
			}
		}
	}
	cfg := race.Config{Era: era, FS: o.fs.name, Mkfs: o.mkfs, MountOptions: o.mntOps}
	var rep *race.Report
	if o.strategy == "replay" {
		out, err := race.Run(sc, cfg, &race.Replay{Schedule: o.schedule})
		if err != nil {
			reportRunError(stderr, sc, err)
			return 2
		}
		if out.Schedule != o.schedule {
			fmt.Fprintf(stderr, "relinksim explore: -schedule %s does not replay as given: the run took %s (a decision named a task that could not run, or the run needed more or fewer decisions)\n", o.schedule, out.Schedule)
			return 2
		}
		rep = &race.Report{Strategy: "replay", Schedules: 1, Steps: out.Steps}
		if out.Failed() {
			rep.Failure = out
		} else {
			fmt.Fprint(stdout, out.Timeline())
		}
	} else {
		opt := race.Options{
			Strategy: o.strategy, Budget: o.budget, Seed: o.seed, Bound: o.bound, Depth: o.depth,
			Reduce: o.reduce && o.strategy == "exhaustive", Shard: shard,
			Progress: func(n int) { fmt.Fprintf(stderr, "relinksim explore: %d schedules...\n", n) },
		}
		began := time.Now()
		var err error
		rep, err = race.Explore(sc, cfg, opt)
		if err != nil {
			reportRunError(stderr, sc, err)
			return 2
		}
		if sharded {
			// Printed last, whatever the verdict: merge-campaign reads it.
			line := rep.Summary(sc, cfg, opt, time.Since(began).Seconds()).Line()
			defer fmt.Fprintln(stdout, line)
		}
	}
	if o.notebook != "" {
		run := rep.Failure
		schedule := o.schedule
		if run != nil {
			schedule = run.Schedule
		}
		if run != nil || o.strategy == "replay" {
			page, err := notebook.WriteRace(sc, cfg, schedule)
			if err == nil {
				err = os.WriteFile(o.notebook, page, 0o644)
			}
			if err != nil {
				fmt.Fprintf(stderr, "relinksim explore: -notebook: %v\n", err)
				return 2
			}
		} else {
			fmt.Fprintf(stderr, "relinksim explore: -notebook: no run failed, so there is no notebook to write (replay one schedule with -strategy replay to see it)\n")
		}
	}
	fmt.Fprintf(stdout, "%s on %s, era %s, %s", sc.Name, o.fs.name, era, rep.Strategy)
	if shard.Count > 1 {
		fmt.Fprintf(stdout, ", shard %s", shard)
	}
	fmt.Fprintf(stdout, ": %d schedules", rep.Schedules)
	if rep.Abandoned > 0 {
		fmt.Fprintf(stdout, " (and %d %s cut short)", rep.Abandoned, plural(rep.Abandoned, "run"))
	}
	fmt.Fprintf(stdout, ", %d scheduler steps", rep.Steps)
	if rep.Complete {
		part := "every schedule"
		if shard.Count > 1 {
			part = "its part of every schedule"
		}
		fmt.Fprintf(stdout, " (%s with at most %d preemptions)", part, o.bound)
	}
	if rep.Failure == nil {
		fmt.Fprintln(stdout, ": no check failed")
		return 0
	}
	fmt.Fprintln(stdout, ": a check failed")
	if f := rep.Found; f != nil {
		how := rep.Strategy
		if rep.Strategy == "pct" || rep.Strategy == "random" {
			how = fmt.Sprintf("%s with -seed %d", rep.Strategy, o.seed)
		}
		fmt.Fprintf(stdout, "found by %s as schedule %s (%s); minimized to %s\n",
			how, f.Schedule, preemptions(f.Preemptions), preemptions(rep.Failure.Preemptions))
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, rep.Failure.Timeline())
	return 1
}

// preemptions says "1 preemption", "2 preemptions".
func preemptions(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "preemption")) }

var opsCommand = &command{
	name:     "ops",
	synopsis: "",
	summary:  "print the op language's reference (every registered op)",
	help: func() string {
		return "Ops prints the reference of the op language that run's scripts and explore's\nscenarios are written in, generated from the op registry: every op the\nsimulator and the packages this command imports registered."
	},
	flags: func() (*flag.FlagSet, any) { return flag.NewFlagSet("ops", flag.ContinueOnError), nil },
	run: func(c *command, fs *flag.FlagSet, _ any, _ io.Reader, stdout, stderr io.Writer) int {
		if fs.NArg() != 0 {
			return c.usageError(stderr, "ops takes no arguments")
		}
		fmt.Fprint(stdout, script.Reference())
		return 0
	},
}

// reportRunError prints why a scenario could not run: a scenario file's
// errors start with FILE:LINE: (editors jump there), the library's with the
// command's name.
func reportRunError(w io.Writer, sc *race.Scenario, err error) {
	if sc.File != "" {
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintf(w, "relinksim explore: %v\n", err)
}
