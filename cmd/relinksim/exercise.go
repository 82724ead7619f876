package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/relinksim/relinksim/script/exercise"
)

// The exercise command: homework in the manner of OSTEP's vsfs.py.

type exerciseFlags struct {
	fs     fsValue
	era    eraValue
	seed   int64
	steps  int
	reveal bool
}

var exerciseCommand = &command{
	name:     "exercise",
	synopsis: "[-fs FS] [-era ERA] [-seed N] [-steps N] [-c]",
	summary:  "print a random short script and questions about it; -c reveals the answers",
	help: func() string {
		return `Exercise draws a short op-language script from -seed (6 to 10 ops, or
-steps of them: open, write, link, unlink, rename, close, O_TMPFILE opens,
linkat-empty, linkat-proc, mkdir, rmdir) in which some file is open and
unlinked at some point, and asks what it did: which files are on the orphan
list after a step (ext4, btrfs; on tmpfs, which descriptors refer to a file
with nlink 0), the link count of a name after a step, which step frees an
inode, and what a link returns under the kernel era. Work them out, then
run again with -c: the answers, each with a line saying why, and every
step's result. The answers come from running the script on the simulator.

The same flags print the same exercise. The Go API is package
script/exercise.

Exit status: 0 when the exercise is printed; 2 on a usage error.`
	},
	flags: func() (*flag.FlagSet, any) {
		fs := flag.NewFlagSet("exercise", flag.ContinueOnError)
		o := &exerciseFlags{fs: fsValue{name: "ext4"}}
		fs.Var(&o.fs, "fs", "filesystem `FS` the script runs on: ext4, btrfs or tmpfs (default ext4)")
		fs.Var(&o.era, "era", "kernel `ERA` whose link rules apply: "+eraNames()+" (default upstream)")
		fs.Int64Var(&o.seed, "seed", 0, "seed `N` of the exercise, 0 or more")
		fs.IntVar(&o.steps, "steps", 0, fmt.Sprintf("`N` steps in the script, %d to %d (default: 6 to 10, drawn from the seed)", exercise.MinSteps, exercise.MaxSteps))
		fs.BoolVar(&o.reveal, "c", false, "compute and print the answers")
		return fs, o
	},
	run: cmdExercise,
}

func cmdExercise(c *command, fs *flag.FlagSet, opts any, _ io.Reader, stdout, stderr io.Writer) int {
	o := opts.(*exerciseFlags)
	if fs.NArg() != 0 {
		return c.usageError(stderr, "exercise takes no arguments")
	}
	switch {
	case o.seed < 0:
		return c.usageError(stderr, "-seed %d: want 0 or more", o.seed)
	case o.steps != 0 && (o.steps < exercise.MinSteps || o.steps > exercise.MaxSteps):
		return c.usageError(stderr, "-steps %d: want %d to %d", o.steps, exercise.MinSteps, exercise.MaxSteps)
	}
	ex, err := exercise.Generate(exercise.Config{FS: o.fs.name, Era: o.era.era, Seed: uint64(o.seed), Steps: o.steps})
	if err != nil {
		fmt.Fprintf(stderr, "relinksim exercise: %v\n", err)
		return 2
	}
	fmt.Fprint(stdout, ex.Text(o.reveal))
	return 0
}
