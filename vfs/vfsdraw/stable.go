package vfsdraw

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// Stable returns the pictures of a run's steps (DOT's output, highlighted
// or not, in step order) redrawn so that Graphviz's dot puts every object
// at the same place in every step: each picture declares every node and
// edge that any step has, in the same order, those the step does not have
// made invisible, and each node is given the size of its largest label
// in any step. The pictures' other lines (title, defaults) are kept.
//
// dot lays a graph out from its structure and its nodes' sizes alone, so
// graphs that differ only in labels, colours and visibility get one
// layout.
func Stable(pictures []string) []string {
	type decl struct {
		id   string
		line string // the declaration as drawn in a step that has it
	}
	var (
		nodeOrder []string
		nodeSeen  = map[string]bool{}
		anyDecl   = map[string]string{}
		size      = map[string][2]int{} // node -> {widest line, lines}
		edgeOrder []string
		edgeSeen  = map[string]bool{}
		anyEdge   = map[string]string{}
		ports     = map[string][]string{} // record node -> every port it has in any step
	)
	parsed := make([]struct {
		head  []string
		nodes map[string]string
		edges map[string]string
	}, len(pictures))
	for i, pic := range pictures {
		p := &parsed[i]
		p.nodes, p.edges = map[string]string{}, map[string]string{}
		count := map[string]int{}
		for _, l := range strings.Split(pic, "\n") {
			t := strings.TrimSpace(l)
			switch {
			case t == "" || t == "}" || strings.HasPrefix(t, "digraph "):
			case strings.HasPrefix(t, "label="):
				p.head = append(p.head, t) // the title, whatever it says
			case isEdge(t):
				// An edge is known by its ends and how many times the
				// picture drew them before.
				ends, _, _ := strings.Cut(strings.TrimSuffix(t, ";"), " [")
				count[ends]++
				key := fmt.Sprintf("%s#%d", ends, count[ends])
				p.edges[key] = t
				anyEdge[key] = t
				if !edgeSeen[key] {
					edgeSeen[key] = true
					edgeOrder = append(edgeOrder, key)
				}
			default:
				id, ok := nodeDecl(t)
				if !ok || id == "node" || id == "edge" {
					p.head = append(p.head, t)
					continue
				}
				p.nodes[id] = t
				anyDecl[id] = t
				for _, port := range recordPorts(t) {
					if !slices.Contains(ports[id], port) {
						ports[id] = append(ports[id], port)
					}
				}
				if !nodeSeen[id] {
					nodeSeen[id] = true
					nodeOrder = append(nodeOrder, id)
				}
				w, h := labelSize(t)
				s := size[id]
				size[id] = [2]int{max(s[0], w), max(s[1], h)}
			}
		}
	}
	out := make([]string, len(pictures))
	for i := range pictures {
		p := parsed[i]
		var b strings.Builder
		b.WriteString("digraph relinksim {\n")
		for _, h := range p.head {
			fmt.Fprintf(&b, "  %s\n", h)
		}
		for _, id := range nodeOrder {
			l, here := p.nodes[id]
			if !here {
				l = invisible(anyDecl[id])
			}
			if ps := ports[id]; len(ps) > 0 {
				l = withPorts(l, ps)
			}
			s := size[id]
			// Monospace at 10 points: 6 points a character, 12 a line,
			// and the node's margins.
			w := 0.6 + float64(s[0])*6/72
			h := 0.3 + float64(s[1])*12/72
			if isRecord(l) {
				h = 0.1 + float64(s[1])*0.25 // a field is a box of its own
			}
			fmt.Fprintf(&b, "  %s, width=%.2f, height=%.2f, fixedsize=true];\n", strings.TrimSuffix(l, "];"), w, h)
		}
		for _, key := range edgeOrder {
			l, here := p.edges[key]
			if !here {
				l = invisible(anyEdge[key])
			}
			fmt.Fprintf(&b, "  %s\n", l)
		}
		b.WriteString("}\n")
		out[i] = b.String()
	}
	return out
}

// recordFields splits a record node's declaration into the text before
// its label's fields, the fields, and the text after them; ok is false
// for a node that is not a record.
func recordFields(decl string) (before string, fields []string, after string, ok bool) {
	if !isRecord(decl) {
		return "", nil, "", false
	}
	i := strings.Index(decl, `label="`)
	if i < 0 {
		return "", nil, "", false
	}
	i += len(`label="`)
	begin, start := i, i
	for ; i < len(decl) && decl[i] != '"'; i++ {
		switch decl[i] {
		case '\\':
			i++
		case '|':
			fields = append(fields, decl[start:i])
			start = i + 1
		}
	}
	fields = append(fields, decl[start:i])
	return decl[:begin], fields, decl[i:], true
}

// recordPorts returns the ports of a record node's fields, in order.
func recordPorts(decl string) []string {
	_, fields, _, ok := recordFields(decl)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range fields {
		if name, ok := portName(f); ok {
			out = append(out, name)
		}
	}
	return out
}

func portName(field string) (string, bool) {
	if !strings.HasPrefix(field, "<") {
		return "", false
	}
	name, _, ok := strings.Cut(field[1:], ">")
	return name, ok
}

// withPorts gives a record node a field for each of ports (sorted by
// name and number), empty where the step does not have it, so that every
// step's record has the same shape.
func withPorts(decl string, ports []string) string {
	before, fields, after, ok := recordFields(decl)
	if !ok {
		return decl
	}
	have := map[string]string{}
	var head []string
	for _, f := range fields {
		if name, ok := portName(f); ok {
			have[name] = f
		} else {
			head = append(head, f)
		}
	}
	sorted := slices.Clone(ports)
	slices.SortFunc(sorted, comparePorts)
	out := head
	for _, p := range sorted {
		if f, ok := have[p]; ok {
			out = append(out, f)
		} else {
			out = append(out, "<"+p+"> ")
		}
	}
	return before + strings.Join(out, "|") + after
}

// comparePorts orders port names as "fd2" before "fd10".
func comparePorts(a, b string) int {
	split := func(s string) (string, int) {
		i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
		if i < 0 {
			return s, -1
		}
		n, err := strconv.Atoi(strings.ReplaceAll(s[i:], "_", ""))
		if err != nil {
			return s, -1
		}
		return s[:i], n
	}
	pa, na := split(a)
	pb, nb := split(b)
	if c := strings.Compare(pa, pb); c != 0 {
		return c
	}
	if na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

// isRecord reports whether a node declaration of DOT's is a record (DOT
// writes the shape first for those, before any label).
func isRecord(decl string) bool { return strings.Contains(decl, " [shape=record,") }

// isEdge reports whether a statement of DOT's output is an edge.
func isEdge(stmt string) bool {
	f := strings.Fields(stmt)
	return len(f) >= 3 && f[1] == "->"
}

// invisible returns the node or edge statement made invisible: kept in
// the layout, not drawn.
func invisible(stmt string) string {
	stmt = strings.TrimSuffix(looks.ReplaceAllString(stmt, ""), ";")
	if strings.HasSuffix(stmt, "]") {
		return strings.TrimSuffix(stmt, "]") + ", style=invis];"
	}
	return stmt + " [style=invis];"
}

// looks are the attributes that only change how a node or edge looks.
var looks = regexp.MustCompile(`, (style|penwidth|fillcolor|color)=("[^"]*"|[\w.]+)`)

// labelSize measures a node declaration's label: its widest line in
// characters and its number of lines (a record's fields are lines).
func labelSize(decl string) (w, h int) {
	_, rest, ok := strings.Cut(decl, "label=\"")
	if !ok {
		return len(decl), 1
	}
	// The label runs to the first unescaped quote.
	var text strings.Builder
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == '"' {
			break
		}
		if c == '\\' && i+1 < len(rest) {
			i++
			switch rest[i] {
			case 'n', 'l', 'r':
				text.WriteByte('\n')
			default:
				text.WriteByte(rest[i])
			}
			continue
		}
		if c == '|' && isRecord(decl) {
			text.WriteByte('\n')
			continue
		}
		text.WriteByte(c)
	}
	s := strings.Trim(text.String(), "{}")
	for _, line := range strings.Split(s, "\n") {
		// A record port's name is not drawn.
		if strings.HasPrefix(line, "<") {
			if _, after, ok := strings.Cut(line, "> "); ok {
				line = after
			}
		}
		w = max(w, len([]rune(line)))
		h++
	}
	return w, h
}

// Sequence collects the pictures of a run, step after step: each drawn
// with what changed since the previous one highlighted, and all of them
// given one layout (Stable) at the end.
type Sequence struct {
	prev     string
	pictures []string
}

// Add draws k now (opts.Highlight is replaced by what changed since the
// previous picture) and returns the picture's index.
func (s *Sequence) Add(k *vfs.Kernel, opts Options) int {
	opts.Highlight = nil
	plain := DOT(k, opts)
	if len(s.pictures) > 0 {
		opts.Highlight = Changed(s.prev, plain)
	}
	s.prev = plain
	s.pictures = append(s.pictures, DOT(k, opts))
	return len(s.pictures) - 1
}

// Len returns the number of pictures added.
func (s *Sequence) Len() int { return len(s.pictures) }

// Pictures returns the pictures added, in one layout.
func (s *Sequence) Pictures() []string { return Stable(s.pictures) }
