package ext4sim_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// ext4sim passes the conformance suite every filesystem runs.
func TestConformance(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "ext4", Setup: ext4sim.Setup(ext4sim.MkfsOptions{})})
}

// And with the orphan file.
func TestConformanceOrphanFile(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "ext4", Setup: ext4sim.Setup(ext4sim.MkfsOptions{OrphanFile: true})})
}

func machine(t *testing.T, era vfs.Era, mntOpts string) *script.Machine {
	t.Helper()
	m, err := script.NewMachineWithOptions(vfs.Options{Era: era}, "ext4", mntOpts, ext4sim.Setup(ext4sim.MkfsOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func run(t *testing.T, m *script.Machine, src string) {
	t.Helper()
	ops, err := script.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Run(ops)
}

func violated(vs []vfs.Violation, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}

// Each era's known bug is caught by the checker under that era and absent
// under the eras that fixed it (linux-semantics.md §3).
func TestEraBugsAreCaught(t *testing.T) {
	bugs := []struct {
		name  string
		buggy vfs.Era
		fixed []vfs.Era
		opts  string
		src   string
		want  []string // invariants broken under the buggy era
	}{
		{
			name:  "2007: an orphan linked back stays on the orphan list and is freed on it",
			buggy: vfs.Pre2007,
			fixed: []vfs.Era{vfs.ENOENT2007, vfs.Relink2011, vfs.Upstream},
			src: `open f creat,rdwr -> F
unlink f
linkat-proc F back
close F
drop_caches`,
			want: []string{"E7", "E10"},
		},
		{
			name:  "Amir Goldstein: Sandeen's RFC loses the orphan when add_entry fails, and it leaks after a crash",
			buggy: vfs.SandeenRFC,
			fixed: []vfs.Era{vfs.Relink2011, vfs.ENOENT2007, vfs.Upstream},
			opts:  "sim_commit=handle",
			src: `open f creat,rdwr -> F
write F data
unlink f
fault add_entry 4
linkat-proc F back
crash`,
			want: []string{"E6"},
		},
	}
	for _, b := range bugs {
		t.Run(b.name, func(t *testing.T) {
			for _, era := range append([]vfs.Era{b.buggy}, b.fixed...) {
				m := machine(t, era, b.opts)
				run(t, m, b.src)
				vs := m.Check()
				if era == b.buggy {
					for _, w := range b.want {
						if !violated(vs, w) {
							t.Errorf("%s: the checker misses %s: %v", era, w, vs)
						}
					}
					continue
				}
				if len(vs) > 0 {
					t.Errorf("%s (fixed): %v", era, vfs.InvariantError(vs))
				}
				vfstest.Finish(t, m.K)
			}
		})
	}
}

// The 2007 bug's oops: unmounting with the in-memory orphan list not empty
// is what the kernel BUGged on.
func TestPre2007UnmountOopses(t *testing.T) {
	m := machine(t, vfs.Pre2007, "")
	run(t, m, "open f creat,rdwr -> F\nunlink f\nlinkat-proc F back\nclose F")
	mounted := ext4sim.FS(m.Superblock())
	m.K.Shutdown()
	if oo := mounted.Oopses(); len(oo) != 1 || !strings.Contains(oo[0], "kernel BUG") {
		t.Errorf("oopses %q", oo)
	}
	if !strings.Contains(strings.Join(m.K.Dmesg(), "\n"), "sb orphan head is 12") {
		t.Errorf("no dump_orphan_list in %q", m.K.Dmesg())
	}
}

// Crash at every journal commit of generated workloads: mounting each crash
// image recovers (journal replay, orphan cleanup) to a state the checker
// finds clean, under every era that has no known ext4 bug.
func TestCrashAtEveryCommit(t *testing.T) {
	for _, era := range []vfs.Era{vfs.ENOENT2007, vfs.Relink2011, vfs.Upstream} {
		t.Run(era.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				gen := script.GenConfig{MinOps: 10, MaxOps: 40, Era: era, NoListing: true,
					FS: "ext4", Setup: ext4sim.Setup(ext4sim.MkfsOptions{})}
				ops := script.Ops(gen).Draw(rt, "ops")
				m, err := script.NewMachineWithOptions(vfs.Options{Era: era}, "ext4", "sim_commit=handle", ext4sim.Setup(ext4sim.MkfsOptions{}))
				if err != nil {
					rt.Fatal(err)
				}
				dev := ext4sim.FS(m.Superblock()).Device()
				var crashes []*ext4sim.Device
				var at []int
				step := 0
				dev.OnCommit = func(d *ext4sim.Device) {
					crashes = append(crashes, d.Crash(d.Name()))
					at = append(at, step)
				}
				for i, op := range ops {
					step = i + 1
					m.Step(op)
				}
				m.K.Shutdown()
				for i, c := range crashes {
					if msg := recoverAndCheck(era, c); msg != "" {
						rt.Fatalf("crash after commit %d (during op %d, %q): %s", i+1, at[i], ops[at[i]-1].String(), msg)
					}
				}
			})
		})
	}
}

// recoverAndCheck mounts a crash image on a fresh kernel and returns what
// the checkers find wrong after recovery ("" for nothing).
func recoverAndCheck(era vfs.Era, dev *ext4sim.Device) string {
	k := vfs.NewKernel(vfs.Options{Era: era})
	k.RegisterFilesystem(ext4sim.FilesystemType{})
	k.AddBlockDevice(dev)
	t := k.Init()
	if err := t.Mkdir("/mnt", 0o755); err != nil {
		return err.Error()
	}
	if err := t.Mount(dev.Name(), "/mnt", "ext4", 0, ""); err != nil {
		return fmt.Sprintf("mount: %v", err)
	}
	if vs := k.CheckInvariants(); len(vs) > 0 {
		return vfs.InvariantError(vs).Error() + "\n" + strings.Join(k.Dmesg(), "\n")
	}
	sb := ext4sim.FS(func() *vfs.Superblock {
		for _, s := range k.Supers() {
			if s.Type().Name() == "ext4" {
				return s
			}
		}
		return nil
	}())
	if n := len(sb.Orphans()); n != 0 {
		return fmt.Sprintf("%d orphans left after cleanup", n)
	}
	if err := k.Shutdown(); err != nil {
		return err.Error()
	}
	return ""
}
