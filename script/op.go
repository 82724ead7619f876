package script

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Op is one step of a script: a system call (or an observation such as
// tree) in the op language. Ops print back in the syntax they parse from
// (String), so a generated or shrunk sequence pastes straight into a script
// or a testdata transcript.
type Op struct {
	// Name is the op's name: "open", "link", "linkat-proc", ...
	Name string
	// Path and Path2 are path operands, relative to the filesystem root the
	// script runs on. symlink keeps its target in Path2's place of the
	// syntax but in Target.
	Path, Path2 string
	// FD names an open descriptor ("A"); Out names the one an open or dup
	// creates.
	FD, Out string
	// Flags holds open flags ("creat", "rdwr", ...) or other keyword
	// arguments.
	Flags []string
	// Off and N are numeric operands (offsets, lengths, modes).
	Off, N int64
	// Text is the data of write and pwrite, and a symlink's target.
	Text string
	// Line is the script line the op came from (0 when generated).
	Line int
	// Src is the op's original text when parsed; output echoes it so that
	// results match the oracle's byte for byte. Empty for generated ops.
	Src string
}

// operand kinds in an op's syntax.
const (
	argPath  = "PATH"
	argPath2 = "PATH2"
	argFD    = "FD"
	argOut   = "OUT"
	argFlags = "FLAGS"
	argOff   = "OFF"
	argN     = "N"
	argMode  = "MODE" // octal number into N
	argText  = "TEXT" // the rest of the line
	argWord  = "WORD" // one word into Text
)

// spec describes an op's syntax.
type spec struct {
	args []string
	// usesFD: an fd operand that is not open gives EBADF without calling
	// the kernel, as the oracle does.
	usesFD bool
	// oracle marks ops the kernel oracle (../shared/oracle) also knows.
	oracle bool
	help   string
}

// specs is the op language. The oracle's ops come first, with its syntax
// exactly; the rest exist only in the simulator.
var specs = map[string]spec{
	"open":         {args: []string{argPath, argFlags, argOut}, oracle: true, help: "open PATH FLAGS[,..] -> FD   (rdonly wronly rdwr creat excl trunc tmpfile nonblock directory append)"},
	"close":        {args: []string{argFD}, usesFD: true, oracle: true},
	"dup":          {args: []string{argFD, argOut}, usesFD: true, oracle: true, help: "dup FD -> FD2"},
	"write":        {args: []string{argFD, argText}, usesFD: true, oracle: true},
	"pwrite":       {args: []string{argFD, argOff, argText}, usesFD: true, oracle: true},
	"read":         {args: []string{argFD, argN}, usesFD: true, oracle: true},
	"pread":        {args: []string{argFD, argOff, argN}, usesFD: true, oracle: true},
	"lseek":        {args: []string{argFD, argOff, argN}, usesFD: true, help: "lseek FD OFF WHENCE (0 set, 1 cur, 2 end, 3 data, 4 hole)"},
	"ftruncate":    {args: []string{argFD, argN}, usesFD: true, oracle: true},
	"link":         {args: []string{argPath, argPath2}, oracle: true},
	"linkat-empty": {args: []string{argFD, argPath}, usesFD: true, oracle: true, help: "linkat(FD, \"\", AT_FDCWD, PATH, AT_EMPTY_PATH)"},
	"linkat-proc":  {args: []string{argFD, argPath}, usesFD: true, oracle: true, help: "linkat(AT_FDCWD, \"/proc/self/fd/N\", AT_FDCWD, PATH, AT_SYMLINK_FOLLOW)"},
	"unlink":       {args: []string{argPath}, oracle: true},
	"rmdir":        {args: []string{argPath}, oracle: true},
	"mkdir":        {args: []string{argPath}, oracle: true},
	"rename":       {args: []string{argPath, argPath2}, oracle: true},
	"mkfifo":       {args: []string{argPath}, oracle: true},
	"symlink":      {args: []string{argWord, argPath}, oracle: true, help: "symlink TARGET PATH"},
	"fstat":        {args: []string{argFD}, usesFD: true, oracle: true},
	"stat":         {args: []string{argPath}, oracle: true},
	"lstat":        {args: []string{argPath}, oracle: true},
	"cat":          {args: []string{argPath}, oracle: true},
	"tree":         {oracle: true},
	"orphans":      {oracle: true},

	// Simulator-only ops.
	"linkat-proc-nofollow": {args: []string{argFD, argPath}, usesFD: true, help: "linkat(AT_FDCWD, \"/proc/self/fd/N\", AT_FDCWD, PATH, 0)"},
	"readlink":             {args: []string{argPath}},
	"ino":                  {args: []string{argPath}, help: "ino PATH: lstat's st_ino, so inode numbering is compared too"},
	"readlink-fd":          {args: []string{argFD}, usesFD: true, help: "readlink(\"/proc/self/fd/N\")"},
	"ls":                   {args: []string{argPath}, help: "ls PATH: getdents names in order"},
	"chdir":                {args: []string{argPath}},
	"chmod":                {args: []string{argPath, argMode}},
	"chattr":               {args: []string{argFD, argWord}, usesFD: true, help: "chattr FD +i|-i|+a|-a"},
	"rename-noreplace":     {args: []string{argPath, argPath2}},
	"rename-exchange":      {args: []string{argPath, argPath2}},
	"bind":                 {args: []string{argPath, argPath2}, help: "bind SRC DST: mount --bind"},
	"remount-ro":           {args: []string{argPath}, help: "remount-ro PATH: mount -o remount,bind,ro"},
	"umount":               {args: []string{argPath}},
	"setuid":               {args: []string{argN}, help: "setuid UID: become UID (gid UID) with no capabilities"},
	"openat":               {args: []string{argFD, argPath, argFlags, argOut}, usesFD: true, help: "openat FD PATH FLAGS -> FD2: PATH relative to the directory FD"},
	"mkdirat":              {args: []string{argFD, argPath}, usesFD: true, help: "mkdirat FD PATH: PATH relative to the directory FD"},
	"sync":                 {help: "sync(2)"},
	"drop_caches":          {help: "drop_caches: echo 3 > /proc/sys/vm/drop_caches (unused dentries and inodes are evicted)"},
	"crash":                {help: "crash: power cut; reboot and mount the device again (ret: the kernel log of the mount)"},
	"remount":              {help: "remount: close every fd, unmount cleanly, mount again (ret: the kernel log)"},
	"check":                {help: "check: the kernel's and the filesystem's invariants (ret: violations, or [])"},
	"dmesg":                {help: "dmesg: kernel log lines since the last dmesg, crash or remount"},
	"orphan-slots":         {help: "orphan-slots: the occupied slots of the orphan file (ext4 orphan_file), as BLOCK:SLOT=NAME"},
	"fault":                {args: []string{argWord, argN}, help: "fault KIND N: make the next N KIND calls fail (ext4sim: add_entry, journal_start; btrfssim: add_entry, trans_start)"},
	"subvol":               {args: []string{argPath}, help: "subvol PATH: btrfs subvolume create (BTRFS_IOC_SUBVOL_CREATE on PATH's directory)"},
	"snapshot":             {args: []string{argPath, argPath2}, help: "snapshot SRC DST: btrfs subvolume snapshot SRC DST (BTRFS_IOC_SNAP_CREATE_V2)"},
	"snapshot-ro":          {args: []string{argPath, argPath2}, help: "snapshot-ro SRC DST: btrfs subvolume snapshot -r SRC DST"},
	"subvol-orphans":       {args: []string{argPath}, help: "subvol-orphans PATH: after a sync, the orphan items of the btrfs subvolume PATH is in (dump-tree -t ID), named like orphans'"},
}

// Names returns every op name, sorted.
func Names() []string {
	var out []string
	for n := range specs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// OracleOp reports whether the kernel oracle knows the op.
func OracleOp(name string) bool { return specs[name].oracle }

// UsesFD reports whether the op's first operand names an open descriptor.
func UsesFD(name string) bool { return specs[name].usesFD }

// ParseError reports a malformed script line.
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Parse reads a script: one op per line; blank lines and lines starting
// with '#' are skipped. Errors name the line and column.
func Parse(src string) ([]Op, error) {
	var ops []Op
	for i, line := range strings.Split(src, "\n") {
		text := strings.TrimSpace(line)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		col := strings.Index(line, text) + 1
		op, err := ParseOp(text)
		if err != nil {
			pe := err.(*ParseError)
			pe.Line = i + 1
			pe.Col += col - 1
			return nil, pe
		}
		op.Line = i + 1
		ops = append(ops, op)
	}
	return ops, nil
}

// field is a word of a line with its 1-based column.
type field struct {
	s   string
	col int
}

func fields(text string) []field {
	var out []field
	for i := 0; i < len(text); {
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		j := i
		for j < len(text) && text[j] != ' ' && text[j] != '\t' {
			j++
		}
		if j > i {
			out = append(out, field{text[i:j], i + 1})
		}
		i = j
	}
	return out
}

// ParseOp parses one op. Column numbers in errors count from 1 within text.
func ParseOp(text string) (Op, error) {
	w := fields(text)
	if len(w) == 0 {
		return Op{}, &ParseError{Col: 1, Msg: "empty op"}
	}
	name := w[0].s
	sp, ok := specs[name]
	if !ok {
		return Op{}, &ParseError{Col: w[0].col, Msg: fmt.Sprintf("unknown op %q", name)}
	}
	op := Op{Name: name, Src: text}
	i := 1
	bad := func(msg string) error {
		col := len(text) + 1
		if i < len(w) {
			col = w[i].col
		}
		return &ParseError{Col: col, Msg: name + ": " + msg}
	}
	for _, a := range sp.args {
		if a == argText {
			var parts []string
			for ; i < len(w); i++ {
				parts = append(parts, w[i].s)
			}
			op.Text = strings.Join(parts, " ")
			continue
		}
		if i >= len(w) {
			return Op{}, bad("missing " + strings.ToLower(a))
		}
		s := w[i].s
		switch a {
		case argPath:
			op.Path = s
		case argPath2:
			op.Path2 = s
		case argFD:
			op.FD = s
		case argWord:
			op.Text = s
		case argFlags:
			op.Flags = strings.Split(s, ",")
			for _, f := range op.Flags {
				if _, ok := openFlags[f]; !ok {
					return Op{}, bad(fmt.Sprintf("unknown open flag %q", f))
				}
			}
		case argOut:
			if s != "->" {
				return Op{}, bad("want \"-> NAME\"")
			}
			i++
			if i >= len(w) {
				return Op{}, bad("missing fd name after ->")
			}
			op.Out = w[i].s
		case argOff, argN, argMode:
			base := 10
			if a == argMode {
				base = 8
			}
			n, err := strconv.ParseInt(s, base, 64)
			if err != nil {
				return Op{}, bad(fmt.Sprintf("bad number %q", s))
			}
			if a == argOff {
				op.Off = n
			} else {
				op.N = n
			}
		}
		i++
	}
	if i < len(w) {
		return Op{}, bad(fmt.Sprintf("unexpected %q", w[i].s))
	}
	switch name {
	case "subvol", "snapshot", "snapshot-ro":
		// The new subvolume's name is the last component; there must be
		// one.
		p := op.Path
		if name != "subvol" {
			p = op.Path2
		}
		if strings.HasSuffix(p, "/") {
			i--
			return Op{}, bad(fmt.Sprintf("%q has no last component to name the subvolume", p))
		}
	}
	if (name == "read" || name == "pread") && (op.N < 0 || op.N > MaxReadCount) {
		i--
		return Op{}, bad(fmt.Sprintf("count %d out of range [0, %d]", op.N, MaxReadCount))
	}
	return op, nil
}

// MaxReadCount is the largest count a read or pread op may ask for: the
// runner allocates a buffer of that size, so a script cannot ask for more.
const MaxReadCount = 1 << 24

// String prints the op in script syntax; Parse(op.String()) gives op back
// (without Line and Src), TEXT operands being single-spaced as Parse makes
// them.
func (op Op) String() string {
	sp := specs[op.Name]
	parts := []string{op.Name}
	for _, a := range sp.args {
		switch a {
		case argPath:
			parts = append(parts, op.Path)
		case argPath2:
			parts = append(parts, op.Path2)
		case argFD:
			parts = append(parts, op.FD)
		case argWord:
			parts = append(parts, op.Text)
		case argText:
			if op.Text != "" {
				parts = append(parts, op.Text)
			}
		case argFlags:
			parts = append(parts, strings.Join(op.Flags, ","))
		case argOut:
			parts = append(parts, "->", op.Out)
		case argOff:
			parts = append(parts, strconv.FormatInt(op.Off, 10))
		case argN:
			parts = append(parts, strconv.FormatInt(op.N, 10))
		case argMode:
			parts = append(parts, strconv.FormatInt(op.N, 8))
		}
	}
	return strings.Join(parts, " ")
}

// GoString prints the op as its script text, so rapid's reports of drawn
// sequences read as scripts.
func (op Op) GoString() string { return strconv.Quote(op.String()) }

// Format prints ops as a script, one per line.
func Format(ops []Op) string {
	var b strings.Builder
	for _, op := range ops {
		b.WriteString(op.String())
		b.WriteByte('\n')
	}
	return b.String()
}
