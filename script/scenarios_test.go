package script_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

var record = flag.Bool("record", false, "re-record testdata/scenarios/*.tmpfs.jsonl from the real kernel (Linux, root)")

// TestScenarios runs every script in testdata/scenarios — the kernel
// oracle's scenarios and the regressions the differential test found — on
// the simulator, and compares its output byte for byte with the output the
// real kernel recorded for it (NAME.tmpfs.jsonl). With -record, run as root
// on Linux, the recordings are remade from the real kernel first.
//
// The oracle's own scenarios in ../shared/oracle/scenarios are checked too
// when that directory is present.
func TestScenarios(t *testing.T) {
	dirs := []string{"testdata/scenarios"}
	if _, err := os.Stat("../../shared/oracle/scenarios"); err == nil {
		dirs = append(dirs, "../../shared/oracle/scenarios")
	}
	for _, dir := range dirs {
		scripts, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil || len(scripts) == 0 {
			t.Fatalf("no scenarios in %s: %v", dir, err)
		}
		for _, path := range scripts {
			name := strings.TrimSuffix(path, ".txt")
			t.Run(name, func(t *testing.T) {
				src, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				ops, err := script.Parse(string(src))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				want := name + ".tmpfs.jsonl"
				if *record && dir == "testdata/scenarios" {
					recordHost(t, ops, want)
				}
				expect, err := os.ReadFile(want)
				if err != nil {
					t.Fatalf("no recording of the real kernel's output: %v", err)
				}
				m, err := script.NewMachine(vfs.Options{}, "tmpfs", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer vfstest.Finish(t, m.K)
				var got bytes.Buffer
				for _, op := range ops {
					got.WriteString(encode(m.Step(op)) + "\n")
				}
				if diff := cmp.Diff(string(expect), got.String()); diff != "" {
					t.Errorf("relinksim run -fs tmpfs %s differs from the real kernel (-kernel +simulator):\n%s", path, diff)
				}
			})
		}
	}
}

func encode(s script.Step) string {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
