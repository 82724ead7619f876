package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	// The filesystems besides tmpfs register themselves (vfs.RegisterFS),
	// and btrfssim's ops join the language (script.Register).
	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	_ "github.com/relinksim/relinksim/nsproxy" // namespaces on every machine, and its ops
	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/vfs"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command line with os.Stdin as standard input.
func run(args []string, stdout, stderr io.Writer) int {
	return runIO(args, os.Stdin, stdout, stderr)
}

// A command is a subcommand: its flags and its help.
type command struct {
	name     string
	synopsis string // after "relinksim NAME"
	summary  string // one line, for the overview
	// help is the text after the synopsis and before the flags; more
	// after them.
	help, more func() string
	// flags returns the subcommand's flag set, its values bound to a
	// fresh options value that run then reads.
	flags func() (*flag.FlagSet, any)
	run   func(c *command, fs *flag.FlagSet, opts any, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands []*command

func init() {
	commands = []*command{runCommand, exploreCommand, opsCommand, decodeCommand, encodeCommand, costsCommand, exerciseCommand, notebookCommand, mergeCampaignCommand, helpCommand}
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func runIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		overview(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fullHelp(stdout)
		return 0
	}
	c := lookupCommand(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "relinksim: unknown command %q\n\n", args[0])
		overview(stderr)
		return 2
	}
	fs, opts := c.flags()
	fs.SetOutput(stderr)
	fs.Usage = func() {} // errors print a line and point to -h
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "run 'relinksim help %s' for usage\n", c.name)
		return 2
	}
	return c.run(c, fs, opts, stdin, stdout, stderr)
}

// usageError prints a usage error of c and returns exit code 2.
func (c *command) usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "relinksim %s: %s\n", c.name, fmt.Sprintf(format, args...))
	fmt.Fprintf(stderr, "%s\nrun 'relinksim help %s' for usage\n", strings.TrimRight("usage: relinksim "+c.name+" "+c.synopsis, " "), c.name)
	return 2
}

// usage prints c's whole help: synopsis, description, every flag (the
// flag set's PrintDefaults) and what follows them.
func (c *command) usage(w io.Writer) {
	fmt.Fprintf(w, "%s\n\n", strings.TrimRight("usage: relinksim "+c.name+" "+c.synopsis, " "))
	if c.help != nil {
		fmt.Fprintln(w, strings.TrimRight(c.help(), "\n"))
	}
	fs, _ := c.flags()
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	} else {
		fmt.Fprintln(w, "\nNo flags.")
	}
	if c.more != nil {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.more(), "\n"))
	}
}

// overview prints the commands, one line each: the answer to no
// arguments or an unknown command.
func overview(w io.Writer) {
	fmt.Fprintln(w, "relinksim simulates the Linux VFS's link and orphan-list semantics.")
	fmt.Fprintln(w, "\nusage:")
	for _, c := range commands {
		fmt.Fprintln(w, strings.TrimRight("  relinksim "+c.name+" "+c.synopsis, " "))
	}
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'relinksim help' for every command's flags, 'relinksim help CMD' for one.")
}

// fullHelp prints the overview and every command's flags.
func fullHelp(w io.Writer) {
	overview(w)
	for _, c := range commands {
		if c.name == "help" {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight("relinksim "+c.name+" "+c.synopsis, " "))
		fmt.Fprintf(w, "  %s.\n", c.summary)
		if c.name == "explore" {
			fmt.Fprintf(w, "  Library scenarios: %s.\n", strings.Join(race.Names(), ", "))
		}
		fs, _ := c.flags()
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "Flags:")
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
	}
	fmt.Fprintf(w, "\n%s", filesystems())
	fmt.Fprintf(w, "\n%s", exitCodes)
	fmt.Fprintln(w, "\nThe op language: 'relinksim ops'. The scenario file format: 'relinksim help explore'.")
}

const exitCodes = `Exit codes:
  0  success: the script ran and no check failed; explore found no failing
     schedule within its budget
  1  a check failed: run saw an invariant violation, a leak or a kernel BUG;
     explore found a failing schedule (its timeline is printed)
  2  usage error, unreadable or unparsable script, scenario file or image,
     or an op that cannot be carried out at all (the script or scenario is
     wrong)
`

var helpCommand = &command{
	name:     "help",
	synopsis: "[CMD]",
	summary:  "print every command's flags, or one command's whole help",
	flags:    func() (*flag.FlagSet, any) { return flag.NewFlagSet("help", flag.ContinueOnError), nil },
	run: func(c *command, fs *flag.FlagSet, _ any, _ io.Reader, stdout, stderr io.Writer) int {
		switch fs.NArg() {
		case 0:
			fullHelp(stdout)
			return 0
		case 1:
			sub := lookupCommand(fs.Arg(0))
			if sub == nil {
				return c.usageError(stderr, "unknown command %q (want %s)", fs.Arg(0), commandNames())
			}
			if sub.name == "help" {
				fullHelp(stdout)
				return 0
			}
			sub.usage(stdout)
			return 0
		}
		return c.usageError(stderr, "name at most one command")
	},
}

func commandNames() string {
	var out []string
	for _, c := range commands {
		out = append(out, c.name)
	}
	return strings.Join(out, ", ")
}

// eraValue is a -era flag: a kernel era, checked as it is parsed.
type eraValue struct {
	era vfs.Era
	set bool
}

func (e *eraValue) String() string {
	if e == nil {
		return vfs.Upstream.String()
	}
	return e.era.String()
}

func (e *eraValue) Set(s string) error {
	era, err := vfs.ParseEra(s)
	if err != nil {
		return err
	}
	e.era, e.set = era, true
	return nil
}

// eraNames lists the eras as vfs.Eras orders them.
func eraNames() string {
	var out []string
	for _, e := range vfs.Eras {
		out = append(out, e.String())
	}
	return strings.Join(out, ", ")
}

// fsValue is a -fs flag: a filesystem of the registry, checked as it is
// parsed.
type fsValue struct{ name string }

func (f *fsValue) String() string {
	if f == nil {
		return ""
	}
	return f.name
}

func (f *fsValue) Set(s string) error {
	if _, err := vfs.LookupFS(s); err != nil {
		return err
	}
	f.name = s
	return nil
}

// bootFlags are the flags of a subcommand that boots a kernel.
type bootFlags struct {
	era          eraValue
	fs           fsValue
	mkfs, mntOps string
	images       string     // run only: where checkpoint images are written
	dot          string     // run only: where each step's picture is written
	check        checkValue // run only: how often invariants are checked
}

// checkValue is run's -check: after every op (0), after every Nth op and
// the last one (N), or after the last op only (-1).
type checkValue struct{ every int }

func (v *checkValue) String() string {
	switch v.every {
	case 0:
		return "every"
	case -1:
		return "end"
	}
	return strconv.Itoa(v.every)
}

func (v *checkValue) Set(s string) error {
	switch s {
	case "every":
		v.every = 0
		return nil
	case "end":
		v.every = -1
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("want every, end or a count of ops of at least 1, not %q", s)
	}
	if n == 1 {
		n = 0
	}
	v.every = n
	return nil
}

// due reports whether the invariants are checked after the op with index
// i (0-based) of a run.
func (v *checkValue) due(i int) bool {
	return v.every == 0 || v.every > 0 && (i+1)%v.every == 0
}

func (b *bootFlags) define(fs *flag.FlagSet, defaultFS string) {
	b.fs.name = defaultFS
	fs.Var(&b.era, "era", "kernel `ERA` whose link rules the kernel follows: "+eraNames()+" (default upstream)")
	fs.Var(&b.fs, "fs", "filesystem `NAME` to make and mount at /mnt: "+strings.Join(vfs.FSNames(), ", "))
	fs.StringVar(&b.mkfs, "mkfs", "", "comma-separated mkfs `OPTS` of the filesystem (see the filesystems below)")
	fs.StringVar(&b.mntOps, "o", "", "mount options `MOUNTOPTS` passed to mount(2)")
}

// filesystems describes the registered filesystems with their mkfs and
// mount options.
func filesystems() string {
	var b strings.Builder
	b.WriteString("Filesystems (-fs), with their -mkfs and -o options:\n")
	for _, n := range vfs.FSNames() {
		fi, _ := vfs.LookupFS(n)
		fmt.Fprintf(&b, "  %s: %s\n", n, fi.Doc)
		if len(fi.MkfsOptions) > 0 {
			fmt.Fprintf(&b, "      -mkfs %s\n", strings.Join(fi.MkfsOptions, ", "))
		}
		if len(fi.MountOptions) > 0 {
			fmt.Fprintf(&b, "      -o %s\n", strings.Join(fi.MountOptions, ", "))
		}
		var buggy []string
		for _, e := range fi.BuggyEras {
			buggy = append(buggy, e.String())
		}
		if len(buggy) > 0 {
			fmt.Fprintf(&b, "      buggy on purpose in era %s\n", strings.Join(buggy, ", "))
		}
	}
	return b.String()
}
