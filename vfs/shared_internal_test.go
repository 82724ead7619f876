package vfs

import (
	"strings"
	"testing"
)

// The checker sees a wrong user count on an fs_struct (V16) or descriptor
// table (V17), and a mount namespace reference nobody accounts for (V15).
func TestSharedStructureInvariantsFire(t *testing.T) {
	for _, c := range []struct {
		name   string
		break_ func(tk *Task)
		mend   func(tk *Task)
	}{
		{"V16", func(tk *Task) { tk.fs.refs++ }, func(tk *Task) { tk.fs.refs-- }},
		{"V17", func(tk *Task) { tk.files.refs++ }, func(tk *Task) { tk.files.refs-- }},
		{"V15", func(tk *Task) { tk.mntns.refs++ }, func(tk *Task) { tk.mntns.refs-- }},
	} {
		k := NewKernel(Options{})
		tk := k.Init()
		c.break_(tk)
		var names []string
		for _, v := range k.CheckInvariants() {
			names = append(names, v.Name)
		}
		if strings.Join(names, " ") != c.name {
			t.Errorf("%s broken: violations %v", c.name, names)
		}
		c.mend(tk)
		if err := k.Shutdown(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
