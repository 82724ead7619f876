package btrfssim

import (
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// The checker is only worth its clean reports if it reports broken trees:
// each corruption below, made directly in the in-memory items of a small
// healthy filesystem, is reported under its invariant's name. (The kernels
// are left corrupted, so no leak check ends these.)
func TestCheckerCatchesCorruption(t *testing.T) {
	for _, c := range []struct {
		want    string
		corrupt func(fs *fsInfo, t *fsTree, f, dir uint64)
	}{
		{"B1", func(_ *fsInfo, t *fsTree, f, dir uint64) { t.orphans[f] = true }},
		{"B2", func(_ *fsInfo, t *fsTree, f, dir uint64) { t.inodes[f].Nlink = 3 }},
		{"B3", func(_ *fsInfo, t *fsTree, f, dir uint64) {
			t.inodes[f].Refs = append(t.inodes[f].Refs, inodeRef{Dir: dir, Index: 99, Name: "ghost"})
			t.inodes[f].Nlink++
		}},
		{"B4", func(_ *fsInfo, t *fsTree, f, dir uint64) { t.inodes[dir].Size += 2 }},
		{"B5", func(_ *fsInfo, t *fsTree, f, dir uint64) {
			t.inodes[f].Nlink = 0
			t.inodes[f].Refs = nil
			for _, d := range t.dirs {
				for idx, e := range d.byIndex {
					if e.Target == f {
						d.delIndex(idx)
						delete(d.byName, e.Name)
					}
				}
			}
		}},
		{"B6", func(_ *fsInfo, t *fsTree, f, dir uint64) { t.inodes[f].Refs[0].Index++ }},
		{"B8", func(_ *fsInfo, t *fsTree, f, dir uint64) { t.inodes[f].UID = 1000 }},
		{"B8", func(fs *fsInfo, t *fsTree, f, dir uint64) {
			// A clean file whose disk_i_size is behind its size.
			info(fs.roots[fsTreeObjectid].icache[f]).diskSize--
		}},
		{"B9", func(_ *fsInfo, t *fsTree, f, dir uint64) {
			t.inodes[f+100] = &inodeItem{Mode: vfs.S_IFREG | 0o644, Nlink: 0}
			t.orphans[f+100] = true
		}},
	} {
		t.Run(c.want, func(t *testing.T) {
			k := vfs.NewKernel(vfs.Options{})
			k.RegisterFilesystem(FilesystemType{})
			k.AddBlockDevice(Mkfs(DefaultDevice, MkfsOptions{}))
			tk := k.Init()
			if err := tk.Mkdir("/mnt", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := tk.Mount(DefaultDevice, "/mnt", "btrfs", 0, ""); err != nil {
				t.Fatal(err)
			}
			if err := tk.Mkdir("/mnt/d", 0o755); err != nil {
				t.Fatal(err)
			}
			fd, err := tk.Open("/mnt/d/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if err := tk.Close(fd); err != nil {
				t.Fatal(err)
			}
			sb, err := tk.SuperblockOf("/mnt")
			if err != nil {
				t.Fatal(err)
			}
			fs := sb.Ops.(*fsInfo)
			if vs := fs.check(); len(vs) > 0 {
				t.Fatalf("healthy filesystem: %v", vfs.InvariantError(vs))
			}
			st, err := tk.Stat("/mnt/d/f")
			if err != nil {
				t.Fatal(err)
			}
			dst, err := tk.Stat("/mnt/d")
			if err != nil {
				t.Fatal(err)
			}
			top := fs.cur.roots[fsTreeObjectid].tree
			c.corrupt(fs, top, st.Ino, dst.Ino)
			var got []string
			for _, v := range fs.check() {
				got = append(got, v.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), c.want+": ") {
				t.Errorf("corruption not reported as %s; the checker says %q", c.want, got)
			}
		})
	}
}
