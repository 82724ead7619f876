package fuzztargets

import (
	"encoding/json"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/script"
)

// The op-sequence target's inputs steer what it runs: the seeds and a
// hundred random inputs each make a script of 5 to 40 ops that runs clean,
// different inputs make different scripts, and between them they reach
// every filesystem and every era (a target whose inputs all made the
// same script, or none, would prove nothing).
func TestOpsInputsSteerTheScript(t *testing.T) {
	inputs := [][]byte{{}, []byte("ext4 orphan_file, upstream"), {3, 0, 0, 0, 0, 0, 0, 0, 1}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		b := make([]byte, rng.IntN(400))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		inputs = append(inputs, b)
	}
	scripts, fss, eras := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, data := range inputs {
		c, era, ops := opsOf(data)
		if len(ops) < 5 || len(ops) > 40 {
			t.Fatalf("input %d: %d ops", i, len(ops))
		}
		if err := runOps(data); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		scripts[script.Format(ops)] = true
		fss[c.fs+" "+c.mkfs] = true
		eras[era.String()] = true
	}
	if len(scripts) < len(inputs)-1 || len(fss) != len(fuzzFS) || len(eras) != len(soundEras) {
		t.Errorf("%d inputs made %d scripts on %d filesystems in %d eras", len(inputs), len(scripts), len(fss), len(eras))
	}
}

// Every fuzz target of the repository builds the way a fuzzing service
// builds it (see the package documentation): exactly one file under its
// package's directory names it (compile_native_go_fuzzer greps for the
// name), and that file, given a name that is no test file's, compiles into
// its package alone, with none of the package's other test files (as
// go-118-fuzz-build compiles it). The real build, with go-118-fuzz-build
// and libFuzzer, is .ci/libfuzzer, which CI runs.
func TestTargetsBuildAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three packages")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string][]string{} // file -> targets
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllSubmatch(b, -1) {
			targets[path] = append(targets[path], string(m[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) < 3 {
		t.Fatalf("fuzz targets found in %d files: %v", len(targets), targets)
	}
	files := slices.Sorted(maps.Keys(targets))
	for _, file := range files {
		dir := filepath.Dir(file)
		for _, name := range targets[file] {
			var naming []string
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), name) {
						naming = append(naming, path)
					}
				}
				return nil
			})
			if len(naming) != 1 {
				t.Errorf("%s: %d files under %s name it, want 1 (compile_native_go_fuzzer greps for it): %q", name, len(naming), dir, naming)
			}
		}
		overlay, err := json.Marshal(map[string]map[string]string{"Replace": {
			file: "",
			strings.TrimSuffix(file, "_test.go") + "_fuzz.go": file,
		}})
		if err != nil {
			t.Fatal(err)
		}
		ov := filepath.Join(t.TempDir(), "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-overlay", ov, ".")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s (%s) does not build alone as code of its package:\n%s", file, strings.Join(targets[file], ", "), out)
		}
	}
	t.Logf("%d files: %v", len(files), targets)
}

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(\w+ \*testing\.F\)`)
