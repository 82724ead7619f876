package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/relinksim/relinksim/ckpt"
)

// The costs command: the cover letter's argument as a table.

type costsFlags struct {
	files      int
	size       int64
	unlinked   float64
	fs         string
	sparse     bool
	format     string
	strategies string
	transports string
}

var costsCommand = &command{
	name:     "costs",
	synopsis: "[-files N] [-size BYTES] [-unlinked FRACTION] [-fs FS] [-sparse] [-format text|json|csv]",
	summary:  "checkpoint and restart one workload under every strategy and transport; print the data each moved",
	help: func() string {
		return `Costs builds one workload — a task holding N files of BYTES bytes, of which
FRACTION are unlinked while open (the even ones fully, the odd ones as in
the cover letter: linked as b<i> first, their name made again) — and runs
it, on a fresh upstream machine per cell, through every strategy
(relink, relink-upstream, criu with link-remap, handle, copy) and every
transport between checkpoint and restart (same: kill and restart on the
same machine; copy: backup copy and migrate; snapshot: btrfs snapshot
mounted on the new machine; shared: the new machine mounts the same
device). Each row gives, from the kernel's counters, the file data bytes
read and written at checkpoint, carried in the image, moved in transit
(backup and restore) and at restart; the metadata operations of the
checkpoint and restart; whether identity survived (a write through a
restored descriptor reaches "b", the inode number is unchanged, the
allocated blocks are as many: holes still holes, with -sparse); and why a
cell failed (ghost limit, ESTALE, EXDEV, ENOENT, ...).

The Go API is ckpt.Costs.

Exit status: 0 when the table is printed (failed cells are rows, not
errors); 2 on a usage error or a workload that cannot be built.`
	},
	flags: func() (*flag.FlagSet, any) {
		fs := flag.NewFlagSet("costs", flag.ContinueOnError)
		o := &costsFlags{}
		fs.IntVar(&o.files, "files", 4, "`N` files in the workload")
		fs.Int64Var(&o.size, "size", 64<<10, "each file's size in `BYTES`")
		fs.Float64Var(&o.unlinked, "unlinked", 1, "the `FRACTION` of files unlinked while open, 0 to 1")
		fs.StringVar(&o.fs, "fs", "ext4", "filesystem `FS`: ext4, btrfs or tmpfs")
		fs.BoolVar(&o.sparse, "sparse", false, "files hold data only in their first and last 4 KiB")
		fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text, json or csv")
		fs.StringVar(&o.strategies, "strategies", "", "comma-separated `LIST` of strategies (default all)")
		fs.StringVar(&o.transports, "transports", "", "comma-separated `LIST` of transports (default all)")
		return fs, o
	},
	run: cmdCosts,
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func cmdCosts(c *command, fs *flag.FlagSet, opts any, _ io.Reader, stdout, stderr io.Writer) int {
	o := opts.(*costsFlags)
	if fs.NArg() != 0 {
		return c.usageError(stderr, "costs takes no arguments")
	}
	switch {
	case o.files < 1 || o.files > 100000:
		return c.usageError(stderr, "%s", fmt.Sprintf("-files %d: want 1 to 100000", o.files))
	case o.size < 0 || o.size > 1<<40:
		return c.usageError(stderr, "%s", fmt.Sprintf("-size %d: want 0 to 2^40", o.size))
	case o.unlinked < 0 || o.unlinked > 1:
		return c.usageError(stderr, "%s", fmt.Sprintf("-unlinked %g: want a fraction from 0 to 1", o.unlinked))
	case o.format != "text" && o.format != "json" && o.format != "csv":
		return c.usageError(stderr, "%s", fmt.Sprintf("-format %s: want text, json or csv", o.format))
	}
	t, err := ckpt.Costs(ckpt.CostConfig{FS: o.fs, Files: o.files, Size: o.size, Unlinked: o.unlinked, Sparse: o.sparse,
		Strategies: splitList(o.strategies), Transports: splitList(o.transports)})
	if err != nil {
		fmt.Fprintf(stderr, "relinksim costs: %v\n", err)
		return 2
	}
	switch o.format {
	case "json":
		err = t.WriteJSON(stdout)
	case "csv":
		err = t.WriteCSV(stdout)
	default:
		err = t.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "relinksim costs: %v\n", err)
		return 2
	}
	return 0
}
