package main

import (
	"bytes"
	"context"
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
	"github.com/relinksim/relinksim/vfs/vfsdraw"
	"github.com/relinksim/relinksim/vfs/vfsdraw/vfssvg"
)

var runCommand = &command{
	name:     "run",
	synopsis: "[-fs NAME] [-era ERA] [-mkfs OPTS] [-o MOUNTOPTS] [-images DIR] [-dot DIR] [-check WHEN] SCRIPT|-",
	summary:  "run an op-language script on a fresh filesystem, one JSON line per op",
	help: func() string {
		return `Run boots a simulated kernel of the era -era, makes a fresh -fs filesystem
(with -mkfs) and mounts it at /mnt (with -o), and runs SCRIPT on it — or
standard input, with -: one op per line in the op language, which
'relinksim ops' describes. It prints one JSON line per op, in exactly the
format the kernel oracle prints for the same script on the real kernel.

After every op the kernel's and the filesystem's invariants are checked and
the kernel log is searched for "kernel BUG". A check looks at every kernel
object, so a script that makes tens of thousands of objects runs in
quadratic time; -check N checks after every Nth op and after the last one,
-check end after the last one only; both also check before a crash op,
which replaces the kernel. A violation is then reported at the line where
it was seen, not where it arose, and one that comes and goes between two
checks is missed. After the last op the kernel
shuts down (every task exits, closing the descriptors the script left open;
the filesystems are unmounted) and whatever kernel object is left is a leak.
Each problem is reported on standard error with the script line where it was
first seen; the JSON output does not change.

With -images DIR each image a checkpoint op made is written to DIR/IMG.img
('relinksim decode' reads it). With -dot DIR the kernel's objects after
each draw op — after every op when the script has no draw — are drawn in
Graphviz's DOT language to DIR/step-NNNN.dot (NNNN the script line;
package vfs/vfsdraw) and rendered to DIR/step-NNNN.svg (Graphviz run in
pure Go: nothing to install): tasks, nsproxies and mount namespaces,
descriptor tables, files, dentries (unlinked ones marked), inodes, mounts,
orphan lists and relink directories, with what changed since the previous
picture highlighted. The pictures share one layout: an object is at the
same place in every one.

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
		fs.StringVar(&b.dot, "dot", "", "draw the kernel's objects after each step (or each draw op) to `DIR`/step-NNNN.dot and .svg")
		fs.Var(&b.check, "check", "check the invariants after `WHEN`: every op, every N ops (and the last), or at the end only")
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
	// The script is read as a stream, one line at a time (script.Scanner:
	// lines up to MaxLineBytes, scripts up to MaxScriptBytes), so a huge
	// script runs in little memory. A regular file is read twice: once to
	// check every line parses, before anything runs; standard input, a
	// pipe or a fifo once, and a line that does not parse stops the run
	// there.
	name := fs.Arg(0)
	var (
		in     io.ReadSeeker // a script that can be read twice
		stream io.Reader     // else the stream it comes from
	)
	if name == "-" {
		name, stream = "<stdin>", stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "relinksim run: %v\n", err)
			return 2
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			in = f
		} else {
			stream = f // a pipe, a fifo, /dev/stdin: read once
		}
	}
	if in == nil && b.dot != "" {
		// Drawing holds every picture anyway; the script is read whole to
		// know first whether it has draw ops.
		src, err := io.ReadAll(io.LimitReader(stream, script.MaxScriptBytes+1))
		if err != nil {
			fmt.Fprintf(stderr, "relinksim run: %v\n", err)
			return 2
		}
		in = bytes.NewReader(src)
	}
	drawOps := false
	src := stream
	if in != nil {
		check := script.NewScanner(name, in)
		for check.Scan() {
			drawOps = drawOps || check.Op().Name == "draw"
		}
		if err := check.Err(); err != nil {
			fmt.Fprintln(stderr, err) // FILE:LINE:COL: message
			return 2
		}
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			fmt.Fprintf(stderr, "relinksim run: %v\n", err)
			return 2
		}
		src = in
	}
	ops := script.NewScanner(name, src)
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
	last, lastOp := 0, ""
	var (
		film     vfsdraw.Sequence
		filmLine []int
	)
	checked := true // after the last op seen
	for i := 0; ops.Scan(); i++ {
		op := ops.Op()
		if op.Name == "crash" && !checked {
			// The kernel this op replaces is checked one last time.
			for _, v := range m.Check() {
				report(last, lastOp, "invariant "+v.String())
			}
		}
		st := m.Step(op)
		if st.Err != nil {
			fmt.Fprintf(stderr, "%s:%d: %s: %v\n", name, op.Line, st.Op, st.Err)
			return 2
		}
		if err := enc.Encode(st); err != nil {
			fmt.Fprintf(stderr, "relinksim run: %v\n", err)
			return 2
		}
		checked = b.check.due(i)
		if checked {
			for _, v := range m.Check() {
				report(op.Line, st.Op, "invariant "+v.String())
			}
		}
		scanLog(op.Line, st.Op)
		last, lastOp = op.Line, st.Op
		if b.dot != "" && (!drawOps || op.Name == "draw") {
			film.Add(m.K, vfsdraw.Options{TaskNames: m.NamesOfTasks(), Title: fmt.Sprintf("line %d: %s", op.Line, st.Op)})
			filmLine = append(filmLine, op.Line)
		}
	}
	if b.dot != "" {
		if err := writePictures(b.dot, film.Pictures(), filmLine); err != nil {
			fmt.Fprintf(stderr, "relinksim run: -dot: %v\n", err)
			return 2
		}
	}
	if err := ops.Err(); err != nil {
		fmt.Fprintln(stderr, err) // a stream: a line that does not parse stops the run
		return 2
	}
	if !checked {
		for _, v := range m.Check() {
			report(last, lastOp, "invariant "+v.String())
		}
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

// writePictures writes each picture to dir/step-NNNN.dot (NNNN the
// script line it was drawn after) and renders it to dir/step-NNNN.svg
// (Graphviz in pure Go).
func writePictures(dir string, pictures []string, lines []int) error {
	if len(pictures) == 0 {
		return nil
	}
	ctx := context.Background()
	r, err := vfssvg.New(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	for i, dot := range pictures {
		base := filepath.Join(dir, fmt.Sprintf("step-%04d", lines[i]))
		if err := os.WriteFile(base+".dot", []byte(dot), 0o644); err != nil {
			return err
		}
		svg, err := r.SVG(ctx, []byte(dot))
		if err != nil {
			return fmt.Errorf("line %d: %w", lines[i], err)
		}
		if err := os.WriteFile(base+".svg", svg, 0o644); err != nil {
			return err
		}
	}
	return nil
}
