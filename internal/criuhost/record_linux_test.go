package criuhost_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/internal/criuhost"
	"github.com/relinksim/relinksim/internal/hostkernel"
)

// TestRecordCRIU re-records every scenario of ckpt/testdata/criu with real
// CRIU when -record-criu is given (and skips otherwise): NAME.FS.jsonl,
// the steps, and NAME.FS.criu.json, the image facts, for each filesystem
// criuhost.Filesystems picks; a recording of a filesystem no longer picked
// is removed. It fails, writing nothing for the scenario, when CRIU is
// missing, fails `criu check`, or cannot carry a scenario out. Run one
// scenario with -run TestRecordCRIU/NAME.
func TestRecordCRIU(t *testing.T) {
	if !*recordCRIU {
		t.Skip("re-records " + scenarioDir + " with real CRIU: go test ./internal/criuhost -run TestRecordCRIU -record-criu (root)")
	}
	criu, err := criuhost.FindCRIU()
	if err != nil {
		t.Fatalf("-record-criu: %v", err)
	}
	if why := hostkernel.Ext4Available(); why != "" {
		t.Fatalf("-record-criu needs the real kernel with ext4: %s", why)
	}
	if why := hostkernel.BtrfsAvailable(); why != "" {
		t.Fatalf("-record-criu needs btrfs: %s", why)
	}
	version, err := criuhost.Check(criu)
	if err != nil {
		t.Fatalf("-record-criu: CRIU cannot dump and restore here: %v", err)
	}
	t.Logf("recording with %s (CRIU %s)", criu, version)
	templates := t.TempDir()
	ext4, err := hostkernel.MakeExt4Template(templates)
	if err != nil {
		t.Fatal(err)
	}
	btrfs, err := hostkernel.MakeBtrfsTemplate(templates)
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := filepath.Glob(filepath.Join(scenarioDir, "*.txt"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scenarios in %s: %v", scenarioDir, err)
	}
	for _, path := range scripts {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := criuhost.ParseScenario(path, string(src)); err != nil {
				t.Fatal(err)
			}
			fss, err := criuhost.Filesystems(string(src))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out := map[string][]byte{}
			for _, fs := range fss {
				cfg := criuhost.Config{CRIU: criu, Version: version, FS: fs, Base: t.TempDir()}
				if *criuKeep != "" {
					// Keep the images and CRIU's logs to look at.
					cfg.Base = filepath.Join(*criuKeep, name, fs)
					if err := os.MkdirAll(cfg.Base, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				switch fs {
				case "ext4":
					cfg.Template = ext4
				case "btrfs":
					cfg.Template = btrfs
				}
				rec, err := criuhost.Run(cfg, path, string(src))
				if err != nil {
					t.Fatalf("on %s: %v", fs, err)
				}
				base := strings.TrimSuffix(path, ".txt") + "." + fs
				out[base+".jsonl"] = []byte(strings.Join(rec.Lines, "\n") + "\n")
				var facts bytes.Buffer
				enc := json.NewEncoder(&facts)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rec.Facts); err != nil {
					t.Fatal(err)
				}
				out[base+".criu.json"] = facts.Bytes()
				for _, l := range rec.Lines {
					t.Logf("%s: %s", fs, l)
				}
			}
			for _, fs := range criuhost.AllFilesystems {
				if slices.Contains(fss, fs) {
					continue
				}
				base := strings.TrimSuffix(path, ".txt") + "." + fs
				for _, p := range []string{base + ".jsonl", base + ".criu.json"} {
					if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			}
			for p, b := range out {
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
