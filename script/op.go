package script

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Op is one step of a script: a system call (or an observation such as
// tree) in the op language. Ops print back in the syntax they parse from
// (String), so a generated or shrunk sequence pastes straight into a script
// or a testdata transcript.
type Op struct {
	// Name is the op's name: "open", "link", "linkat-proc", ...
	Name string
	// Path and Path2 are path operands, relative to the filesystem root the
	// script runs on.
	Path, Path2 string
	// FD names an open descriptor ("A"); Out names the one an open or dup
	// creates.
	FD, Out string
	// Flags holds open flags ("creat", "rdwr", ...).
	Flags []string
	// Words holds a WORDS operand: zero or more words (KEY=VALUE options
	// of checkpoint, for one).
	Words []string
	// Off and N are numeric operands (offsets, lengths, modes).
	Off, N int64
	// Text is the data of write and pwrite, and a WORD operand (a
	// symlink's target, chattr's +i, a fault's kind, a filesystem name).
	Text string
	// Line is the script line the op came from (0 when generated).
	Line int
	// Src is the op's original text when parsed; output echoes it so that
	// results match the oracle's byte for byte. Empty for generated ops.
	Src string
}

// Arg is the kind of one operand in an op's syntax.
type Arg string

// The operand kinds. Each fills one field of Op.
const (
	ArgPath  Arg = "PATH"  // a path, into Path
	ArgPath2 Arg = "PATH2" // a second path, into Path2
	ArgFD    Arg = "FD"    // an open descriptor's name, into FD
	ArgOut   Arg = "OUT"   // "-> NAME", the descriptor made, into Out
	ArgFlags Arg = "FLAGS" // open flags, comma-separated, into Flags
	ArgOff   Arg = "OFF"   // a decimal number, into Off
	ArgN     Arg = "N"     // a decimal number, into N
	ArgMode  Arg = "MODE"  // an octal number, into N
	ArgWord  Arg = "WORD"  // one word, into Text
	// ArgWords is zero or more words, into Words, up to "->" or the end of
	// the line; only an OUT may follow it.
	ArgWords Arg = "WORDS"
	// ArgText is the rest of the line, into Text: either a Go-quoted
	// string ("a b\n#c") or unquoted words, which are joined by single
	// spaces. It must be the last operand.
	ArgText Arg = "TEXT"
)

// ParseError reports a malformed script line. It prints as
// FILE:LINE:COL: message, the form editors jump to (without FILE when the
// script has no name).
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	msg := e.Msg
	if len(msg) > maxErrorMsg {
		// A message quotes the script's words; a huge one is cut.
		msg = msg[:maxErrorMsg] + fmt.Sprintf("... (%d bytes more)", len(msg)-maxErrorMsg)
	}
	if e.File != "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, msg)
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, msg)
}

// maxErrorMsg is the longest message a ParseError prints.
const maxErrorMsg = 300

// Parse reads a script: one op per line; blank lines and lines starting
// with '#' are skipped. Errors are *ParseError naming the line and column.
func Parse(src string) ([]Op, error) { return ParseFile("", src) }

// ParseFile is Parse for a script read from the file called name, which
// errors then name too.
func ParseFile(name, src string) ([]Op, error) {
	var ops []Op
	sc := NewScanner(name, strings.NewReader(src))
	for sc.Scan() {
		ops = append(ops, sc.Op())
	}
	if err := sc.Err(); err != nil {
		return nil, err
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
// An unknown op's error names the nearest known one.
func ParseOp(text string) (Op, error) {
	w := fields(text)
	if len(w) == 0 {
		return Op{}, &ParseError{Col: 1, Msg: "empty op"}
	}
	name := w[0].s
	sp, ok := Lookup(name)
	if !ok {
		msg := fmt.Sprintf("unknown op %q", clip(name))
		if near := nearest(name); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		return Op{}, &ParseError{Col: w[0].col, Msg: msg}
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
	for _, a := range sp.Args {
		if a == ArgText {
			if i < len(w) && strings.HasPrefix(w[i].s, `"`) {
				rest := strings.TrimRight(text[w[i].col-1:], " \t")
				s, err := strconv.Unquote(rest)
				if err != nil {
					return Op{}, bad(fmt.Sprintf("bad quoted text %s: want one Go string literal", clip(rest)))
				}
				op.Text = s
				i = len(w)
				continue
			}
			var parts []string
			for ; i < len(w); i++ {
				parts = append(parts, w[i].s)
			}
			op.Text = strings.Join(parts, " ")
			continue
		}
		if a == ArgWords {
			for ; i < len(w) && w[i].s != "->"; i++ {
				op.Words = append(op.Words, w[i].s)
			}
			continue
		}
		if i >= len(w) {
			return Op{}, bad("missing " + strings.ToLower(string(a)))
		}
		s := w[i].s
		switch a {
		case ArgPath:
			op.Path = s
		case ArgPath2:
			op.Path2 = s
		case ArgFD:
			op.FD = s
		case ArgWord:
			op.Text = s
		case ArgFlags:
			op.Flags = strings.Split(s, ",")
			for _, f := range op.Flags {
				if _, ok := openFlags[f]; !ok {
					return Op{}, bad(fmt.Sprintf("unknown open flag %q", f))
				}
			}
		case ArgOut:
			if s != "->" {
				return Op{}, bad("want \"-> NAME\"")
			}
			i++
			if i >= len(w) {
				return Op{}, bad("missing fd name after ->")
			}
			op.Out = w[i].s
		case ArgOff, ArgN, ArgMode:
			base := 10
			if a == ArgMode {
				base = 8
			}
			n, err := strconv.ParseInt(s, base, 64)
			if err != nil {
				return Op{}, bad(fmt.Sprintf("bad number %s", clip(strconv.Quote(s))))
			}
			if a == ArgOff {
				op.Off = n
			} else {
				op.N = n
			}
		}
		i++
	}
	if i < len(w) {
		return Op{}, bad(fmt.Sprintf("unexpected %s", clip(strconv.Quote(w[i].s))))
	}
	if sp.Check != nil {
		if arg, msg := sp.Check(op); msg != "" {
			// Point at the operand the check names.
			i = operandField(sp.Args, arg)
			return Op{}, bad(msg)
		}
	}
	return op, nil
}

// operandField returns the index in the line's fields of the operand
// args[arg] (the op's name is field 0; "->" takes a field of its own).
func operandField(args []Arg, arg int) int {
	f := 1
	for j := 0; j < arg && j < len(args); j++ {
		f++
		if args[j] == ArgOut {
			f++
		}
	}
	return f
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// MaxReadCount is the largest count a read or pread op may ask for: the
// runner allocates a buffer of that size, so a script cannot ask for more.
const MaxReadCount = 1 << 20

// String prints the op in script syntax; Parse(op.String()) gives op back
// (without Line and Src). A TEXT operand that unquoted words would not give
// back (several spaces in a row, tabs, newlines, a leading quote, bytes
// that are not printable UTF-8) is printed as a Go string literal.
func (op Op) String() string {
	sp, _ := Lookup(op.Name)
	parts := []string{op.Name}
	for _, a := range sp.Args {
		switch a {
		case ArgPath:
			parts = append(parts, op.Path)
		case ArgPath2:
			parts = append(parts, op.Path2)
		case ArgFD:
			parts = append(parts, op.FD)
		case ArgWord:
			parts = append(parts, op.Text)
		case ArgWords:
			parts = append(parts, op.Words...)
		case ArgText:
			switch {
			case needsQuote(op.Text):
				parts = append(parts, strconv.Quote(op.Text))
			case op.Text != "":
				parts = append(parts, op.Text)
			}
		case ArgFlags:
			parts = append(parts, strings.Join(op.Flags, ","))
		case ArgOut:
			parts = append(parts, "->", op.Out)
		case ArgOff:
			parts = append(parts, strconv.FormatInt(op.Off, 10))
		case ArgN:
			parts = append(parts, strconv.FormatInt(op.N, 10))
		case ArgMode:
			parts = append(parts, strconv.FormatInt(op.N, 8))
		}
	}
	return strings.Join(parts, " ")
}

// needsQuote reports whether TEXT s must be quoted to parse back as s.
func needsQuote(s string) bool {
	if s == "" {
		return false
	}
	if strings.HasPrefix(s, `"`) || strings.Join(strings.Fields(s), " ") != s || !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return true
		}
	}
	return false
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
