package vfstest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestConformanceFiles runs the conformance cases on tmpfs from their files
// on disk, so that
//
//	go test ./vfs/vfstest -run TestConformanceFiles -rewrite
//
// regenerates their expected output. Review the diff: the output must stay
// the same for every filesystem, which the ext4sim and btrfssim tests
// (vfstest.TestFilesystem on the embedded copies) check.
func TestConformanceFiles(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir, "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no conformance cases in %s: %v", conformanceDir, err)
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			runConformanceFile(t, FSConfig{Type: "tmpfs"}, p, string(src), true)
		})
	}
}
