package nsproxy_test

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/vfs"
)

// A task unshares its mount namespace and mounts a tmpfs there: the mount
// tables differ, and init, in the old namespace, does not see the file on
// it. kern_setns (seed patch 09) moves init into the task's namespace,
// where it does.
func Example() {
	k := vfs.NewKernel(vfs.Options{})
	ops := nsproxy.Enable(k)
	init := k.Init()
	init.Mkdir("/mnt", 0o755)
	c := init.Fork()
	if err := c.Unshare(vfs.CLONE_NEWNS); err != nil {
		panic(err)
	}
	c.Mount("none", "/mnt", "tmpfs", 0, "")
	fd, _ := c.Creat("/mnt/f", 0o644)
	c.Close(fd)

	show := func(who string, t *vfs.Task) {
		var points []string
		for _, m := range t.MountInfo() {
			points = append(points, strings.Fields(m)[1])
		}
		f := "ok"
		if _, err := t.Stat("/mnt/f"); err != nil {
			f = vfs.ErrnoName(err)
		}
		fmt.Printf("%-4s mnt:[%d] mounts %v, stat /mnt/f: %s\n", who, t.MountNamespace().Inum(), points, f)
	}
	show("init", init)
	show("c", c)
	if err := ops.KernSetns(init, c.MountNamespace()); err != nil {
		panic(err)
	}
	show("init", init)
	// Output:
	// init mnt:[4026531841] mounts [/ /proc], stat /mnt/f: ENOENT
	// c    mnt:[4026531848] mounts [/ /proc /mnt], stat /mnt/f: ok
	// init mnt:[4026531848] mounts [/ /proc /mnt], stat /mnt/f: ok
}
