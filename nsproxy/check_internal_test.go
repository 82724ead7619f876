package nsproxy

import (
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// The package's invariants fire on a broken count, and the leak check
// names an nsproxy or namespace nobody released.
func TestInvariantsAndLeaksFire(t *testing.T) {
	k := vfs.NewKernel(vfs.Options{})
	o := Enable(k)
	tk := k.Init()
	if vs := k.CheckInvariants(); len(vs) != 0 {
		t.Fatalf("fresh kernel: %v", vfs.InvariantError(vs))
	}
	p := Of(tk)
	p.Get() // a reference no task accounts for
	p.UTS.Get()
	var names []string
	for _, v := range k.CheckInvariants() {
		names = append(names, v.Name)
	}
	if strings.Join(names, " ") != "N1 N2" {
		t.Errorf("violations %v, want N1 N2", names)
	}
	p.UTS.Put()
	err := k.Shutdown()
	if err == nil || !strings.Contains(err.Error(), "nsproxy#") || !strings.Contains(err.Error(), "uts_namespace#") || !strings.Contains(err.Error(), "mnt_namespace#") {
		t.Errorf("leak check: %v, want the nsproxy and its namespaces named", err)
	}
	_ = o
}
