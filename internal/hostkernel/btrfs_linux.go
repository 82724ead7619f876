package hostkernel

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BtrfsAvailable reports why real btrfs cannot be used here, or "".
func BtrfsAvailable() string {
	if why := Available(); why != "" {
		return why
	}
	for _, tool := range []string{"mkfs.btrfs", "btrfs", "losetup"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed (btrfs-progs; .ci/run installs it)"
		}
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return "no loop devices (/dev/loop-control)"
	}
	if b, err := os.ReadFile("/proc/filesystems"); err == nil && !strings.Contains(string(b), "btrfs") {
		if err := exec.Command("modprobe", "btrfs").Run(); err != nil {
			return "the kernel has no btrfs"
		}
	}
	return ""
}

// MakeBtrfsTemplate makes, in dir, the image the oracle makes: a 128 MiB
// file formatted with `mkfs.btrfs -q -f`.
func MakeBtrfsTemplate(dir string) (string, error) {
	img := filepath.Join(dir, "template-btrfs.img")
	f, err := os.Create(img)
	if err != nil {
		return "", err
	}
	if err := f.Truncate(128 << 20); err != nil {
		f.Close()
		return "", err
	}
	f.Close()
	if out, err := exec.Command("mkfs.btrfs", "-q", "-f", img).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mkfs.btrfs: %v: %s", err, out)
	}
	return img, nil
}

// MountBtrfs copies template into base, attaches it to a loop device and
// mounts it. A copy of an image has the template's filesystem UUID; the
// kernel mounts it under a temporary fsid while another copy is mounted.
func MountBtrfs(base, template string) (*LoopFS, error) {
	return mountImageCopy(base, template, "btrfs")
}

var orphanItemRe = regexp.MustCompile(`key \(ORPHAN ORPHAN_ITEM (\d+)\)`)

// BtrfsOrphanItems reads the orphan items of tree (5 is the top subvolume)
// of the btrfs on dev the way the oracle does: sync, then `btrfs
// inspect-internal dump-tree -t TREE`, in the order it prints them.
func BtrfsOrphanItems(dev string, tree uint64) ([]uint64, error) {
	unix.Sync()
	out, err := exec.Command("btrfs", "inspect-internal", "dump-tree", "-t", strconv.FormatUint(tree, 10), dev).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("dump-tree -t %d: %v: %s", tree, err, out)
	}
	items := []uint64{}
	for _, m := range orphanItemRe.FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.ParseUint(m[1], 10, 64)
		items = append(items, n)
	}
	return items, nil
}

// The btrfs ioctls the op language uses (include/uapi/linux/btrfs.h).
const (
	btrfsIocSubvolCreate  = 0x5000940e
	btrfsIocSnapCreateV2  = 0x50009417
	btrfsIocInoLookup     = 0xd0009412
	btrfsSubvolRdonly     = 1 << 1
	btrfsPathNameMax      = 4087
	btrfsSubvolNameMax    = 4039
	btrfsInoLookupPathMax = 4080
)

type btrfsVolArgs struct {
	fd   int64
	name [btrfsPathNameMax + 1]byte
}

type btrfsVolArgsV2 struct {
	fd      int64
	transid uint64
	flags   uint64
	unused  [4]uint64
	name    [btrfsSubvolNameMax + 1]byte
}

type btrfsInoLookupArgs struct {
	treeid   uint64
	objectid uint64
	name     [btrfsInoLookupPathMax]byte
}

func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if e != 0 {
		return errno(e)
	}
	return nil
}

// SubvolCreate runs BTRFS_IOC_SUBVOL_CREATE on the directory dirfd.
func (Task) SubvolCreate(dirfd int, name string) error {
	var a btrfsVolArgs
	if len(name) > btrfsPathNameMax {
		return errno(unix.ENAMETOOLONG)
	}
	copy(a.name[:], name)
	return ioctlPtr(dirfd, btrfsIocSubvolCreate, unsafe.Pointer(&a))
}

// SnapshotCreate runs BTRFS_IOC_SNAP_CREATE_V2 on the directory dirfd: a
// snapshot of the subvolume srcfd is open on, read-only if asked.
func (Task) SnapshotCreate(dirfd int, name string, srcfd int, readonly bool) error {
	var a btrfsVolArgsV2
	if len(name) > btrfsSubvolNameMax {
		return errno(unix.ENAMETOOLONG)
	}
	a.fd = int64(srcfd)
	if readonly {
		a.flags = btrfsSubvolRdonly
	}
	copy(a.name[:], name)
	return ioctlPtr(dirfd, btrfsIocSnapCreateV2, unsafe.Pointer(&a))
}

// SubvolOrphans returns the orphan items of the subvolume fd is in, read
// from OrphanDev as BtrfsOrphanItems does (BTRFS_IOC_INO_LOOKUP gives the
// tree id).
func (t Task) SubvolOrphans(fd int) ([]uint64, error) {
	if t.OrphanDev == "" || t.OrphanFS != "btrfs" {
		return nil, errno(unix.ENOTTY)
	}
	a := btrfsInoLookupArgs{objectid: 256}
	if err := ioctlPtr(fd, btrfsIocInoLookup, unsafe.Pointer(&a)); err != nil {
		return nil, err
	}
	return BtrfsOrphanItems(t.OrphanDev, a.treeid)
}
