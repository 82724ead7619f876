package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/output.golden")

// The demo is deterministic: its whole output is checked against a golden
// file (regenerate with go test ./examples/relink-demo -update).
func TestDemoOutput(t *testing.T) {
	var b strings.Builder
	if err := demo(&b); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/output.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("demo output differs from %s (-want +got):\n%s", golden, diff)
	}
	for _, must := range []string{
		`head -c 6 b                                      = "foo\x00\x00\x00"`, // the naive restart
		`= "foobar"`, // the real one
		"sys_checkpoint(the program)                      = tasks=1 files=2 relinked=1 data-bytes=0",
		"sys_restart(the image)                           = tasks=1 files=2 data-bytes=0",
		"-1 ENOENT", // the series' code on today's kernel
	} {
		if !strings.Contains(b.String(), must) {
			t.Errorf("demo output lacks %q", must)
		}
	}
}
