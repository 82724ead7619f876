package notebook

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
	"github.com/relinksim/relinksim/vfs/vfsdraw/vfssvg"
)

// WriteRace renders the lab notebook of one run of a race scenario, the
// scheduling decisions taken from schedule (as explore prints it; the
// rest of the run continues the last task first, as replay does): the
// scenario's tasks, the verdict, the interleaving as a timeline (one
// column per task, one row per scheduler step, the row where a check
// failed marked), and the picture of the kernel after the setup and after
// every scheduler step, in one layout, with what the step changed
// highlighted.
func WriteRace(sc *race.Scenario, cfg race.Config, schedule string) ([]byte, error) {
	var film vfsdraw.Sequence
	o, err := race.RunWatched(sc, cfg, &race.Replay{Schedule: schedule}, func(m race.Moment) {
		film.Add(m.Kernel, vfsdraw.Options{TaskNames: m.Tasks})
	})
	if err != nil {
		return nil, err
	}
	if schedule != "" && o.Schedule != schedule {
		return nil, fmt.Errorf("schedule %s does not replay as given: the run took %s", schedule, o.Schedule)
	}
	ctx := context.Background()
	r, err := vfssvg.New(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	pictures := film.Pictures()
	if len(pictures) != len(o.Events)+1 {
		return nil, fmt.Errorf("%d pictures for %d scheduler steps", len(pictures), len(o.Events))
	}
	tasks := make([][]script.Op, len(sc.Tasks))
	for i, src := range sc.Tasks {
		if tasks[i], err = script.Parse(src); err != nil {
			return nil, err
		}
	}
	fs := cfg.Filesystem()
	verdict := "no check failed"
	if o.Failed() {
		verdict = "a check failed"
	}
	var b bytes.Buffer
	title := fmt.Sprintf("race %s on %s, era %s", sc.Name, fs, cfg.Era)
	fmt.Fprintf(&b, "<section>\n<h2>%s</h2>\n", html.EscapeString(verdict))
	if sc.Doc != "" {
		fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", html.EscapeString(sc.Doc))
	}
	if o.Failed() {
		fmt.Fprintf(&b, "<pre class=\"fail\">%s</pre>\n", html.EscapeString(o.Failure))
	}
	fmt.Fprintf(&b, "<p>Schedule <code>%s</code> (%d %s). Replay it with <code>%s</code>.</p>\n",
		o.Schedule, o.Preemptions, plural(o.Preemptions, "preemption"),
		html.EscapeString(fmt.Sprintf("relinksim explore -fs %s -era %s -strategy replay -schedule %s %s", fs, cfg.Era, o.Schedule, sc.Name)))
	if sc.Setup != "" {
		fmt.Fprintf(&b, "<p>Setup, run by init alone:</p>\n<pre class=\"op\">%s</pre>\n", html.EscapeString(strings.TrimSpace(dedent(sc.Setup))))
	}
	// The timeline.
	b.WriteString("<h2>The interleaving</h2>\n<table class=\"timeline\">\n<tr><th>step</th>")
	for i, ops := range tasks {
		var text []string
		for _, op := range ops {
			text = append(text, op.String())
		}
		fmt.Fprintf(&b, "<th>task %c: %s</th>", 'A'+i, html.EscapeString(strings.Join(text, "; ")))
	}
	b.WriteString("</tr>\n")
	for n, e := range o.Events {
		class := ""
		if o.Failed() && n+1 == o.FailedAt {
			class = " class=\"failed\""
		}
		fmt.Fprintf(&b, "<tr%s><td><a href=\"#step-%d\">%d</a></td>", class, n+1, n+1)
		for i := range tasks {
			if i != e.Task {
				b.WriteString("<td></td>")
				continue
			}
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(eventText(tasks[i], e)))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<h2>Results</h2>\n<pre class=\"ok\">")
	for i, res := range o.Results {
		for _, st := range res {
			fmt.Fprintf(&b, "%c  %s\n", 'A'+i, html.EscapeString(st.Describe()))
		}
	}
	b.WriteString("</pre>\n</section>\n<section>\n<h2>Step by step</h2>\n")
	for n, pic := range pictures {
		svg, err := r.SVG(ctx, []byte(pic))
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", n, err)
		}
		what := "after the setup, before any task runs"
		if n > 0 {
			e := o.Events[n-1]
			what = fmt.Sprintf("task %c: %s", 'A'+e.Task, eventText(tasks[e.Task], e))
		}
		class := "step"
		if o.Failed() && n == o.FailedAt {
			class += " failed"
		}
		fmt.Fprintf(&b, "<div class=\"%s\" id=\"step-%d\">\n<pre class=\"op\">%d  %s</pre>\n<div class=\"picture\">%s</div>\n</div>\n",
			class, n, n, html.EscapeString(what), inlineSVG(svg))
	}
	b.WriteString("</section>\n")
	var out bytes.Buffer
	fmt.Fprintf(&out, page, html.EscapeString(title), html.EscapeString(title), html.EscapeString(raceIntro), b.String())
	return out.Bytes(), nil
}

// eventText says where a task stopped, with the op it is in when the
// task has several.
func eventText(ops []script.Op, e race.Event) string {
	if len(ops) > 1 && e.Op >= 0 && !strings.HasPrefix(e.Point, "between ops") {
		return ops[e.Op].String() + ": " + e.Point
	}
	return e.Point
}

// dedent strips each line's leading blanks.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
