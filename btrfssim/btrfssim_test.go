package btrfssim_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// btrfssim passes the conformance suite every filesystem runs.
func TestConformance(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "btrfs", Setup: btrfssim.Setup(btrfssim.MkfsOptions{})})
}

// Crash after every transaction commit of generated workloads (with
// subvolumes and snapshots), in every era: mounting the crash image and
// looking into every subvolume leaves no orphan item and no broken
// invariant.
func TestCrashAtEveryCommit(t *testing.T) {
	for _, era := range vfs.Eras {
		t.Run(era.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				setup := btrfssim.Setup(btrfssim.MkfsOptions{})
				gen := script.GenConfig{MinOps: 10, MaxOps: 50, Era: era, FS: "btrfs", Setup: setup, Btrfs: true}
				ops := script.Ops(gen).Draw(rt, "ops")
				m, err := script.NewMachine(vfs.Options{Era: era}, "btrfs", setup)
				if err != nil {
					rt.Fatal(err)
				}
				dev := btrfssim.FS(m.Superblock()).Device()
				var crashes []*btrfssim.Device
				var at []int
				step := 0
				dev.OnCommit = func(d *btrfssim.Device) {
					crashes = append(crashes, d.Crash(d.Name()))
					at = append(at, step)
				}
				for i, op := range ops {
					step = i + 1
					m.Step(op)
				}
				if err := m.K.Shutdown(); err != nil {
					rt.Fatal(err)
				}
				for i, c := range crashes {
					what := "unmount"
					if at[i] > 0 && at[i] <= len(ops) {
						what = fmt.Sprintf("op %d, %q", at[i], ops[at[i]-1].String())
					}
					if msg := recoverAndCheck(era, c); msg != "" {
						rt.Fatalf("crash after commit %d (%s): %s", i+1, what, msg)
					}
				}
			})
		})
	}
}

// recoverAndCheck mounts a crash image on a fresh kernel, walks the whole
// tree (which cleans every subvolume it enters) and returns what is wrong
// ("" for nothing).
func recoverAndCheck(era vfs.Era, dev *btrfssim.Device) string {
	k := vfs.NewKernel(vfs.Options{Era: era})
	k.RegisterFilesystem(btrfssim.FilesystemType{})
	k.AddBlockDevice(dev)
	t := k.Init()
	if err := t.Mkdir("/mnt", 0o755); err != nil {
		return err.Error()
	}
	if err := t.Mount(dev.Name(), "/mnt", "btrfs", 0, ""); err != nil {
		return fmt.Sprintf("mount: %v", err)
	}
	var walk func(p string) error
	walk = func(p string) error {
		fd, err := t.Open(p, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		defer t.Close(fd)
		ents, err := t.ReadDir(fd)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			st, err := t.Lstat(p + "/" + e.Name)
			if err != nil {
				return err
			}
			if st.Mode.IsDir() {
				if err := walk(p + "/" + e.Name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("/mnt"); err != nil {
		return "walking the tree: " + err.Error()
	}
	if vs := k.CheckInvariants(); len(vs) > 0 {
		return vfs.InvariantError(vs).Error()
	}
	sb, err := t.SuperblockOf("/mnt")
	if err != nil {
		return err.Error()
	}
	fs := btrfssim.FS(sb)
	var left []string
	for _, id := range fs.Subvolumes() {
		if inos, _ := fs.Orphans(id); len(inos) > 0 {
			left = append(left, fmt.Sprintf("subvolume %d: %v", id, inos))
		}
	}
	if len(left) > 0 {
		return "orphan items left after cleanup: " + strings.Join(left, "; ")
	}
	if err := k.Shutdown(); err != nil {
		return err.Error()
	}
	return ""
}
