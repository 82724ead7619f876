package vfs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// BenchmarkLinkUnlinkOpenClose measures the hot cycle of the relink story:
// create, link, unlink both names, close — six system calls.
func BenchmarkLinkUnlinkOpenClose(b *testing.B) {
	k := vfstest.NewKernel(b, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(b, tk, "/mnt")
	start := k.Stats().Syscalls
	b.ResetTimer()
	for b.Loop() {
		fd, err := tk.Open("/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		if err := tk.Link("/mnt/a", "/mnt/b"); err != nil {
			b.Fatal(err)
		}
		if err := tk.Unlink("/mnt/a"); err != nil {
			b.Fatal(err)
		}
		if err := tk.Unlink("/mnt/b"); err != nil {
			b.Fatal(err)
		}
		if _, err := tk.Write(fd, []byte("x")); err != nil {
			b.Fatal(err)
		}
		if err := tk.Close(fd); err != nil {
			b.Fatal(err)
		}
	}
	calls := float64(k.Stats().Syscalls - start)
	b.ReportMetric(b.Elapsed().Seconds()*1e9/calls, "ns/syscall")
}

// BenchmarkPathWalkDepth10 stats a file ten directories deep, all cached.
func BenchmarkPathWalkDepth10(b *testing.B) {
	k := vfstest.NewKernel(b, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(b, tk, "/mnt")
	p := "/mnt"
	for i := 0; i < 10; i++ {
		p += "/d"
		if err := tk.Mkdir(p, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	p += "/f"
	if err := tk.Close(vfstest.Open(b, tk, p, vfs.O_CREAT|vfs.O_RDWR, 0o644)); err != nil {
		b.Fatal(err)
	}
	components := strings.Count(p, "/")
	b.ResetTimer()
	for b.Loop() {
		if _, err := tk.Stat(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*components), "ns/component")
}

// BenchmarkPathWalkDepth10Cold is the same walk with an empty dentry cache:
// every component goes to the filesystem's lookup.
func BenchmarkPathWalkDepth10Cold(b *testing.B) {
	k := vfstest.NewKernel(b, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(b, tk, "/mnt")
	p := "/mnt" + strings.Repeat("/d", 10)
	if err := tk.Mkdir("/mnt/d", 0o755); err != nil {
		b.Fatal(err)
	}
	for q := "/mnt/d"; q != p; {
		q += "/d"
		if err := tk.Mkdir(q, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		k.DropCaches()
		if _, err := tk.Stat(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSparsePwriteGiB writes a page at 1 GiB in a fresh file: the cost
// must not depend on the offset.
func BenchmarkSparsePwriteGiB(b *testing.B) {
	k := vfstest.NewKernel(b, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(b, tk, "/mnt")
	page := make([]byte, vfs.PageSize)
	for b.Loop() {
		fd, err := tk.Open("/mnt/s", vfs.O_CREAT|vfs.O_RDWR|vfs.O_TRUNC, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tk.Pwrite(fd, page, 1<<30); err != nil {
			b.Fatal(err)
		}
		tk.Close(fd)
	}
}

// BenchmarkStackedMounts measures one bind mount onto the top of a stack
// of depth mounts on /d, a stat through it, and its unmount. Linux's
// traverse_mounts climbs the stack one mount at a time; the simulator
// crosses it in one step (mountstack.go), so the cost should not grow
// with the depth (issue 15: 20,000 stacked binds took 16.6 s).
func BenchmarkStackedMounts(b *testing.B) {
	for _, depth := range []int{10, 20_000} {
		b.Run(fmt.Sprint("depth=", depth), func(b *testing.B) {
			k := vfstest.NewKernel(b, vfs.Options{})
			tk := k.Init()
			vfstest.Must(b, tk.Mkdir("/d", 0o755))
			vfstest.Must(b, tk.Mkdir("/d/x", 0o755))
			for range depth {
				vfstest.Must(b, tk.Mount("/d", "/d", "", vfs.MS_BIND, ""))
			}
			b.ResetTimer()
			for b.Loop() {
				if err := tk.Mount("/d", "/d", "", vfs.MS_BIND, ""); err != nil {
					b.Fatal(err)
				}
				if _, err := tk.Stat("/d/x/.."); err != nil {
					b.Fatal(err)
				}
				if err := tk.Umount("/d", 0); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for range depth {
				vfstest.Must(b, tk.Umount("/d", 0))
			}
		})
	}
}
