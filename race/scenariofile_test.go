package race_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// ops parses a scenario's op string and prints the ops back, one per
// line, without the blank lines that keep a file's line numbers.
func ops(t *testing.T, src string) string {
	t.Helper()
	parsed, err := script.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return script.Format(parsed)
}

// The 2007 race written as a scenario file is the library's scenario: the
// same ops, and explored exhaustively under 2.6.18 the same failure, found
// by the same schedule after the same number of runs; under upstream, no
// failure within the bound.
func TestScenarioFileIsTheLibraryScenario(t *testing.T) {
	const name = "testdata/link-unlink-2007.scenario"
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := race.ParseScenarioFile(name, src)
	if err != nil {
		t.Fatal(err)
	}
	lib := race.Library["link-unlink-2007"]
	if sc.Name != lib.Name || !slices.Equal(sc.Buggy, lib.Buggy) || sc.Crash != lib.Crash {
		t.Errorf("name %q buggy %v crash %v, want %q %v %v", sc.Name, sc.Buggy, sc.Crash, lib.Name, lib.Buggy, lib.Crash)
	}
	if want := "link(a, b) looks a up; before it links, unlink(a) drops the last name\nand orphans the inode. 2.6.18 links it anyway: a named orphan (E10)."; sc.Doc != want {
		t.Errorf("doc %q, want %q", sc.Doc, want)
	}
	if got, want := ops(t, sc.Setup), ops(t, lib.Setup); got != want || got == "" {
		t.Errorf("setup %q, want %q", got, want)
	}
	if len(sc.Tasks) != len(lib.Tasks) {
		t.Fatalf("%d tasks, want %d", len(sc.Tasks), len(lib.Tasks))
	}
	for i := range sc.Tasks {
		if got, want := ops(t, sc.Tasks[i]), ops(t, lib.Tasks[i]); got != want {
			t.Errorf("task %d: %q, want %q", i, got, want)
		}
	}
	cfg := race.Config{Era: vfs.Pre2007}
	opt := race.Options{Strategy: "exhaustive", Bound: 2}
	got, err := race.Explore(sc, cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := race.Explore(lib, cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Failure == nil || want.Failure == nil {
		t.Fatalf("pre2007: failure %v from the file, %v from the library; want both", got.Failure, want.Failure)
	}
	if got.Schedules != want.Schedules || got.Failure.Schedule != want.Failure.Schedule || got.Failure.Failure != want.Failure.Failure {
		t.Errorf("file: %d schedules, %s: %s\nlibrary: %d schedules, %s: %s",
			got.Schedules, got.Failure.Schedule, got.Failure.Failure, want.Schedules, want.Failure.Schedule, want.Failure.Failure)
	}
	if !strings.Contains(got.Failure.Failure, "E10") {
		t.Errorf("failure %q, want E10", got.Failure.Failure)
	}
	// The task's steps carry the file's line numbers: link a b is on
	// line 12, unlink a on line 14.
	if r := got.Failure.Results; len(r) != 2 || len(r[0]) != 1 || r[0][0].Line != 12 || len(r[1]) != 1 || r[1][0].Line != 14 {
		t.Errorf("results %+v, want task A's step on line 12 and B's on line 14", r)
	}
	up, err := race.Explore(sc, race.Config{Era: vfs.Upstream}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if up.Failure != nil || !up.Complete {
		t.Errorf("upstream: complete %v, failure %v", up.Complete, up.Failure)
	}
}

func TestParseScenarioFile(t *testing.T) {
	sc, err := race.ParseScenarioFile("dir/three.race", []byte(`
# three tasks, crash, final, two eras, a tab-indented op
crash: true
buggy: pre2007, sandeen-rfc
setup:
	open a creat,rdwr -> H
task: link a b
task:   link a c
task:
  unlink a
  # a comment in a section
  stat b
final:
  sync
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "three" || !sc.Crash || !slices.Equal(sc.Buggy, []vfs.Era{vfs.Pre2007, vfs.SandeenRFC}) || sc.Doc != "" {
		t.Errorf("header: %+v", sc)
	}
	for _, c := range []struct{ got, want string }{
		{ops(t, sc.Setup), "open a creat,rdwr -> H\n"},
		{ops(t, sc.Tasks[0]), "link a b\n"},
		{ops(t, sc.Tasks[1]), "link a c\n"},
		{ops(t, sc.Tasks[2]), "unlink a\nstat b\n"},
		{ops(t, sc.Final), "sync\n"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if len(sc.Tasks) != 3 {
		t.Errorf("%d tasks, want 3", len(sc.Tasks))
	}
	// Line and column of an op on a section line are the file's.
	parsed, _ := script.Parse(sc.Tasks[1])
	if len(parsed) != 1 || parsed[0].Line != 8 {
		t.Errorf("task B: %+v, want link a c on line 8", parsed)
	}
	crlf, err := race.ParseScenarioFile("crlf", []byte("setup:\r\n  open a creat -> F\r\ntask: unlink a\r\n"))
	if err != nil || ops(t, crlf.Setup) != "open a creat -> F\n" || ops(t, crlf.Tasks[0]) != "unlink a\n" {
		t.Errorf("CRLF: %+v, %v", crlf, err)
	}
}

// Every malformed file is an error naming its file, line and column.
func TestParseScenarioFileErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"setup:\n  mkdir d\n", "f.race:2:1: no task: section (a scenario needs at least one task)"},
		{"", "f.race:1:1: no task: section"},
		{"task: link a b\nprologue:\n  mkdir d\n", `f.race:2:1: unknown section or header "prologue:"`},
		{"task: link a b\n  mkdir d\n   bogus: x\n", `f.race:3:4: unknown section or header "bogus:"`},
		{"mkdir d\ntask: link a b\n", `f.race:1:1: op "mkdir" outside a section`},
		{"task:\n  link a\n", "f.race:2:9: link: missing path2"},
		{"task: link  a\n", "f.race:1:14: link: missing path2"},
		{"setup:\n  opne a creat -> F\ntask: unlink a\n", `f.race:2:3: unknown op "opne"`},
		{"task: unlink a\nfinal:\n  sync\n  syncc\n", `f.race:4:3: unknown op "syncc"`},
		{"task:\n# nothing\ntask: unlink a\n", "f.race:1:1: task A has no ops"},
		{"task: unlink a\ntask:\n", "f.race:2:1: task B has no ops"},
		{"setup:\nsetup:\ntask: unlink a\n", "f.race:2:1: a second setup: section (the first is on line 1)"},
		{"task: a\nfinal:\nfinal:\n", "f.race:3:1: a second final: section (the first is on line 2)"},
		{"name: a\nname: b\ntask: unlink a\n", "f.race:2:1: a second name: header (the first is on line 1)"},
		{"name: a b\ntask: unlink a\n", "f.race:1:7: name: wants one word"},
		{"crash: yes\ntask: unlink a\n", `f.race:1:8: crash: wants true or false, not "yes"`},
		{"buggy: pre2007,2099\ntask: unlink a\n", `f.race:1:16: buggy: unknown kernel era "2099"`},
		{"task: unlink a\ncrash: true\n", "f.race:2:1: header crash: after a section (header lines come first)"},
		{strings.Repeat("task: unlink a\n", 27), "f.race:27:1: more than 26 tasks"},
	} {
		_, err := race.ParseScenarioFile("f.race", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
		if _, ok := err.(*script.ParseError); err != nil && !ok {
			t.Errorf("%q: error %T, want *script.ParseError", c.src, err)
		}
	}
}

// A setup op a filesystem cannot carry out fails the run with an error
// naming the op and its line in the file, never a result.
func TestScenarioFileSetupError(t *testing.T) {
	sc, err := race.ParseScenarioFile("f.race", []byte("# header\nsetup:\n  open a creat,rdwr -> H\n  fault add_entry 1\ntask: link a b\ntask: unlink a\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = race.Run(sc, race.Config{FS: "tmpfs"}, race.Sequential{})
	if err == nil || !strings.HasPrefix(err.Error(), "f.race:4: fault add_entry 1: ") {
		t.Errorf("error %v, want one naming line 4: fault add_entry 1", err)
	}
}
