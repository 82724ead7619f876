package nsproxy_test

import (
	"testing"

	"github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/vfs"
)

// After unshare(CLONE_NEWTIME) the task itself stays in its time
// namespace; a child it forks runs in the new one (timens_on_fork), as on
// 6.18: the parent's time_for_children is the child's time.
func TestForkRunsInTimeForChildren(t *testing.T) {
	_, tk := kernelWith(t, "tmpfs")
	if err := tk.Unshare(vfs.CLONE_NEWTIME); err != nil {
		t.Fatal(err)
	}
	p := nsproxy.Of(tk)
	if p.Time == p.TimeForChildren {
		t.Fatal("unshare(CLONE_NEWTIME) moved the task itself")
	}
	child, err := tk.Clone(0)
	if err != nil {
		t.Fatal(err)
	}
	c := nsproxy.Of(child)
	if c == p || c.Time != p.TimeForChildren || c.TimeForChildren != p.TimeForChildren {
		t.Errorf("child time %v for-children %v; parent time %v for-children %v", c.Time, c.TimeForChildren, p.Time, p.TimeForChildren)
	}
	child.Exit()
}
