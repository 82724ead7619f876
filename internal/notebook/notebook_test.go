package notebook_test

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ckpt/zdtmops" // the zdtm scripts' own ops
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/notebook"
	_ "github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/vfs"
)

// transcripts are the lab-notebook transcripts of ckpt and vfs, with the
// filesystem each directory runs on.
func transcripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for dir, fs := range map[string]string{
		"../../ckpt/testdata/ext4": "ext4", "../../ckpt/testdata/tmpfs": "tmpfs", "../../ckpt/testdata/btrfs": "btrfs",
		"../../vfs/testdata": "tmpfs",
	} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				out[filepath.Join(dir, e.Name())] = fs
			}
		}
	}
	// The scripts: real CRIU's scenarios, the cut regressions and the
	// zdtm tests (whose checkpoint line names STRATEGY; write runs them under criu, whose tests they are).
	for _, glob := range []string{"../../ckpt/testdata/criu/*.txt", "../../ckpt/testdata/cuts/*.txt", "../../ckpt/testdata/zdtm/*.txt"} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if filepath.Base(p) != "verdicts.txt" {
				out[p] = "ext4"
			}
		}
	}
	if len(out) < 60 {
		t.Fatalf("only %d transcripts and scripts", len(out))
	}
	return out
}

// pages caches the pages write made, for the tests that look at the
// same ones.
var pages = map[string][]byte{}

func write(t *testing.T, path, fs string) []byte {
	t.Helper()
	if p, ok := pages[path+" on "+fs]; ok {
		return p
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.ReplaceAll(src, []byte("checkpoint STRATEGY"), []byte("checkpoint criu"))
	page, err := notebook.Write(path, src, notebook.Options{FS: fs, Era: vfs.Upstream})
	if err != nil {
		t.Fatal(err)
	}
	pages[path+" on "+fs] = page
	return page
}

var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//)`)

// Every transcript's notebook is one self-contained page: it parses as
// HTML, has a picture per step, and refers to nothing outside itself.
func TestNotebookPages(t *testing.T) {
	for path, fs := range transcripts(t) {
		page := write(t, path, fs)
		if n := bytes.Count(page, []byte("<svg")); n < 2 {
			t.Errorf("%s: %d pictures", path, n)
		}
		if m := externalRef.Find(page); m != nil {
			t.Errorf("%s: refers outside itself: %s", path, m)
		}
		if bytes.Contains(page, []byte("<script")) {
			t.Errorf("%s: has a script", path)
		}
		d := xml.NewDecoder(bytes.NewReader(page))
		d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s: does not parse: %v", path, err)
				break
			}
		}
	}
}

// chromium finds a Chromium to load pages in: $RELINKSIM_CHROMIUM, or
// chromium on the PATH (CI installs Debian's).
func chromium(t *testing.T) string {
	if p := os.Getenv("RELINKSIM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("Chromium is not installed here (apt-get install chromium; .ci/run installs it), so the pages are not loaded in a browser")
	return ""
}

// load opens page in headless Chromium and returns the console lines it
// logged and its screenshot's distinct colours.
func load(t *testing.T, browser, page string) (console []string, colours int) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--window-size=1200,1600", "--screenshot="+shot, "file://"+page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return console, len(seen)
}

// Every transcript's notebook loads in headless Chromium without a console
// message, and its screenshot is not blank; a page that logs a console
// error is caught (the check's own control).
func TestNotebookInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	if err := os.WriteFile(bad, []byte(`<html><body><script>console.error("boom")</script></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if console, _ := load(t, browser, bad); len(console) == 0 {
		t.Fatal("a page that logs a console error passed: the check proves nothing")
	}
	for path, fs := range transcripts(t) {
		out := filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(path, "../../"), "/", "_")+".html")
		if err := os.WriteFile(out, write(t, path, fs), 0o644); err != nil {
			t.Fatal(err)
		}
		console, colours := load(t, browser, out)
		if len(console) > 0 {
			t.Errorf("%s: console messages:\n%s", path, strings.Join(console, "\n"))
		}
		if colours < 4 {
			t.Errorf("%s: the screenshot is blank (%d colours)", path, colours)
		}
	}
}

// A run of ops of one name is folded: its first and last op shown, the
// ok ones between counted in a note, one that fails shown where it is,
// with the notes around it naming only ok lines.
func TestRunsAreFolded(t *testing.T) {
	page, err := notebook.Write("runs", []byte("mkdir a\nmkdir b\nmkdir a\nmkdir c\nmkdir d\nmkdir e\nmkdir f\n"), notebook.Options{FS: "tmpfs"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		`<pre class="op">1  mkdir a</pre>`,
		"… 1 more mkdir ops (lines 2 to 2), each ok",
		`<pre class="op">3  mkdir a</pre>`, "error EEXIST",
		"… 3 more mkdir ops (lines 4 to 6), each ok",
		`<pre class="op">7  mkdir f</pre>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(s, "<svg"); n != 1 {
		t.Errorf("%d pictures, want the one after the run", n)
	}
	for _, hidden := range []string{">2  mkdir b<", ">4  mkdir c<", ">6  mkdir e<"} {
		if strings.Contains(s, hidden) {
			t.Errorf("%s is shown, inside the run", hidden)
		}
	}
}
