package race

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/internal/campaign"
	"github.com/relinksim/relinksim/script"
)

// colWidth is the width of a task's column in a timeline.
const colWidth = 54

// Timeline prints the run as a lab notebook: the scenario, the verdict,
// the schedule that replays it, each task's ops, and the interleaving as
// one column per task and one row per scheduler step, each cell naming the
// kernel function where the task stopped (and the op it is in, for tasks
// with several). The row at
// which a check failed is marked with '!'.
func (o *Outcome) Timeline() string {
	var b strings.Builder
	fs := o.Config.FS
	if fs == "" {
		fs = "ext4"
	}
	verdict := "ok"
	if o.Failed() {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "race %s on %s, era %s: %s\n", o.Scenario.Name, fs, o.Config.Era, verdict)
	if o.Failed() {
		for _, l := range strings.Split(o.Failure, "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	fmt.Fprintf(&b, "schedule %s\n", o.Schedule)
	tasks := make([][]script.Op, len(o.Scenario.Tasks))
	for i, src := range o.Scenario.Tasks {
		tasks[i], _ = script.Parse(src)
	}
	b.WriteString("\n     ")
	for i := range tasks {
		var ops []string
		for _, op := range tasks[i] {
			ops = append(ops, op.String())
		}
		b.WriteString(cell(fmt.Sprintf("task %s: %s", taskName(i), strings.Join(ops, "; "))))
	}
	b.WriteString("\n     ")
	for range tasks {
		b.WriteString(cell(strings.Repeat("-", colWidth-2)))
	}
	b.WriteByte('\n')
	lastOp := make([]int, len(tasks))
	for i := range lastOp {
		lastOp[i] = -2
	}
	for n, e := range o.Events {
		mark := ' '
		if o.Failed() && n+1 == o.FailedAt {
			mark = '!'
		}
		fmt.Fprintf(&b, "%c%3d ", mark, n+1)
		for i := range tasks {
			if i != e.Task {
				b.WriteString(cell(""))
				continue
			}
			text := e.Point
			if len(tasks[i]) > 1 && e.Op >= 0 && e.Op != lastOp[i] && !strings.HasPrefix(e.Point, "between ops") {
				text = tasks[i][e.Op].String() + ": " + text
			}
			lastOp[i] = e.Op
			b.WriteString(cell(text))
		}
		b.WriteByte('\n')
	}
	b.WriteString("\nresults:\n")
	for i, res := range o.Results {
		for _, st := range res {
			fmt.Fprintf(&b, "  %s  %s\n", taskName(i), st.Describe())
		}
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// cell pads or cuts s to a column.
func cell(s string) string {
	if len(s) > colWidth-2 {
		s = s[:colWidth-5] + "..."
	}
	return s + strings.Repeat(" ", colWidth-len(s))
}

// ExploreCampaign names an exploration's summaries (Report.Summary) among
// the campaigns relinksim merge-campaign merges.
const ExploreCampaign = "race-explore"

// Summary is the report as one shard's summary, for relinksim
// merge-campaign (package internal/campaign): the shards of one search
// (the same scenario, filesystem, era and options) merge into one, their
// schedules (Sequences) and steps (Ops) summed; the merged search passed
// when no shard found a failure (Divergences) and, for exhaustive, every
// shard completed its part (Counts "complete" of "shards"). For pct and
// random Checks is the budget, which the shards' runs must add up to.
// seconds is the time the shard took (Explore does not read clocks).
func (r *Report) Summary(sc *Scenario, cfg Config, opt Options, seconds float64) *campaign.Summary {
	shard := opt.Shard
	if shard.Count < 1 {
		shard = campaign.Whole
	}
	s := &campaign.Summary{
		Campaign:   ExploreCampaign,
		Backend:    cfg.Filesystem() + "-" + cfg.Era.String(),
		Shards:     []string{shard.String()},
		Sequences:  r.Schedules,
		Ops:        r.Steps,
		Counts:     map[string]int{"shards": 1, "abandoned": r.Abandoned},
		SimSeconds: seconds,
	}
	if cfg.Mkfs != "" || cfg.MountOptions != "" {
		s.Backend += fmt.Sprintf(" (mkfs %q, mount %q)", cfg.Mkfs, cfg.MountOptions)
	}
	switch opt.Strategy {
	case "exhaustive":
		s.Seed = fmt.Sprintf("%s exhaustive bound=%d reduce=%v", sc.Name, opt.Bound, opt.Reduce)
		if opt.Budget > 0 {
			s.Seed += fmt.Sprintf(" budget=%d", opt.Budget)
		}
		s.Shares = []campaign.Share{{What: "shards that explored their whole part", Part: "complete", Of: "shards", Min: 1}}
		if r.Complete {
			s.Counts["complete"] = 1
		}
	default:
		budget := opt.Budget
		if budget == 0 {
			budget = 1000
		}
		s.Seed = fmt.Sprintf("%s %s seed=%d", sc.Name, opt.Strategy, opt.Seed)
		if opt.Strategy == "pct" {
			depth := opt.Depth
			if depth == 0 {
				depth = 3
			}
			s.Seed += fmt.Sprintf(" depth=%d", depth)
		}
		s.Checks = budget
	}
	if r.Failure != nil {
		s.Divergences = 1
		s.Counts["failed"] = 1
		s.Tally = map[string]int{"failing schedule " + r.Failure.Schedule: 1}
	}
	return s
}
