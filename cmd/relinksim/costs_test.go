package main

import (
	"strings"
	"testing"
)

// relinksim costs prints the table in each format, and refuses bad flags.
func TestCostsCommand(t *testing.T) {
	r := invoke([]string{"costs", "-fs", "tmpfs", "-files", "2", "-size", "8192", "-format", "csv", "-strategies", "relink-upstream,copy", "-transports", "same"}, "")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	want := "strategy,transport,ok,stage,failure,checkpoint_bytes,image_bytes,transit_bytes,restart_bytes,metadata_ops,write_reaches_b,same_inode,holes_kept\n" +
		"relink-upstream,same,true,,,0,0,0,0,"
	if !strings.HasPrefix(r.out, want) || !strings.Contains(r.out, "\ncopy,same,true,,,16384,16384,0,16384,") {
		t.Errorf("csv:\n%s", r.out)
	}
	if r := invoke([]string{"costs", "-fs", "tmpfs", "-files", "1", "-format", "json", "-strategies", "handle", "-transports", "same"}, ""); r.code != 0 ||
		!strings.Contains(r.out, `"failure": "ESTALE"`) {
		t.Errorf("json: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"costs", "-unlinked", "2"}, "want a fraction from 0 to 1"},
		{[]string{"costs", "-files", "0"}, "-files 0: want 1 to 100000"},
		{[]string{"costs", "-format", "xml"}, "want text, json or csv"},
		{[]string{"costs", "-strategies", "rsync"}, `unknown strategy "rsync"`},
		{[]string{"costs", "extra"}, "costs takes no arguments"},
	} {
		r := invoke(c.args, "")
		if r.code != 2 || !strings.Contains(r.errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.errOut, c.want)
		}
	}
}
