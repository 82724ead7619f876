package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/relinksim/relinksim/internal/notebook"
	"github.com/relinksim/relinksim/vfs"
)

// The notebook command: a script's lab notebook as one HTML page.

type notebookFlags struct {
	fs, era, out string
}

var notebookCommand = &command{
	name:     "notebook",
	synopsis: "[-fs NAME] [-era ERA] -o OUT.html SCRIPT|TRANSCRIPT",
	summary:  "write the lab notebook of a script: each op, its result, and the picture of the kernel after it, as one HTML page",
	help: func() string {
		return `Notebook runs an op-language script — or one of the repository's
lab-notebook transcripts (ckpt/testdata/..., vfs/testdata/...), whose
"kernel" blocks boot a kernel of their era and whose "run" blocks are
the ops — and writes one self-contained HTML page to OUT.html: each op,
its result or errno, and the picture of the kernel's objects after it
(tasks, descriptor tables, files, dentries with the unlinked ones marked,
inodes, the orphan list), with what the op changed highlighted. The page
needs no network and runs no script: its styles and pictures (SVG,
rendered in pure Go) are inline.

Exit status: 0 when the page is written; 2 on a usage error or a script
that does not parse.`
	},
	flags: func() (*flag.FlagSet, any) {
		fs := flag.NewFlagSet("notebook", flag.ContinueOnError)
		o := &notebookFlags{}
		fs.StringVar(&o.fs, "fs", "tmpfs", "filesystem `NAME` to run on: btrfs, ext4, tmpfs")
		fs.StringVar(&o.era, "era", "upstream", "kernel `ERA` (a transcript's kernel era= overrides it)")
		fs.StringVar(&o.out, "o", "", "write the page to `FILE` (required)")
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
	name, src, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "relinksim notebook: %v\n", err)
		return 2
	}
	page, err := notebook.Write(name, src, notebook.Options{FS: o.fs, Era: era})
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
