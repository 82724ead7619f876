package depcheck_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testLibs are the packages no library may link: each registers flags on
// flag.CommandLine or pulls in one that does.
var testLibs = []string{"testing", "pgregory.net/rapid", "github.com/cockroachdb/datadriven"}

const mod = "github.com/relinksim/relinksim/"

// deps returns what `go list -deps` says pkg links (tests excluded).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// libraries are the packages a program imports, and the command line.
var libraries = []string{"vfs", "ext4sim", "btrfssim", "script", "nsproxy", "ckpt", "race", "internal/hostkernel", "internal/campaign", "cmd/relinksim", "examples/relink-demo"}

func TestLibrariesLinkNoTestLibrary(t *testing.T) {
	for _, p := range libraries {
		for _, d := range deps(t, mod+p) {
			if slices.Contains(testLibs, d) {
				t.Errorf("%s links %s: library packages must not (test helpers live in packages named for them)", p, d)
			}
		}
	}
}

// The check itself: a test-helper package does link them, so a broken
// layout would be caught.
func TestCheckSeesTestHelpers(t *testing.T) {
	for _, p := range []string{"script/scriptgen", "script/scripttest", "race/racecheck", "vfs/vfstest", "internal/campaign/campaigntest"} {
		if !slices.Contains(deps(t, mod+p), "testing") {
			t.Errorf("%s does not link testing: the check above would prove nothing", p)
		}
	}
}

// The language imports no filesystem; the conformance suite no btrfs;
// vfs nothing of relinksim.
func TestLayering(t *testing.T) {
	for _, c := range []struct {
		pkg    string
		banned []string
	}{
		{"script", []string{mod + "ext4sim", mod + "btrfssim", mod + "race"}},
		{"vfs/vfstest", []string{mod + "btrfssim", mod + "ext4sim"}},
		{"vfs", []string{mod + "script", mod + "ext4sim", mod + "btrfssim", mod + "race"}},
		{"ext4sim", []string{mod + "script", mod + "btrfssim"}},
		{"btrfssim", []string{mod + "script", mod + "ext4sim"}},
		{"nsproxy", []string{mod + "ext4sim", mod + "btrfssim", mod + "race", mod + "ckpt"}},
		{"ckpt", []string{mod + "ext4sim", mod + "btrfssim", mod + "race"}},
	} {
		for _, d := range deps(t, mod+c.pkg) {
			if slices.Contains(c.banned, d) {
				t.Errorf("%s imports %s", c.pkg, d)
			}
		}
	}
}

// A program with flags of its own (-rewrite, -short) that imports every
// library package starts, parses its flags and runs.
func TestProgramKeepsItsFlags(t *testing.T) {
	out, err := exec.Command("go", "run", "./flagclash", "-rewrite", "-short").CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./flagclash: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "flags: true true") || !strings.Contains(string(out), "orphans: [A]") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

// Every package teaches its concept in a doc.go (the style guide's rule).
func TestEveryPackageHasDocGo(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dirs := strings.Fields(string(out))
	if len(dirs) < 10 {
		t.Fatalf("go list found %d packages", len(dirs))
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "doc.go")); err != nil {
			t.Errorf("%s has no doc.go", d)
		}
	}
}
