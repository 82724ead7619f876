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
	for _, must := range []string{`cat b                                            = "foo"`, `= "foobar"`, "-1 ENOENT"} {
		if !strings.Contains(b.String(), must) {
			t.Errorf("demo output lacks %q", must)
		}
	}
}
