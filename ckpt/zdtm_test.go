package ckpt_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/ckpt"
	_ "github.com/relinksim/relinksim/ckpt/zdtmops" // zdtm-getcwd, zdtm-readlink-cwd, zdtm-cwd-is, zdtm-blocks
	_ "github.com/relinksim/relinksim/ext4sim"
	_ "github.com/relinksim/relinksim/nsproxy" // mount, bind, clone mnt
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// CRIU's own tests of open, unlinked files (test/zdtm/static at
// checkpoint-restore/criu 2cf8f13) rewritten in the op language, one
// script per test in testdata/zdtm, each run under every strategy on every
// filesystem and judged as zdtm judges: against the same script run
// without the checkpoint.
//
// A script has one line "checkpoint STRATEGY -> I", then "kill", then
// "restart I". The ops before the checkpoint build the zdtm test's state;
// the ops after the restart are the checks zdtm makes. Words between
// STRATEGY and "->" are CRIU's dump options the zdtm test's .desc gives
// (dopts: "checkpoint STRATEGY ghost-limit=8M -> I"), which only the criu
// strategy takes. A few checks use ops package ckpt/zdtmops registers (zdtm-getcwd,
// zdtm-readlink-cwd, zdtm-cwd-is, zdtm-blocks) for what zdtm looks at and
// no op of the language prints. TestZdtm runs it twice on fresh machines:
// with STRATEGY replaced (the cut run), and with the lines from the
// checkpoint to the restart removed (the reference, zdtm's uncut run).
// The verdict is "pass" when the checkpoint and the restart succeed and
// each op after the restart prints what it prints in the reference;
// otherwise "fail: SUMMARY -- DETAIL", SUMMARY the failed
// step and its errno (or CRIU's reason) or the first op that differs.
//
// The expected verdicts are testdata/zdtm/verdicts.txt, one line per
// script, strategy and filesystem, and testdata/zdtm/README.md tabulates
// them; RELINKSIM_REWRITE=1 rewrites both:
//
//	RELINKSIM_REWRITE=1 go test ./ckpt -run '^TestZdtm$'
//
// A setup op (before the checkpoint) that fails, or a script with no
// unlinked file open and no working directory removed or away from the
// root at the checkpoint, is an error of the test, never a verdict; so is
// a broken invariant or a leaked kernel object in either run.
//
// No difference is excused. The divergences ckpt/doc.go documents that
// these checks can see are each what a zdtm test checks, so each is a
// failure: a restored file's link text naming its relinked name ("A
// restored file's name is the relinked one"), which
// unlink_multiple_largefiles compares with the text before the dump; a
// ghost's new inode ("comes back as a new inode"), which a same-inode
// check would see (unlink_fstat03's ino, had CRIU made it a ghost and not
// a link-remap; a write read back through a second descriptor); tasks and files coming back in the
// daemon's namespaces ("Tasks come back in the daemon's namespaces"),
// which the mntns tests' mountinfo sees. The one documented divergence
// the scripts could have met unchecked by zdtm, a removed directory's
// size after the restart (rmdir_open checks only the type and nlink),
// does not occur: the size is the same as without the checkpoint.
func TestZdtm(t *testing.T) {
	scripts := loadZdtmScripts(t)
	var mu sync.Mutex
	got := map[zdtmKey]string{}
	t.Run("run", func(t *testing.T) {
		for _, sc := range scripts {
			for _, fs := range zdtmFilesystems {
				t.Run(sc.name+"/"+fs, func(t *testing.T) {
					t.Parallel()
					refs := map[vfs.Era][]script.Step{}
					for _, st := range zdtmStrategies {
						ref, ok := refs[st.era]
						if !ok {
							ref = sc.reference(t, st.era, fs)
							refs[st.era] = ref
						}
						v := sc.cut(t, st, fs, ref)
						mu.Lock()
						got[zdtmKey{sc.name, st.name, fs}] = v
						mu.Unlock()
					}
				})
			}
		}
	})
	if t.Failed() {
		return
	}
	verdicts := zdtmFormatVerdicts(scripts, got)
	readme := zdtmReadme(scripts, got)
	vPath := filepath.Join(zdtmDir, zdtmVerdicts)
	rPath := filepath.Join(zdtmDir, "README.md")
	top, err := os.ReadFile(topReadme)
	if err != nil {
		t.Fatal(err)
	}
	topWant, err := zdtmTopReadme(string(top), readme)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("RELINKSIM_REWRITE") == "1" {
		for p, s := range map[string]string{vPath: verdicts, rPath: readme, topReadme: topWant} {
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if string(top) != topWant {
		t.Errorf("%s's zdtm table is not the table of the verdicts (RELINKSIM_REWRITE=1 rewrites it)", topReadme)
	}
	want, err := os.ReadFile(vPath)
	if err != nil {
		t.Fatalf("%v (write it with RELINKSIM_REWRITE=1)", err)
	}
	if d := zdtmLineDiff(string(want), verdicts); d != "" {
		t.Errorf("%s differs from the verdicts (RELINKSIM_REWRITE=1 rewrites it):\n%s", vPath, d)
	}
	wantReadme, err := os.ReadFile(rPath)
	if err != nil {
		t.Fatalf("%v (write it with RELINKSIM_REWRITE=1)", err)
	}
	if string(wantReadme) != readme {
		t.Errorf("%s is not the table of the verdicts (RELINKSIM_REWRITE=1 rewrites it)", rPath)
	}
}

// topReadme is the repository's README, which holds the table too,
// between zdtmBegin and zdtmEnd.
const (
	topReadme = "../README.md"
	zdtmBegin = "<!-- zdtm table: generated by TestZdtm (ckpt/zdtm_test.go) -->\n"
	zdtmEnd   = "<!-- end of the zdtm table -->\n"
)

// zdtmTopReadme returns top with the table of readme (the generated
// testdata/zdtm/README.md, its links made relative to the repository)
// between its markers.
func zdtmTopReadme(top, readme string) (string, error) {
	i, j := strings.Index(top, zdtmBegin), strings.Index(top, zdtmEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("%s has no %q ... %q markers", topReadme, zdtmBegin, zdtmEnd)
	}
	var table []string
	for _, l := range strings.SplitAfter(readme, "\n") {
		if strings.HasPrefix(l, "|") {
			table = append(table, strings.ReplaceAll(l, "](", "](ckpt/testdata/zdtm/"))
		}
	}
	if len(table) < 3 {
		return "", fmt.Errorf("the generated README has no table")
	}
	return top[:i+len(zdtmBegin)] + strings.Join(table, "") + top[j:], nil
}

const (
	zdtmDir = "testdata/zdtm"
	// zdtmVerdicts is the verdicts' file in zdtmDir (not a script).
	zdtmVerdicts = "verdicts.txt"
)

// zdtmStrategy is a column of the table: the checkpoint's words, the
// era it runs under, and whether it takes a script's dump options (CRIU's
// options, from the zdtm test's .desc "dopts").
type zdtmStrategy struct {
	name, words string
	era         vfs.Era
	dumpOpts    bool
}

var zdtmStrategies = []zdtmStrategy{
	{"relink", "relink", vfs.Relink2011, false},
	{"relink-upstream", "relink-upstream", vfs.Upstream, false},
	{"criu", "criu link-remap=1", vfs.Upstream, true},
}

var zdtmFilesystems = []string{"tmpfs", "ext4", "btrfs"}

type zdtmKey struct{ script, strategy, fs string }

// zdtmScript is a script of testdata/zdtm, split at its checkpoint.
type zdtmScript struct {
	name, path string
	// header is the leading comment's paragraphs, each on one line.
	header []string
	// dopts are the words between STRATEGY and "-> I" on the checkpoint
	// line: CRIU's dump options the zdtm test's .desc gives (dopts),
	// which only the criu strategy takes (ghost-limit=N).
	dopts []string
	// pre are the setup ops, block the checkpoint, kill and whatever
	// runs before the restart (the inspector's ops) and the restart,
	// post the checks. block[0] holds the word STRATEGY.
	pre, block, post []script.Op
}

// zdtmCheckpoint is the checkpoint line; CRIU's dump options may stand
// between STRATEGY and "->" ("checkpoint STRATEGY ghost-limit=8M -> I").
const zdtmCheckpoint = "checkpoint STRATEGY -> I"

func loadZdtmScripts(t *testing.T) []*zdtmScript {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(zdtmDir, "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scripts in %s: %v", zdtmDir, err)
	}
	var out []*zdtmScript
	for _, p := range paths {
		if filepath.Base(p) == zdtmVerdicts {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := parseZdtmScript(p, string(src))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}

// parseZdtmScript splits a script at its one checkpoint line, which must
// be followed by kill and, later, "restart I".
func parseZdtmScript(p, src string) (*zdtmScript, error) {
	sc := &zdtmScript{name: strings.TrimSuffix(filepath.Base(p), ".txt"), path: p}
	lines := strings.Split(src, "\n")
	para := ""
	for _, l := range append(lines, "") {
		c, ok := strings.CutPrefix(l, "#")
		if c = strings.TrimSpace(c); ok && c != "" {
			para = strings.TrimSpace(para + " " + c)
			continue
		}
		if para != "" {
			sc.header = append(sc.header, para)
			para = ""
		}
		if !ok {
			break
		}
	}
	if len(sc.header) == 0 || !strings.HasPrefix(sc.header[0], "Mirrors zdtm ") {
		return nil, fmt.Errorf("%s: the header does not say which zdtm test it mirrors (\"# Mirrors zdtm ...\")", p)
	}
	// The checkpoint line is parsed with a strategy in place of the
	// word, then given back its text.
	at := -1
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 4 || f[0] != "checkpoint" || f[1] != "STRATEGY" || !slices.Equal(f[len(f)-2:], []string{"->", "I"}) {
			continue
		}
		if at >= 0 {
			return nil, fmt.Errorf("%s:%d: a second %q", p, i+1, zdtmCheckpoint)
		}
		at = i
		sc.dopts = slices.Clone(f[2 : len(f)-2])
		if len(sc.dopts) > 0 {
			// The options must be the criu strategy's.
			probe := "checkpoint criu " + strings.Join(sc.dopts, " ") + " -> I"
			if _, err := script.Parse(probe); err != nil {
				return nil, fmt.Errorf("%s:%d: dump options %q: %v", p, i+1, sc.dopts, err)
			}
		}
		lines[i] = "checkpoint relink -> I"
	}
	if at < 0 {
		return nil, fmt.Errorf("%s: no line %q", p, zdtmCheckpoint)
	}
	ops, err := script.ParseFile(p, strings.Join(lines, "\n"))
	if err != nil {
		return nil, err
	}
	k := slices.IndexFunc(ops, func(op script.Op) bool { return op.Line == at+1 })
	r := slices.IndexFunc(ops, func(op script.Op) bool { return op.Name == "restart" })
	switch {
	case k+1 >= len(ops) || ops[k+1].Name != "kill":
		return nil, fmt.Errorf("%s:%d: the checkpoint is not followed by kill", p, at+1)
	case r < k || ops[r].Text != "I" || len(ops[r].Words) > 0:
		return nil, fmt.Errorf("%s: no \"restart I\" after the checkpoint", p)
	case slices.ContainsFunc(ops[r+1:], func(op script.Op) bool {
		return op.Name == "checkpoint" || op.Name == "kill" || op.Name == "restart"
	}):
		return nil, fmt.Errorf("%s: one checkpoint, kill and restart only", p)
	case r+1 == len(ops):
		return nil, fmt.Errorf("%s: no check after the restart", p)
	}
	sc.pre, sc.block, sc.post = ops[:k], ops[k:r+1], ops[r+1:]
	return sc, nil
}

// zdtmBoot boots a machine of era with fs at /mnt.
func zdtmBoot(t *testing.T, era vfs.Era, fs string) *script.Machine {
	t.Helper()
	m, err := script.Boot(script.Config{Options: vfs.Options{Era: era}, FS: fs})
	if err != nil {
		t.Fatalf("boot %s: %v", fs, err)
	}
	return m
}

// runSetup runs the setup ops, each of which must succeed.
func (sc *zdtmScript) runSetup(t *testing.T, m *script.Machine, what string) []script.Step {
	t.Helper()
	var steps []script.Step
	for _, op := range sc.pre {
		s := m.Step(op)
		if s.Err != nil || s.Errno != "" {
			t.Fatalf("%s:%d: setup op failed in the %s: %s (%v): the script is wrong, not the strategy", sc.path, op.Line, what, s.Describe(), s.Err)
		}
		steps = append(steps, s)
	}
	return steps
}

// zdtmFinish checks the kernel's invariants and ends it (the leak check).
func zdtmFinish(t *testing.T, m *script.Machine, what string) {
	t.Helper()
	if vs := m.Check(); len(vs) > 0 {
		t.Errorf("%s: invariants: %v", what, vfs.InvariantError(vs))
	}
	if err := m.K.Shutdown(); err != nil {
		t.Errorf("%s: leak check: %v", what, err)
	}
}

// reference runs the script without its checkpoint, kill and restart:
// the steps of the setup, then of the checks.
func (sc *zdtmScript) reference(t *testing.T, era vfs.Era, fs string) []script.Step {
	t.Helper()
	m := zdtmBoot(t, era, fs)
	steps := sc.runSetup(t, m, "reference")
	for _, op := range sc.post {
		s := m.Step(op)
		if s.Err != nil {
			t.Fatalf("%s:%d: the reference cannot run %s: %v", sc.path, op.Line, s.Op, s.Err)
		}
		steps = append(steps, s)
	}
	zdtmFinish(t, m, sc.name+" reference on "+fs)
	return steps
}

// cut runs the script with strategy st and returns its verdict against
// the reference's steps.
func (sc *zdtmScript) cut(t *testing.T, st zdtmStrategy, fs string, ref []script.Step) string {
	t.Helper()
	m := zdtmBoot(t, st.era, fs)
	what := fmt.Sprintf("%s under %s on %s", sc.name, st.name, fs)
	defer zdtmFinish(t, m, what)
	for i, s := range sc.runSetup(t, m, "cut run") {
		if s.Describe() != ref[i].Describe() {
			t.Fatalf("%s: setup step %d differs from the reference's, before any checkpoint: %s against %s", what, i+1, s.Describe(), ref[i].Describe())
		}
	}
	if !zdtmCarries(m) {
		t.Fatalf("%s: no unlinked file is open and no working directory is removed or away from the root at the checkpoint: the script tests nothing", what)
	}

	ckptOp := sc.block[0]
	ckptOp.Words = strings.Fields(st.words)
	if st.dumpOpts {
		ckptOp.Words = append(ckptOp.Words, sc.dopts...)
	}
	ckptOp.Src = "checkpoint " + strings.Join(ckptOp.Words, " ") + " -> I"
	if err := zdtmRun(m, ckptOp); err != nil {
		return "fail: " + zdtmFailure("checkpoint", err)
	}
	for _, op := range sc.block[1 : len(sc.block)-1] { // kill, the inspector's ops
		if s := m.Step(op); s.Err != nil || op.Name == "kill" && s.Errno != "" {
			t.Fatalf("%s:%d: %s: %s (%v)", sc.path, op.Line, what, s.Describe(), s.Err)
		}
	}
	if err := zdtmRun(m, sc.block[len(sc.block)-1]); err != nil {
		return "fail: " + zdtmFailure("restart", err)
	}
	verdict := "pass"
	for i, op := range sc.post {
		s := m.Step(op)
		want := ref[len(sc.pre)+i]
		if verdict != "pass" {
			continue // run to the end all the same, for the leak check
		}
		if s.Err != nil {
			verdict = fmt.Sprintf("fail: `%s` cannot run -- line %d: %v", op.Src, op.Line, s.Err)
			continue
		}
		if s.Describe() == want.Describe() {
			continue
		}
		verdict = fmt.Sprintf("fail: `%s` differs -- line %d: %s, want %s", op.Src, op.Line, zdtmClip(s), zdtmClip(want))
	}
	return verdict
}

// zdtmCarries reports whether a task of the script holds a file whose
// dentry is unlinked, or has a removed working directory (cwd01, cwd02)
// or one other than its root (cwd00, their control): what the checkpoint
// is to carry over.
func zdtmCarries(m *script.Machine) bool {
	for _, ti := range m.Tasks() {
		t := ti.Sys.(*vfs.Task)
		if fs := t.FSStruct(); fs.Pwd().Dentry.Unlinked() || fs.Pwd() != fs.Root() {
			return true
		}
		for _, fd := range t.FDs() {
			if f, err := t.File(fd); err == nil && f.Dentry().Unlinked() {
				return true
			}
		}
	}
	return false
}

// zdtmRun runs a checkpoint or restart op by its handler, as Runner.Step
// does, so that its error (CRIU's message in it) is seen whole.
func zdtmRun(m *script.Machine, op script.Op) error {
	spec, ok := script.Lookup(op.Name)
	if !ok {
		return fmt.Errorf("op %s is not registered", op.Name)
	}
	_, err := spec.Run(m.Runner, op, -1)
	return err
}

// zdtmFailure prints a failed checkpoint or restart: the step, its errno
// and CRIU's reason when the error is CRIU's, then the message.
func zdtmFailure(step string, err error) string {
	var errno vfs.Errno
	name := "error"
	if errors.As(err, &errno) {
		name = errno.Name()
	}
	summary := step + " " + name
	var ce *ckpt.CRIUError
	if errors.As(err, &ce) {
		for _, r := range zdtmCRIUReasons {
			if strings.Contains(ce.Msg, r.msg) {
				summary += " " + r.reason
				break
			}
		}
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	return summary + " -- " + msg
}

// zdtmCRIUReasons are short names for CRIU's messages (ckpt/criu.go,
// ckpt/criu_restore.go).
var zdtmCRIUReasons = []struct{ msg, reason string }{
	{"increase limit", "(ghost limit)"},
	{"overmounted mounts", "(overmounted mount)"},
	{"Use link-remap option", "(link-remap option)"},
	{"Unaccessible path", "(name reused)"},
	{"is detached", "(detached mount)"},
	{"bad size", "(bad size)"},
	{"bad mode", "(bad mode)"},
}

// zdtmClip prints a step's result, its text cut to a line's length.
func zdtmClip(s script.Step) string {
	r := strings.TrimPrefix(s.Describe(), s.Op+":")
	r = strings.TrimSpace(strings.ReplaceAll(r, "\n", " "))
	if len(r) > 72 {
		r = r[:72] + "..."
	}
	return r
}

// zdtmFormatVerdicts prints the verdicts file: one line per script, strategy
// and filesystem, "SCRIPT STRATEGY FS VERDICT".
func zdtmFormatVerdicts(scripts []*zdtmScript, got map[zdtmKey]string) string {
	var b strings.Builder
	b.WriteString("# TestZdtm's verdicts (ckpt/zdtm_test.go): SCRIPT STRATEGY FS VERDICT.\n")
	b.WriteString("# RELINKSIM_REWRITE=1 go test ./ckpt -run '^TestZdtm$' rewrites this file and README.md.\n")
	for _, sc := range scripts {
		for _, st := range zdtmStrategies {
			for _, fs := range zdtmFilesystems {
				fmt.Fprintf(&b, "%s %s %s %s\n", sc.name, st.name, fs, got[zdtmKey{sc.name, st.name, fs}])
			}
		}
	}
	return b.String()
}

// zdtmSummary is a verdict without its detail.
func zdtmSummary(v string) string {
	s, _, _ := strings.Cut(v, " -- ")
	return s
}

// zdtmReadme tabulates the verdicts: a row per script, a column per
// strategy, each cell the summary shared by every filesystem, else each
// summary with the filesystems that gave it.
func zdtmReadme(scripts []*zdtmScript, got map[zdtmKey]string) string {
	var b strings.Builder
	b.WriteString(`# CRIU's zdtm tests of unlinked files, under every strategy

Generated by TestZdtm (ckpt/zdtm_test.go) from verdicts.txt: do not edit;
` + "`RELINKSIM_REWRITE=1 go test ./ckpt -run '^TestZdtm$'`" + ` rewrites it.

Each script here mirrors one test of CRIU's zdtm suite
(test/zdtm/static at checkpoint-restore/criu 2cf8f13), rewritten in the
op language: the test's setup, ` + "`checkpoint STRATEGY -> I`, `kill`, `restart I`" + `,
then the checks the test makes. CRIU's dump options the test's .desc
gives stand between STRATEGY and ` + "`->`" + `, and only the criu strategy
takes them; a few checks use ops package ckpt/zdtmops registers (zdtm-getcwd,
zdtm-readlink-cwd, zdtm-cwd-is, zdtm-blocks) for what no op prints. It
runs on tmpfs, ext4 and btrfs with each strategy — relink (the 2011
seed, era relink2011), relink-upstream (the port, era upstream), criu
link-remap=1 (CRIU's ghosts and link-remaps, era upstream) — and again
without the checkpoint, as zdtm compares with the uncut run. A cell is
"pass" when the checkpoint and the restart succeed and every check
prints what it prints without the checkpoint; otherwise "fail:" and the
failed step with its errno (and CRIU's reason), or the first check that
differs; verdicts.txt has the whole message. A cell that differs by
filesystem lists each. No difference is excused: the divergences
ckpt/doc.go documents that these checks see are what the zdtm tests
check (zdtm_test.go names them).

| zdtm test | relink | relink-upstream | criu |
|---|---|---|---|
`)
	for _, sc := range scripts {
		fmt.Fprintf(&b, "| [%s](%s.txt) |", sc.name, sc.name)
		for _, st := range zdtmStrategies {
			var order []string
			byFS := map[string][]string{}
			for _, fs := range zdtmFilesystems {
				s := zdtmSummary(got[zdtmKey{sc.name, st.name, fs}])
				if _, ok := byFS[s]; !ok {
					order = append(order, s)
				}
				byFS[s] = append(byFS[s], fs)
			}
			var cell []string
			for _, s := range order {
				if len(order) == 1 {
					cell = append(cell, s)
				} else {
					cell = append(cell, s+" ("+strings.Join(byFS[s], ", ")+")")
				}
			}
			fmt.Fprintf(&b, " %s |", strings.ReplaceAll(strings.Join(cell, "; "), "|", `\|`))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nWhy the cells fail:\n\n")
	for _, w := range zdtmWhy {
		for _, v := range got {
			if strings.HasPrefix(zdtmSummary(v), w.summary) && strings.Contains(v, w.detail) {
				fmt.Fprintf(&b, "- %s\n", w.why)
				break
			}
		}
	}
	b.WriteString("\nWhat the scripts could not express, and the model's limits, as their\nheaders say:\n\n")
	for _, sc := range scripts {
		for _, h := range sc.header {
			if strings.HasPrefix(h, "Not expressed:") || strings.HasPrefix(h, "Limit") {
				fmt.Fprintf(&b, "- %s. %s\n", sc.name, h)
			}
		}
	}
	return b.String()
}

// zdtmWhy explains the failures the table may show, each printed when
// a verdict's summary starts with summary and the whole verdict contains
// detail.
var zdtmWhy = []struct{ summary, detail, why string }{
	{"fail: checkpoint ENOENT", "lost+found", "checkpoint ENOENT (relink): the seed relinks into lost+found at the root of the file's mount, which " +
		"tmpfs, btrfs and the tmpfs mounts the scripts make do not have (ckpt/doc.go, relink2011)."},
	{"fail: checkpoint EPERM", "", "checkpoint EPERM (relink, rmdir_open): the seed links an open removed directory too, and vfs_link " +
		"refuses a directory (ckpt/doc.go, relink2011)."},
	{"fail: `readlink-fd", "", "`readlink-fd` differs (relink, relink-upstream): a restored file's link text is its relinked name, " +
		"lost+found/checkpoint-1/relinked-N (deleted) (ckpt/doc.go), where unlink_multiple_largefiles wants the text it " +
		"had before the dump."},
	{"fail: restart ENOENT", "", "restart ENOENT (relink-upstream, mntns_*): the port relinks the child's files in the child's " +
		"mount namespace, and the restart reopens them by name in the daemon's, where the child's bind mount is not " +
		"(ckpt/doc.go, tasks come back in the daemon's namespaces). The checkpoint does not look the relinked name up " +
		"from the daemon's root, as it does a name a file keeps, so it succeeds and the tasks are gone when the " +
		"restart fails."},
	{"fail: checkpoint EOPNOTSUPP", "", "checkpoint EOPNOTSUPP (criu, mntns_*): the child's file is on a mount of its own mount " +
		"namespace; real CRIU dumps and restores the namespace and passes these tests, the model restarts tasks in the " +
		"daemon's namespaces only and so refuses such a file at the dump (ckpt/doc.go)."},
	{"fail: checkpoint ENOENT", " -- ENOENT (", "checkpoint ENOENT (every strategy, cwd01, cwd02): a task's working directory " +
		"is removed, and the model's checkpoint records a working directory by its path and refuses one that has none " +
		"(ckpt/checkpoint.go, checkpointFS), where CRIU dumps it as a ghost directory and passes both tests: a limit of " +
		"the model, not of the strategies."},
	{"fail: checkpoint EFBIG (ghost limit)", "", "checkpoint EFBIG (ghost limit) (criu, ghost_holes_large01): the ghost " +
		"allocates 2 MiB, above CRIU's default ghost limit of 1 MiB, and the dump refuses it (\"increase limit\"), as " +
		"CRIU's does: zdtm expects this failure (crfail in the test's .desc)."},
	{"fail: checkpoint EROFS", "", "checkpoint EROFS (relink-upstream, ghost_on_rofs): the port makes lost+found on " +
		"the file's mount to relink it there, and the mount is read-only (ckpt/doc.go: relinking writes to the file's " +
		"filesystem); nothing remounts it writable. The tasks run on."},
	{"fail: restart EROFS", "", "restart EROFS (criu, ghost_on_rofs): the model's CRIU makes each ghost on the " +
		"read-only mount the file was on and fails, where CRIU remounts the mount writable for the while " +
		"(try_remount_writable) and passes the test (ckpt/doc.go)."},
}

// zdtmLineDiff lists the lines of want missing from got and the other way
// round, in file order.
func zdtmLineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
