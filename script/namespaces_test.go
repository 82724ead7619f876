package script_test

import (
	"testing"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// An open /proc/PID/ns file of a namespace other than the mount namespace
// holds a reference the nsproxy invariant (N2) accounts for, whatever name
// /proc shows it under. The kernel-differential campaign found the check
// counting only pid_for_children and time_for_children files: opening
// /proc/PID/ns/uts broke the invariant.
func TestNamespaceFilesKeepInvariants(t *testing.T) {
	for _, ns := range []string{"uts", "ipc", "net", "cgroup", "pid", "pid_for_children", "time", "time_for_children", "mnt"} {
		m, err := script.NewMachine(vfs.Options{}, "tmpfs", nil)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := script.Parse("open-ns init " + ns + " -> N\nsetns N\nclose N")
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			st := m.Step(op)
			if st.Err != nil || st.Errno != "" {
				t.Errorf("%s: %s: %v %s", ns, st.Op, st.Err, st.Errno)
			}
			if vs := m.Check(); len(vs) > 0 {
				t.Errorf("%s: after %s: %v", ns, st.Op, vfs.InvariantError(vs))
			}
		}
		if err := m.K.Shutdown(); err != nil {
			t.Errorf("%s: %v", ns, err)
		}
	}
}
