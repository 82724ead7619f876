package vfstest

import (
	"slices"
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// CheckFSInfo checks that what the registered filesystem name declares in
// the registry (vfs.FSInfo) is what it does, so that tools relying on the
// declaration (the CLI's listing, the fault op, transcripts' buggy eras)
// cannot drift from the code: an on-disk orphan list exactly when it says
// so (vfs.OrphanLister), a device that survives crashes exactly when it is
// Durable (vfs.Crasher), subvolumes exactly when it says so
// (vfs.Subvolumer on its directories), fault injection for exactly the
// kinds it lists (vfs.FaultInjector, refusing others), buggy eras that are
// eras and not upstream, and an error, not a panic, for an unknown mkfs
// option. TestFilesystem runs it for registered filesystems.
func CheckFSInfo(t *testing.T, name string) {
	t.Helper()
	fi, err := vfs.LookupFS(name)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKernel(t, vfs.Options{})
	if _, err := fi.Setup(k, "no-such-mkfs-option"); err == nil {
		t.Errorf("%s: Setup accepted the mkfs option no-such-mkfs-option", name)
	}
	src, err := fi.Setup(k, "")
	if err != nil {
		t.Fatalf("%s: Setup: %v", name, err)
	}
	tk := k.Init()
	Must(t, tk.Mkdir("/fsinfo", 0o755))
	Must(t, tk.Mount(src, "/fsinfo", name, 0, ""))
	defer func() { Must(t, tk.Umount("/fsinfo", 0)) }()
	sb, err := tk.SuperblockOf("/fsinfo")
	Must(t, err)
	_, orphans := sb.Ops.(vfs.OrphanLister)
	if orphans != fi.OrphanList {
		t.Errorf("%s: OrphanList is %v, the superblock implements vfs.OrphanLister: %v", name, fi.OrphanList, orphans)
	}
	_, durable := sb.Device().(vfs.Crasher)
	if durable != fi.Durable {
		t.Errorf("%s: Durable is %v, its device implements vfs.Crasher: %v", name, fi.Durable, durable)
	}
	_, subvols := sb.Root().Inode().Ops.(vfs.Subvolumer)
	if subvols != fi.Subvolumes {
		t.Errorf("%s: Subvolumes is %v, its directories implement vfs.Subvolumer: %v", name, fi.Subvolumes, subvols)
	}
	inj, faults := sb.Ops.(vfs.FaultInjector)
	if faults != (len(fi.Faults) > 0) {
		t.Errorf("%s: Faults lists %v, the superblock implements vfs.FaultInjector: %v", name, fi.Faults, faults)
	}
	if faults {
		for _, kind := range fi.Faults {
			if err := inj.InjectFault(kind, 0); err != nil {
				t.Errorf("%s: InjectFault(%q) declared but refused: %v", name, kind, err)
			}
			if !fi.CanInject(kind) {
				t.Errorf("%s: CanInject(%q) is false", name, kind)
			}
		}
		if err := inj.InjectFault("no-such-fault", 1); err == nil {
			t.Errorf("%s: InjectFault accepted an undeclared kind", name)
		}
	}
	for _, era := range fi.BuggyEras {
		if !slices.Contains(vfs.Eras, era) || era == vfs.Upstream {
			t.Errorf("%s: buggy era %v", name, era)
		}
	}
}
