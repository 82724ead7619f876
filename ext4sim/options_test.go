package ext4sim_test

import (
	"errors"
	"testing"

	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// sim_cpu names a CPU: 0 to MaxCPUs-1. A number past it (the issue's
// sim_cpu=709490156681136602, whose slot search started at block -14 and
// panicked at the next O_TMPFILE) fails the mount with EINVAL; the
// largest valid one works.
func TestSimCPURange(t *testing.T) {
	for _, bad := range []string{"-1", "8192", "709490156681136602", "x", ""} {
		m, err := script.Boot(script.Config{FS: "ext4", Mkfs: "orphan_file", MountOptions: "sim_cpu=" + bad})
		if err == nil {
			m.K.Shutdown()
			t.Errorf("sim_cpu=%s mounted", bad)
			continue
		}
		if !errors.Is(err, vfs.EINVAL) {
			t.Errorf("sim_cpu=%s: %v, want EINVAL", bad, err)
		}
	}
	for _, good := range []string{"0", "8191"} {
		m, err := script.Boot(script.Config{FS: "ext4", Mkfs: "orphan_file", MountOptions: "sim_cpu=" + good})
		if err != nil {
			t.Fatalf("sim_cpu=%s: %v", good, err)
		}
		ops, err := script.Parse("mkdir d\nopen d tmpfile,rdwr -> T\norphan-slots\n")
		if err != nil {
			t.Fatal(err)
		}
		steps := m.Run(ops)
		for _, st := range steps {
			if st.Err != nil || st.Errno != "" {
				t.Fatalf("sim_cpu=%s: %s", good, st.Describe())
			}
		}
		if slots, _ := steps[2].Ret.([]string); len(slots) != 1 {
			t.Errorf("sim_cpu=%s: orphan slots %v, want the tmpfile's", good, steps[2].Ret)
		}
		if err := m.K.Shutdown(); err != nil {
			t.Fatal(err)
		}
	}
}
