package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/relinksim/relinksim/internal/notebook"
	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

// The notebook command: a script's lab notebook as one HTML page.

type notebookFlags struct {
	fs, era, out, schedule string
	bound                  int
}

var notebookCommand = &command{
	name:     "notebook",
	synopsis: "[-fs NAME] [-era ERA] [-schedule S] -o OUT.html SCRIPT|TRANSCRIPT|SCENARIO",
	summary:  "write the lab notebook of a script: each op, its result, and the picture of the kernel after it, as one HTML page",
	help: func() string {
		return `Notebook runs an op-language script — or one of the repository's
lab-notebook transcripts (ckpt/testdata/..., vfs/testdata/...), whose
"kernel" blocks boot a kernel of their era and whose "run" blocks are
the ops — and writes one self-contained HTML page to OUT.html: each op,
its result or errno, and the picture of the kernel's objects after it
(tasks with their nsproxies and mount namespaces, descriptor tables,
files, dentries with the unlinked ones marked, inodes, mounts, orphan
lists, relink directories), with what changed highlighted; a script with
draw ops is drawn at them only. The pictures share one layout: an object
stays at its place from one picture to the next. The page needs no
network and runs no script: its styles and pictures (SVG, rendered in
pure Go) are inline.

Given a race instead — a library scenario (see 'relinksim help explore')
or a scenario file (one with task: sections) — the page shows one run of
it: the interleaving as a timeline, one column per task and one row per
scheduler step, and the picture of the kernel after every step. The run
is the one -schedule names (as explore prints it); without -schedule,
the failing run explore finds (exhaustively, within -bound preemptions,
minimized), or the run without preemptions when none fails.

Exit status: 0 when the page is written; 2 on a usage error or a script
that does not parse.`
	},
	flags: func() (*flag.FlagSet, any) {
		fs := flag.NewFlagSet("notebook", flag.ContinueOnError)
		o := &notebookFlags{}
		fs.StringVar(&o.fs, "fs", "tmpfs", "filesystem `NAME` to run on: btrfs, ext4, tmpfs")
		fs.StringVar(&o.era, "era", "upstream", "kernel `ERA` (a transcript's kernel era= overrides it)")
		fs.StringVar(&o.out, "o", "", "write the page to `FILE` (required)")
		fs.StringVar(&o.schedule, "schedule", "", "for a race: the `SCHEDULE` to show, one task letter per decision, as explore prints it")
		fs.IntVar(&o.bound, "bound", 2, "for a race without -schedule: the preemption bound `N` of the search for a failing run")
		return fs, o
	},
	run: cmdNotebook,
}

func cmdNotebook(c *command, fs *flag.FlagSet, opts any, stdin io.Reader, stdout, stderr io.Writer) int {
	o := opts.(*notebookFlags)
	if fs.NArg() != 1 {
		return c.usageError(stderr, "name one script or transcript (or - for standard input)")
	}
	if o.out == "" {
		return c.usageError(stderr, "-o OUT.html is required")
	}
	era, err := vfs.ParseEra(o.era)
	if err != nil {
		return c.usageError(stderr, "-era: %v", err)
	}
	if _, err := vfs.LookupFS(o.fs); err != nil {
		return c.usageError(stderr, "-fs: %v", err)
	}
	if o.bound < 0 {
		return c.usageError(stderr, "-bound %d: a preemption bound is 0 or more", o.bound)
	}
	arg := fs.Arg(0)
	var (
		page []byte
		sc   = race.Library[arg]
	)
	if sc == nil && arg != "-" {
		src, err := os.ReadFile(arg)
		if err == nil && raceFile.Match(src) {
			if sc, err = race.ParseScenarioFile(arg, src); err != nil {
				fmt.Fprintln(stderr, err)
				return 2
			}
		}
	}
	if sc == nil && o.schedule != "" {
		return c.usageError(stderr, "-schedule is for a race (a library scenario or a scenario file); %s is a script", arg)
	}
	if sc != nil {
		page, err = raceNotebook(sc, race.Config{Era: era, FS: o.fs}, o)
	} else {
		var name string
		var src []byte
		if name, src, err = readInput(arg, stdin); err == nil {
			page, err = notebook.Write(name, src, notebook.Options{FS: o.fs, Era: era})
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "relinksim notebook: %v\n", err)
		return 2
	}
	if err := os.WriteFile(o.out, page, 0o644); err != nil {
		fmt.Fprintf(stderr, "relinksim notebook: %v\n", err)
		return 2
	}
	return 0
}

// raceFile matches a scenario file: one with a task: section.
var raceFile = regexp.MustCompile(`(?m)^\s*task:`)

// raceNotebook shows one run of sc: the -schedule given, or the failing
// run the explorer finds within -bound, or the run without preemptions.
func raceNotebook(sc *race.Scenario, cfg race.Config, o *notebookFlags) ([]byte, error) {
	schedule := o.schedule
	if schedule == "" {
		rep, err := race.Explore(sc, cfg, race.Options{Strategy: "exhaustive", Bound: o.bound})
		if err != nil {
			return nil, err
		}
		if rep.Failure != nil {
			schedule = rep.Failure.Schedule
		}
	}
	return notebook.WriteRace(sc, cfg, schedule)
}
