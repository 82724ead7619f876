package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/relinksim/relinksim/ckpt"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

var runCommand = &command{
	name:     "run",
	synopsis: "[-fs NAME] [-era ERA] [-mkfs OPTS] [-o MOUNTOPTS] [-images DIR] SCRIPT|-",
	summary:  "run an op-language script on a fresh filesystem, one JSON line per op",
	help: func() string {
		return `Run boots a simulated kernel of the era -era, makes a fresh -fs filesystem
(with -mkfs) and mounts it at /mnt (with -o), and runs SCRIPT on it — or
standard input, with -: one op per line in the op language, which
'relinksim ops' describes. It prints one JSON line per op, in exactly the
format the kernel oracle prints for the same script on the real kernel.

After every op the kernel's and the filesystem's invariants are checked and
the kernel log is searched for "kernel BUG"; after the last op the kernel
shuts down (every task exits, closing the descriptors the script left open;
the filesystems are unmounted) and whatever kernel object is left is a leak.
Each problem is reported on standard error with the script line where it was
first seen; the JSON output does not change.

With -images DIR each image a checkpoint op made is written to DIR/IMG.img
('relinksim decode' reads it).

Exit status: 0 when no check failed; 1 when one did (an invariant violation,
a leak, a kernel BUG); 2 on a usage error, an unreadable or unparsable script
(FILE:LINE:COL: message), or an op that cannot be carried out at all on this
kernel and filesystem (FILE:LINE: OP: reason), which stops the script.`
	},
	more: filesystems,
	flags: func() (*flag.FlagSet, any) {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		b := &bootFlags{}
		b.define(fs, "tmpfs")
		fs.StringVar(&b.images, "images", "", "write each checkpoint image the script makes to `DIR`/IMG.img")
		return fs, b
	},
	run: cmdRun,
}

// problem is a failed check of a run, with where it was first seen.
type problem struct {
	line int    // script line; 0: at the end
	op   string // the op after which it was seen
	msg  string
}

func cmdRun(c *command, fs *flag.FlagSet, opts any, stdin io.Reader, stdout, stderr io.Writer) int {
	b := opts.(*bootFlags)
	if fs.NArg() != 1 {
		return c.usageError(stderr, "name one script (or - for standard input)")
	}
	name := fs.Arg(0)
	var src []byte
	var err error
	if name == "-" {
		name = "<stdin>"
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "relinksim run: %v\n", err)
		return 2
	}
	ops, err := script.ParseFile(name, string(src))
	if err != nil {
		fmt.Fprintln(stderr, err) // FILE:LINE:COL: message
		return 2
	}
	m, err := script.Boot(script.Config{Options: vfs.Options{Era: b.era.era}, FS: b.fs.name, Mkfs: b.mkfs, MountOptions: b.mntOps})
	if err != nil {
		fmt.Fprintf(stderr, "relinksim run: boot %s: %v\n", b.fs.name, err)
		return 2
	}
	var problems []problem
	seen := map[string]bool{}
	report := func(line int, op, msg string) {
		if !seen[msg] {
			seen[msg] = true
			problems = append(problems, problem{line, op, msg})
		}
	}
	// The kernel log is read from m.K directly, not with m.Dmesg, which
	// would take the lines from the script's own dmesg op. A crash op
	// boots a new kernel, whose log starts empty.
	logKernel, logPos := m.K, 0
	scanLog := func(line int, op string) {
		if m.K != logKernel {
			logKernel, logPos = m.K, 0
		}
		log := m.K.Dmesg()
		for _, l := range log[logPos:] {
			if strings.Contains(l, "kernel BUG") {
				report(line, op, "kernel log: "+l)
			}
		}
		logPos = len(log)
	}
	enc := json.NewEncoder(stdout)
	last := 0
	for _, op := range ops {
		st := m.Step(op)
		if st.Err != nil {
			fmt.Fprintf(stderr, "%s:%d: %s: %v\n", name, op.Line, st.Op, st.Err)
			return 2
		}
		if err := enc.Encode(st); err != nil {
			fmt.Fprintf(stderr, "relinksim run: %v\n", err)
			return 2
		}
		for _, v := range m.Check() {
			report(op.Line, st.Op, "invariant "+v.String())
		}
		scanLog(op.Line, st.Op)
		last = op.Line
	}
	if b.images != "" {
		for _, st := range ckpt.Images(m) {
			img, err := ckpt.Encode(st.Image)
			if err == nil {
				err = os.WriteFile(filepath.Join(b.images, st.Name+".img"), img, 0o644)
			}
			if err != nil {
				fmt.Fprintf(stderr, "relinksim run: image %s: %v\n", st.Name, err)
				return 2
			}
		}
	}
	if err := m.K.Shutdown(); err != nil {
		report(0, "", "leak check at shutdown: "+err.Error())
	}
	scanLog(0, "")
	if len(problems) == 0 {
		return 0
	}
	for _, p := range problems {
		if p.line == 0 {
			fmt.Fprintf(stderr, "%s: at the end (after line %d): %s\n", name, last, p.msg)
		} else {
			fmt.Fprintf(stderr, "%s:%d: after %s: %s\n", name, p.line, p.op, p.msg)
		}
	}
	fmt.Fprintf(stderr, "relinksim run: %s: %d %s failed\n", name, len(problems), plural(len(problems), "check"))
	return 1
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
