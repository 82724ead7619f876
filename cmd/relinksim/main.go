package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: relinksim run [-fs tmpfs|ext4|btrfs] [-era ERA] SCRIPT")
	fmt.Fprintln(w, "       relinksim explore [-fs ext4] [-variant ERA] [-strategy rapid|pct|exhaustive|replay] [-seed N] [-budget N] SCENARIO")
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "explore":
		return cmdExplore(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "relinksim: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fsName := fs.String("fs", "tmpfs", "filesystem to run on: tmpfs, ext4 or btrfs")
	eraName := fs.String("era", "upstream", "kernel era: pre2007, sandeen-rfc, enoent2007, relink2011, upstream")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		usage(stderr)
		return 2
	}
	era, err := vfs.ParseEra(*eraName)
	if err != nil {
		fmt.Fprintln(stderr, "relinksim:", err)
		return 2
	}
	var setup func(*vfs.Kernel) (string, error)
	switch *fsName {
	case "tmpfs":
	case "ext4":
		setup = ext4sim.Setup(ext4sim.MkfsOptions{})
	case "btrfs":
		setup = btrfssim.Setup(btrfssim.MkfsOptions{})
	default:
		fmt.Fprintf(stderr, "relinksim: unknown filesystem %q (want tmpfs, ext4 or btrfs)\n", *fsName)
		return 2
	}
	src, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "relinksim:", err)
		return 1
	}
	ops, err := script.ParseFile(fs.Arg(0), string(src))
	if err != nil {
		fmt.Fprintf(stderr, "relinksim: %v\n", err)
		return 1
	}
	m, err := script.NewMachine(vfs.Options{Era: era}, *fsName, setup)
	if err != nil {
		fmt.Fprintln(stderr, "relinksim:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	for _, op := range ops {
		if err := enc.Encode(m.Step(op)); err != nil {
			fmt.Fprintln(stderr, "relinksim:", err)
			return 1
		}
	}
	return 0
}
