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

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

var record = flag.Bool("record", false, "re-record testdata/scenarios/*.{tmpfs,ext4,btrfs}.jsonl from the real kernel (Linux, root); RELINKSIM_RECORD_ONLY=NAME records scenario NAME only")

// scenarioFilesystems are the filesystems a scenario is recorded and
// replayed on, with the simulator's machine for each.
var scenarioFilesystems = []struct {
	name string
	sim  func() (*script.Machine, error)
}{
	{"tmpfs", func() (*script.Machine, error) { return script.NewMachine(vfs.Options{}, "tmpfs", nil) }},
	{"ext4", func() (*script.Machine, error) {
		return script.NewMachine(vfs.Options{}, "ext4", ext4sim.Setup(ext4sim.MkfsOptions{}))
	}},
	{"btrfs", func() (*script.Machine, error) {
		return script.NewMachine(vfs.Options{}, "btrfs", btrfssim.Setup(btrfssim.MkfsOptions{}))
	}},
}

// TestScenarios runs every script in testdata/scenarios — the kernel
// oracle's scenarios and the regressions the differential tests found — on
// the simulator, and compares its output byte for byte with the output the
// real kernel recorded for it on each filesystem (NAME.tmpfs.jsonl,
// NAME.ext4.jsonl, NAME.btrfs.jsonl; a scenario without a recording for a
// filesystem is not run on it). With -record, run as root on Linux, the
// recordings are remade from the real kernel first, on every filesystem.
// The oracle's own scenarios (seed-ab, tmpfile-link) are among them, with
// the oracle's recordings (docs/oracle.md).
func TestScenarios(t *testing.T) {
	dirs := []string{"testdata/scenarios"}
	for _, dir := range dirs {
		scripts, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil || len(scripts) == 0 {
			t.Fatalf("no scenarios in %s: %v", dir, err)
		}
		for _, path := range scripts {
			name := strings.TrimSuffix(path, ".txt")
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ops, err := script.Parse(string(src))
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			if only := os.Getenv("RELINKSIM_RECORD_ONLY"); *record && dir == "testdata/scenarios" && (only == "" || only == filepath.Base(name)) {
				recordHost(t, ops, name)
			}
			ran := 0
			for _, fs := range scenarioFilesystems {
				want := name + "." + fs.name + ".jsonl"
				expect, err := os.ReadFile(want)
				if os.IsNotExist(err) {
					continue
				}
				ran++
				t.Run(name+"/"+fs.name, func(t *testing.T) {
					if err != nil {
						t.Fatal(err)
					}
					m, err := fs.sim()
					if err != nil {
						t.Fatal(err)
					}
					defer vfstest.Finish(t, m.K)
					var got bytes.Buffer
					for _, op := range ops {
						got.WriteString(encode(m.Step(op)) + "\n")
					}
					if diff := cmp.Diff(string(expect), got.String()); diff != "" {
						t.Errorf("relinksim run -fs %s %s differs from the real kernel (-kernel +simulator):\n%s", fs.name, path, diff)
					}
				})
			}
			if ran == 0 {
				t.Errorf("%s: no recording of the real kernel's output (record with -record)", path)
			}
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
