package vfs

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// slowFollow is fs/namei.c:traverse_mounts as Linux runs it: one lookup
// per mount of a stack. It takes and returns no references.
func (k *Kernel) slowFollow(p Path) Path {
	for {
		m := k.mountHash[mountpoint{p.Mnt, p.Dentry}]
		if m == nil {
			return p
		}
		p = Path{m, m.root}
	}
}

// slowDotDot is follow_dotdot, choose_mountpoint and step_into as Linux
// runs them: down a stack one mount at a time, stopping at the task's
// root (and staying put there), then across whatever is mounted on the
// dentry reached.
func (k *Kernel) slowDotDot(root, p Path) Path {
	if p == root {
		return k.slowFollow(p)
	}
	if p.Dentry == p.Mnt.root {
		m, found := p.Mnt, false
		for m.parent != nil && m.parent != m {
			mp := m.mountpoint
			m = m.parent
			if root.Mnt == m && root.Dentry == mp {
				break
			}
			if mp != m.root {
				p, found = Path{m, mp}, true
				break
			}
		}
		if !found {
			return k.slowFollow(p)
		}
	}
	return k.slowFollow(Path{p.Mnt, p.Dentry.parent})
}

// Stacks of mounts are crossed in one step (mountstack.go), and the walk
// ends where Linux's mount-by-mount walk ends: rapid draws binds
// (recursive ones copy stacks bottom-up, so stacks merge), new mounts,
// unmounts (lazy ones take whole stacks), unshare(CLONE_NEWNS) (a copy of
// every stack) and a root in the middle of a stack (where ".." from the
// top must stop, not jump to the bottom), and after each step every
// mountpoint and every task's ".." are compared with the slow walks, and
// the invariants (V19 among them) are checked.
func TestStackedMountsWalkLikeLinux(t *testing.T) {
	dirs := []string{"/a", "/b", "/a/s", "/b/s"}
	rapid.Check(t, func(rt *rapid.T) {
		k := NewKernel(Options{})
		tk := k.Init()
		for _, d := range dirs {
			if err := tk.Mkdir(d, 0o755); err != nil {
				rt.Fatal(err)
			}
		}
		tasks := []*Task{tk, tk.Fork()}
		var log []string
		n := rapid.IntRange(1, 60).Draw(rt, "steps")
		for i := range n {
			ti := rapid.IntRange(0, 1).Draw(rt, "task")
			task := tasks[ti]
			src, dst := rapid.SampledFrom(dirs).Draw(rt, "src"), rapid.SampledFrom(dirs).Draw(rt, "dst")
			var what string
			var err error
			switch op := rapid.IntRange(0, 6).Draw(rt, "op"); op {
			case 0, 1:
				what = fmt.Sprintf("mount --bind %s %s", src, dst)
				err = task.Mount(src, dst, "", MS_BIND, "")
			case 2:
				what = fmt.Sprintf("mount --rbind %s %s", src, dst)
				err = task.Mount(src, dst, "", MS_BIND|MS_REC, "")
			case 3:
				what = fmt.Sprintf("mount -t tmpfs none %s", dst)
				err = task.Mount("none", dst, "tmpfs", 0, "")
				if err == nil {
					task.Mkdir(dst+"/s", 0o755) // for later binds under it
				}
			case 4:
				flags := rapid.SampledFrom([]int{0, MNT_DETACH}).Draw(rt, "umount flags")
				what = fmt.Sprintf("umount %s (flags %d)", dst, flags)
				err = task.Umount(dst, flags)
			case 5:
				what = "unshare(CLONE_NEWNS)"
				err = task.Unshare(CLONE_NEWNS)
			case 6:
				// Root in the middle of dst's stack, cwd at its top.
				err = task.withPath(dst, func(top Path) error {
					var stack []*Mount
					for m := top.Mnt; m.stack != nil && (len(stack) == 0 || m.stack == stack[0].stack); m = m.parent {
						stack = append(stack, m)
						if m == m.stack.bottom {
							break
						}
					}
					if len(stack) < 2 {
						return ENOENT
					}
					mid := stack[rapid.IntRange(1, len(stack)-1).Draw(rt, "root depth")]
					what = fmt.Sprintf("chroot to mount %d in the stack on %s, cwd at its top", mid.id, dst)
					task.SetRootPwd(Path{mid, mid.root}, top)
					return nil
				})
			}
			log = append(log, fmt.Sprintf("%d: task %d %s: %v", i, ti, what, err))
			if vs := k.CheckInvariants(); len(vs) > 0 {
				rt.Fatalf("%v\n%s", vs, strings.Join(log, "\n"))
			}
			for _, task := range tasks {
				for _, m := range task.mntns.mounts {
					for _, c := range m.children {
						got := k.followMounts(PathGet(Path{m, c.mountpoint}))
						want := k.slowFollow(Path{m, c.mountpoint})
						PathPut(got)
						if got != want {
							rt.Fatalf("followMounts from mount %d: mount %d, Linux's walk ends on mount %d\n%s", m.id, got.Mnt.id, want.Mnt.id, strings.Join(log, "\n"))
						}
					}
				}
			}
			for ti, task := range tasks {
				got, err := task.lookupPath(AT_FDCWD, "..", lookupFollow)
				if err != nil {
					rt.Fatalf("task %d: ..: %v", ti, err)
				}
				want := k.slowDotDot(task.fs.root, task.fs.pwd)
				PathPut(got)
				if got != want {
					rt.Fatalf("task %d: .. from %s is %s, Linux's walk gives %s\n%s", ti, task.fs.pwd, got, want, strings.Join(log, "\n"))
				}
			}
		}
		for _, task := range tasks {
			task.Exit()
		}
		if err := k.Shutdown(); err != nil {
			rt.Fatal(err)
		}
	})
}

// ".." at the task's root stays on the root's dentry and then crosses what
// is mounted on it (follow_dotdot's in_root, then step_into), as Linux
// 6.18 does. On the real kernel, in a private mount namespace:
//
//	mount --bind /tmp/dd/a /        ls / lists the old root; ls /.. lists
//	                                /tmp/dd/a (fa); stat /../fa succeeds
//	mount --bind a s; cd s; mount --bind b s; chroot .
//	                                / lists fa (the root is the lower
//	                                mount), /.. and /../.. list fb (the
//	                                upper), . lists fa
func TestDotDotAtRootCrossesMounts(t *testing.T) {
	k := NewKernel(Options{})
	tk := k.Init()
	for _, d := range []string{"/a", "/b", "/s"} {
		if err := tk.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"/a/fa", "/b/fb"} {
		fd, err := tk.Open(f, O_CREAT|O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		tk.Close(fd)
	}
	want := func(tk *Task, path string, ok bool) {
		t.Helper()
		_, err := tk.Stat(path)
		if (err == nil) != ok {
			t.Errorf("stat %s: %v, want success %v", path, err, ok)
		}
	}
	// A chroot in the middle of a stack.
	c := tk.Fork()
	if err := c.Mount("/a", "/s", "", MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Chdir("/s"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mount("/b", "/s", "", MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	c.SetRootPwd(c.fs.pwd, c.fs.pwd)
	want(c, "/fa", true)
	want(c, "/fb", false)
	want(c, "/../fb", true)
	want(c, "/../../fb", true)
	want(c, "/../fa", false)
	want(c, "./fa", true)
	c.Exit()
	// A bind mount on the root itself.
	if err := tk.Mount("/a", "/", "", MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	want(tk, "/fa", false)
	want(tk, "/a", true)
	want(tk, "/../fa", true)
	if vs := k.CheckInvariants(); len(vs) > 0 {
		t.Fatal(vs)
	}
	tk.Exit()
	if err := k.Shutdown(); err != nil {
		t.Fatal(err)
	}
}
