package race

import (
	"fmt"
	"path"
	"strings"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// ScenarioFileFormat describes the scenario file format ParseScenarioFile
// reads, for a program's help text.
const ScenarioFileFormat = `A scenario file is a race written in the op language (relinksim ops). Blank
lines and lines starting with # are skipped. Header lines come first, each
at most once (doc may repeat; its lines are joined):

  name: NAME         the scenario's name (default: the file name without
                     its extension)
  doc: TEXT          what the race is about
  crash: true|false  crash after final and check what recovery mounts
  buggy: ERA[,ERA]   the eras that have the bug (documentation only)

Then sections, each a line "setup:", "task:" or "final:" followed by ops,
one per line (indenting them is optional). The first op may stand on the
section line itself ("task: link a b"):

  setup:   ops the init task runs alone first; each must succeed. Descriptors
           it opens are inherited by every task. At most one.
  task:    one task's ops; the first task: is task A, the next B, ...
           At least one, at most 26.
  final:   ops the init task runs after every task finished. At most one.

Example (the 2007 race, library scenario link-unlink-2007):

  name: link-unlink-2007
  buggy: pre2007
  setup:
    open a creat,rdwr -> F
    write F data
    close F
  task: link a b
  task: unlink a

The checks are the library's: invariants whenever no task is inside a
system call, and at the end the invariants, a crash and recovery (with
crash: true), the kernel log (no "kernel BUG") and the leak check. A file
cannot give a Go Property.`

// maxTasks is the number of task letters, A to Z.
const maxTasks = 26

// ParseScenarioFile parses a scenario file (see ScenarioFileFormat) read
// from the file called name. Errors are *script.ParseError and print as
// FILE:LINE:COL: message; op lines are parsed with script.ParseFile, so an
// op's error names its line and column in the file. The scenario's op
// strings keep the file's line numbers (the lines of other sections are
// left blank), so the steps and errors of a run name file lines too.
func ParseScenarioFile(name string, src []byte) (*Scenario, error) {
	lines := strings.Split(string(src), "\n")
	errAt := func(line, col int, format string, args ...any) error {
		return &script.ParseError{File: name, Line: line + 1, Col: col, Msg: fmt.Sprintf(format, args...)}
	}
	// A section is the file with every line outside it blanked.
	type section struct {
		kind  string
		line  int // of its header
		lines []string
	}
	newSection := func(kind string, line int) *section {
		return &section{kind: kind, line: line, lines: make([]string, len(lines))}
	}
	sc := &Scenario{File: name}
	var (
		setup, final *section
		tasks        []*section
		cur          *section
		seen         = map[string]int{} // header -> line
	)
	for i, raw := range lines {
		line := strings.TrimRight(raw, " \t\r")
		text := strings.TrimLeft(line, " \t")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		col := len(line) - len(text) + 1
		word, rest := text, ""
		if j := strings.IndexAny(text, " \t"); j >= 0 {
			word, rest = text[:j], text[j:]
		}
		if !strings.HasSuffix(word, ":") {
			// An op line: it belongs to the current section.
			if cur == nil {
				return nil, errAt(i, col, "op %q outside a section (start one with setup:, task: or final:)", word)
			}
			cur.lines[i] = line
			continue
		}
		key := strings.TrimSuffix(word, ":")
		rest = strings.TrimSpace(rest)
		restCol := col + len(word)
		if rest != "" {
			restCol = strings.Index(line[col-1+len(word):], rest) + col + len(word)
		}
		switch key {
		case "setup", "task", "final":
			cur = newSection(key, i)
			switch key {
			case "setup":
				if setup != nil {
					return nil, errAt(i, col, "a second setup: section (the first is on line %d)", setup.line+1)
				}
				setup = cur
			case "final":
				if final != nil {
					return nil, errAt(i, col, "a second final: section (the first is on line %d)", final.line+1)
				}
				final = cur
			case "task":
				if len(tasks) == maxTasks {
					return nil, errAt(i, col, "more than %d tasks", maxTasks)
				}
				tasks = append(tasks, cur)
			}
			if rest != "" {
				// The first op on the section line: keep its column.
				cur.lines[i] = strings.Repeat(" ", restCol-1) + line[restCol-1:]
			}
		case "name", "doc", "crash", "buggy":
			if cur != nil {
				return nil, errAt(i, col, "header %s: after a section (header lines come first)", key)
			}
			if first, dup := seen[key]; dup && key != "doc" {
				return nil, errAt(i, col, "a second %s: header (the first is on line %d)", key, first+1)
			}
			seen[key] = i
			switch key {
			case "name":
				if rest == "" || strings.ContainsAny(rest, " \t") {
					return nil, errAt(i, restCol, "name: wants one word")
				}
				sc.Name = rest
			case "doc":
				if sc.Doc != "" {
					sc.Doc += "\n"
				}
				sc.Doc += rest
			case "crash":
				switch rest {
				case "true":
					sc.Crash = true
				case "false":
				default:
					return nil, errAt(i, restCol, "crash: wants true or false, not %q", rest)
				}
			case "buggy":
				if rest == "" {
					return nil, errAt(i, restCol, "buggy: wants one or more eras, comma-separated")
				}
				c := restCol
				for _, e := range strings.Split(rest, ",") {
					era, err := vfs.ParseEra(strings.TrimSpace(e))
					if err != nil {
						return nil, errAt(i, c, "buggy: %v", err)
					}
					sc.Buggy = append(sc.Buggy, era)
					c += len(e) + 1
				}
			}
		default:
			return nil, errAt(i, col, "unknown section or header %q (want name:, doc:, crash:, buggy:, setup:, task: or final:)", word)
		}
	}
	if len(tasks) == 0 {
		last := len(lines) - 1
		if last > 0 && strings.TrimSpace(lines[last]) == "" {
			last-- // the line the final newline ends
		}
		return nil, errAt(last, 1, "no task: section (a scenario needs at least one task)")
	}
	// Parse every section's ops where they stand in the file.
	ops := func(s *section) (string, int, error) {
		if s == nil {
			return "", 0, nil
		}
		text := strings.Join(s.lines, "\n")
		parsed, err := script.ParseFile(name, text)
		return text, len(parsed), err
	}
	var err error
	if sc.Setup, _, err = ops(setup); err != nil {
		return nil, err
	}
	for n, t := range tasks {
		text, count, err := ops(t)
		if err != nil {
			return nil, err
		}
		if count == 0 {
			return nil, errAt(t.line, 1, "task %s has no ops", taskName(n))
		}
		sc.Tasks = append(sc.Tasks, text)
	}
	if sc.Final, _, err = ops(final); err != nil {
		return nil, err
	}
	if sc.Name == "" {
		base := path.Base(strings.ReplaceAll(name, `\`, "/"))
		sc.Name = strings.TrimSuffix(base, path.Ext(base))
	}
	return sc, nil
}
