package notebook

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"

	_ "github.com/relinksim/relinksim/ckpt" // checkpoint, kill, restart, backup, migrate
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
	"github.com/relinksim/relinksim/vfs/vfsdraw/vfssvg"
)

// Options say how to boot the machine the script runs on.
type Options struct {
	FS  string  // the filesystem under test ("" is tmpfs)
	Era vfs.Era // the default era (a transcript's kernel era= overrides it)
}

// section is one kernel's run: its steps.
type section struct {
	title string
	era   vfs.Era
	src   string // the ops, one per line
	notes []string
}

// Write renders the notebook of the script or transcript src, named name,
// as HTML.
func Write(name string, src []byte, opts Options) ([]byte, error) {
	sections, err := split(string(src), opts.Era)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ctx := context.Background()
	r, err := vfssvg.New(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var body bytes.Buffer
	steps := 0
	for i, sec := range sections {
		fmt.Fprintf(&body, "<section>\n<h2>%s</h2>\n", html.EscapeString(sec.title))
		for _, n := range sec.notes {
			fmt.Fprintf(&body, "<p class=\"note\">%s</p>\n", html.EscapeString(n))
		}
		ops, err := script.Parse(sec.src)
		if err != nil {
			return nil, fmt.Errorf("%s (section %d): %w", name, i+1, err)
		}
		m, err := script.Boot(script.Config{FS: opts.FS, Options: vfs.Options{Era: sec.era}})
		if err != nil {
			return nil, err
		}
		// A script with draw ops is drawn at them; one without, after
		// every op. The section's pictures share one layout, so they are
		// rendered once all are drawn.
		drawOps := slices.ContainsFunc(ops, func(op script.Op) bool { return op.Name == "draw" })
		var film vfsdraw.Sequence
		film.Add(m.K, vfsdraw.Options{TaskNames: m.NamesOfTasks()}) // the state before the first op
		// parts are the steps' HTML; pictureAt says which part gets which picture.
		var parts []string
		pictureAt := map[int]int{}
		// A run of MinRun or more ops of one name (a script writing 1,024
		// blocks one line each) is shown as its first and last op, with
		// only the ops between that failed; the picture is the one after
		// the last.
		start, end := runs(ops)
		var hidden []script.Op // the ops folded since the last one shown
		flush := func() {
			if len(hidden) > 0 {
				parts = append(parts, fmt.Sprintf("<p class=\"note\">… %d more %s ops (lines %d to %d), each ok</p>\n",
					len(hidden), html.EscapeString(hidden[0].Name), hidden[0].Line, hidden[len(hidden)-1].Line))
				hidden = nil
			}
		}
		for i, op := range ops {
			st := m.Step(op)
			inside := i != start[i] && i != end[i]
			if inside && st.Err == nil && st.Errno == "" {
				hidden = append(hidden, op)
				steps++
				continue
			}
			flush() // the ok ops before this one, which is shown
			var b strings.Builder
			fmt.Fprintf(&b, "<div class=\"step\">\n<pre class=\"op\">%d  %s</pre>\n", op.Line, html.EscapeString(st.Op))
			if st.Err != nil {
				fmt.Fprintf(&b, "<p class=\"fail\">cannot run here: %s</p>\n</div>\n", html.EscapeString(st.Err.Error()))
				parts = append(parts, b.String())
				break
			}
			res := strings.TrimPrefix(st.Describe(), st.Op+": ")
			class := "ok"
			if st.Errno != "" {
				class = "errno"
			}
			if op.Name == "draw" {
				res = "(the picture below)"
			}
			fmt.Fprintf(&b, "<pre class=\"%s\">%s</pre>\n", class, html.EscapeString(res))
			parts = append(parts, b.String())
			if (!drawOps && (i == end[i])) || op.Name == "draw" {
				pictureAt[len(parts)-1] = film.Add(m.K, vfsdraw.Options{TaskNames: m.NamesOfTasks()})
			}
			parts[len(parts)-1] += "</div>\n"
			steps++
		}
		pictures := film.Pictures()
		for j, part := range parts {
			if n, ok := pictureAt[j]; ok {
				svg, err := r.SVG(ctx, []byte(pictures[n]))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				part = strings.TrimSuffix(part, "</div>\n") + fmt.Sprintf("<div class=\"picture\">%s</div>\n</div>\n", inlineSVG(svg))
			}
			body.WriteString(part)
		}
		fmt.Fprintf(&body, "</section>\n")
		if err := m.K.Shutdown(); err != nil {
			fmt.Fprintf(&body, "<p class=\"fail\">%s</p>\n", html.EscapeString("leak check: "+err.Error()))
		}
	}
	if steps == 0 {
		return nil, fmt.Errorf("%s: no op to show", name)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, page, html.EscapeString(name), html.EscapeString(name), html.EscapeString(scriptIntro), body.String())
	return out.Bytes(), nil
}

const (
	scriptIntro = "Each op of the script, its result, and the kernel's objects after it (or at each draw op, when the script has them): tasks with their nsproxies and mount namespaces, descriptor tables, files, dentries (unlinked ones red and dashed), inodes, mounts, orphan lists and relink directories. What changed since the previous picture is highlighted, and every object stays at its place from one picture to the next."
	raceIntro   = "One run of a race: the scheduler's decisions as a timeline (one column per task, one row per scheduler step, each cell the kernel function where the task stopped), then the kernel's objects after every step, in one layout, with what the step changed highlighted. A step can stop a task in the middle of a system call: the picture shows the kernel as it is then."
)

// MinRun is the shortest run of ops of one name that a notebook folds.
const MinRun = 4

// runs returns, for each op, the first and the last index of the run of
// ops of its name it is in, when that run is MinRun long or more (else
// the op's own index twice).
func runs(ops []script.Op) (start, end []int) {
	start, end = make([]int, len(ops)), make([]int, len(ops))
	for i := 0; i < len(ops); {
		j := i
		for ops[i].Name != "draw" && j+1 < len(ops) && ops[j+1].Name == ops[i].Name {
			j++
		}
		for k := i; k <= j; k++ {
			start[k], end[k] = k, k
			if j-i+1 >= MinRun {
				start[k], end[k] = i, j
			}
		}
		i = j + 1
	}
	return start, end
}

// page is the notebook's frame: its styles inline, no script.
const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>%s — relinksim lab notebook</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 70em; }
pre { margin: 0.2em 0; }
.op { font-weight: bold; }
.ok { color: #225522; }
.errno { color: #aa2222; }
.fail { color: #aa2222; font-weight: bold; }
.note { color: #555555; font-style: italic; }
.step { border-top: 1px solid #dddddd; padding: 0.5em 0; }
.picture svg { max-width: 100%%; height: auto; }
table.timeline { border-collapse: collapse; font-family: monospace; font-size: 0.9em; }
table.timeline th, table.timeline td { border: 1px solid #dddddd; padding: 0.1em 0.5em; text-align: left; vertical-align: top; }
tr.failed td, div.failed { background: #ffe0e0; }
</style>
</head>
<body>
<h1>%s</h1>
<p>%s</p>
%s</body>
</html>
`

var (
	xmlProlog = regexp.MustCompile(`(?s)^\s*<\?xml.*?\?>\s*`)
	doctype   = regexp.MustCompile(`(?s)^\s*<!DOCTYPE.*?>\s*`)
	comments  = regexp.MustCompile(`(?s)<!--.*?-->`)
)

// inlineSVG strips what an SVG document has that an SVG element inside
// HTML must not: the XML prolog, the doctype, Graphviz's comments.
func inlineSVG(svg []byte) string {
	s := xmlProlog.ReplaceAllString(string(svg), "")
	s = doctype.ReplaceAllString(s, "")
	return comments.ReplaceAllString(s, "")
}

// split reads src as a transcript (blocks of a directive, input lines and
// "----" then output) or, when it has no "----" line, as a script: the
// sections to show.
func split(src string, era vfs.Era) ([]section, error) {
	if !regexp.MustCompile(`(?m)^----$`).MatchString(src) {
		return []section{{title: "the script", era: era, src: src}}, nil
	}
	var out []section
	cur := -1
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		// A block: its directive, its input up to "----", its output up
		// to a blank line.
		f := strings.Fields(l)
		var input []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			input = append(input, lines[i])
		}
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		}
		switch f[0] {
		case "kernel":
			e := era
			for _, a := range f[1:] {
				if v, ok := strings.CutPrefix(a, "era="); ok {
					var err error
					if e, err = vfs.ParseEra(v); err != nil {
						return nil, err
					}
				}
			}
			out = append(out, section{title: fmt.Sprintf("a %s kernel", e), era: e})
			cur = len(out) - 1
		case "eras":
			// The same ops on a fresh kernel of every era, side by side.
			for _, e := range vfs.Eras {
				out = append(out, section{title: fmt.Sprintf("the same ops on a %s kernel", e), era: e, src: strings.Join(input, "\n") + "\n"})
			}
		case "run":
			if cur < 0 {
				out = append(out, section{title: fmt.Sprintf("a %s kernel", era), era: era})
				cur = 0
			}
			out[cur].src += strings.Join(input, "\n") + "\n"
		default:
			if cur >= 0 {
				out[cur].notes = append(out[cur].notes, fmt.Sprintf("(the transcript's %q block is not shown here)", l))
			}
		}
	}
	var kept []section
	for _, s := range out {
		if strings.TrimSpace(s.src) != "" {
			kept = append(kept, s)
		}
	}
	return kept, nil
}
