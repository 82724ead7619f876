package notebook_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/internal/notebook"
	"github.com/relinksim/relinksim/race"
)

// racePages writes the notebook of every library race in the first era
// that has its bug, at the failing schedule the explorer finds (bound 2),
// and checks each page: one timeline row per scheduler step, the failing
// row marked, a picture after the setup and after every step.
func racePages(t *testing.T) map[string][]byte {
	t.Helper()
	pages := map[string][]byte{}
	for _, name := range race.Names() {
		sc := race.Library[name]
		if len(sc.Buggy) == 0 {
			t.Fatalf("%s has no buggy era to show", name)
		}
		cfg := race.Config{Era: sc.Buggy[0]}
		rep, err := race.Explore(sc, cfg, race.Options{Strategy: "exhaustive", Bound: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failure == nil {
			t.Fatalf("%s: no failing schedule in era %s, where it is buggy", name, cfg.Era)
		}
		o := rep.Failure
		page, err := notebook.WriteRace(sc, cfg, o.Schedule)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := string(page)
		if n := strings.Count(s, "<tr>") + strings.Count(s, `<tr class="failed">`); n != len(o.Events)+1 {
			t.Errorf("%s: %d timeline rows for %d scheduler steps (and the header)", name, n, len(o.Events))
		}
		if strings.Count(s, `<tr class="failed">`) != 1 {
			t.Errorf("%s: the failing step is not marked once", name)
		}
		if n := strings.Count(s, "<svg"); n != len(o.Events)+1 {
			t.Errorf("%s: %d pictures for %d steps and the setup", name, n, len(o.Events))
		}
		if !strings.Contains(s, "-schedule "+o.Schedule) {
			t.Errorf("%s: the page does not say how to replay %s", name, o.Schedule)
		}
		pages[name] = page
	}
	return pages
}

func TestRaceNotebook(t *testing.T) {
	racePages(t)
	// A schedule that does not replay is an error, not a page of another run.
	sc := race.Library["link-unlink-2007"]
	if _, err := notebook.WriteRace(sc, race.Config{Era: sc.Buggy[0]}, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"); err == nil {
		t.Error("an impossible schedule made a page")
	}
}

func TestRaceNotebookInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	for name, page := range racePages(t) {
		out := filepath.Join(dir, name+".html")
		if err := os.WriteFile(out, page, 0o644); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(page, []byte("<script")) {
			t.Errorf("%s: has a script", name)
		}
		console, colours := load(t, browser, out)
		if len(console) > 0 {
			t.Errorf("%s: console messages:\n%s", name, strings.Join(console, "\n"))
		}
		if colours < 4 {
			t.Errorf("%s: the screenshot is blank (%d colours)", name, colours)
		}
	}
}
