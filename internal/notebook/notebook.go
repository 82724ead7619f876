// Package notebook writes the lab notebook of a script: one
// self-contained HTML page (no network: its styles and pictures are
// inline, and it runs no script) that shows each op of the script, its
// result or errno, and the picture of the kernel's objects after it
// (vfsdraw, rendered to SVG in pure Go by vfssvg), with what the op
// changed highlighted.
//
// It reads op-language scripts and the repository's lab-notebook
// transcripts alike: in a transcript, each "kernel" block boots a new
// kernel (its era= argument is honoured) and each "run" block's ops run on
// it; an "eras" block's ops run on a fresh kernel of every era in turn;
// the transcript's other blocks (leaks, invariants) are named and skipped.
package notebook

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/relinksim/relinksim/ckpt"
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
		prev := vfsdraw.DOT(m.K, vfsdraw.Options{TaskNames: taskNames(m)})
		for _, op := range ops {
			st := m.Step(op)
			fmt.Fprintf(&body, "<div class=\"step\">\n<pre class=\"op\">%d  %s</pre>\n", op.Line, html.EscapeString(st.Op))
			if st.Err != nil {
				fmt.Fprintf(&body, "<p class=\"fail\">cannot run here: %s</p>\n</div>\n", html.EscapeString(st.Err.Error()))
				break
			}
			res := strings.TrimPrefix(st.Describe(), st.Op+": ")
			class := "ok"
			if st.Errno != "" {
				class = "errno"
			}
			fmt.Fprintf(&body, "<pre class=\"%s\">%s</pre>\n", class, html.EscapeString(res))
			names := taskNames(m)
			plain := vfsdraw.DOT(m.K, vfsdraw.Options{TaskNames: names})
			dot := vfsdraw.DOT(m.K, vfsdraw.Options{TaskNames: names, Highlight: vfsdraw.Changed(prev, plain)})
			prev = plain
			svg, err := r.SVG(ctx, []byte(dot))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, op.Line, err)
			}
			fmt.Fprintf(&body, "<div class=\"picture\">%s</div>\n</div>\n", inlineSVG(svg))
			steps++
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
	fmt.Fprintf(&out, page, html.EscapeString(name), html.EscapeString(name), body.String())
	return out.Bytes(), nil
}

// taskNames names the script's tasks as the script does, and the
// checkpoint daemon.
func taskNames(m *script.Machine) map[*vfs.Task]string {
	names := map[*vfs.Task]string{ckpt.Daemon(m.K): "checkpoint daemon"}
	for _, ti := range m.Tasks() {
		if t, ok := ti.Sys.(*vfs.Task); ok {
			names[t] = ti.Name
		}
	}
	return names
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
</style>
</head>
<body>
<h1>%s</h1>
<p>Each op of the script, its result, and the kernel's objects after it: tasks, descriptor tables, files, dentries (unlinked ones red and dashed), inodes and the orphan list. What the op changed is highlighted.</p>
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
