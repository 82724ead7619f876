package hostkernel

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/ext4sim"
)

// Ext4Available reports why real ext4 cannot be used here, or "".
func Ext4Available() string {
	if why := Available(); why != "" {
		return why
	}
	for _, tool := range []string{"mkfs.ext4", "losetup", "dumpe2fs", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed (e2fsprogs; .ci/run installs it)"
		}
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return "no loop devices (/dev/loop-control)"
	}
	return ""
}

// MakeExt4Template makes, in dir, the image the oracle makes: a 128 MiB
// file formatted with `mkfs.ext4 -q -F` and the system's defaults, but
// for the directory hash seed, pinned to ext4sim.DefaultHashSeedUUID
// (`-E hash_seed=`) so that directories list in the order the simulator
// computes (mkfs draws a random seed). Mounting copies of it is much
// faster than formatting each time.
func MakeExt4Template(dir string, mkfsArgs ...string) (string, error) {
	img := filepath.Join(dir, "template.img")
	f, err := os.Create(img)
	if err != nil {
		return "", err
	}
	if err := f.Truncate(128 << 20); err != nil {
		f.Close()
		return "", err
	}
	f.Close()
	args := append([]string{"-q", "-F", "-E", "hash_seed=" + ext4sim.DefaultHashSeedUUID}, mkfsArgs...)
	if out, err := exec.Command("mkfs.ext4", append(args, img)...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mkfs.ext4: %v: %s", err, out)
	}
	return img, nil
}

// LoopFS is a real filesystem (ext4 or btrfs) on a loop device, mounted on
// Dir.
type LoopFS struct {
	Dir, Img, Dev string
}

// MountExt4 copies template into base, attaches it to a loop device and
// mounts it.
func MountExt4(base, template string) (*LoopFS, error) {
	return mountImageCopy(base, template, "ext4")
}

// mountImageCopy copies the image template into base, attaches the copy to
// a loop device and mounts it as fstype.
func mountImageCopy(base, template, fstype string) (*LoopFS, error) {
	dir, err := os.MkdirTemp(base, "relinksim-"+fstype+"-")
	if err != nil {
		return nil, err
	}
	img := dir + ".img"
	if out, err := exec.Command("cp", "--sparse=always", template, img).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cp: %v: %s", err, out)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		os.Remove(img)
		return nil, fmt.Errorf("losetup: %v: %s", err, out)
	}
	m := &LoopFS{Dir: dir, Img: img, Dev: strings.TrimSpace(string(out))}
	if err := unix.Mount(m.Dev, dir, fstype, 0, ""); err != nil {
		exec.Command("losetup", "-d", m.Dev).Run()
		os.Remove(img)
		return nil, fmt.Errorf("mount %s: %w", m.Dev, err)
	}
	return m, nil
}

// Close closes fds, unmounts, detaches the loop device and removes the
// image.
func (m *LoopFS) Close(fds []int) error {
	for _, fd := range fds {
		unix.Close(fd)
	}
	err := unix.Unmount(m.Dir, 0)
	exec.Command("losetup", "-d", m.Dev).Run()
	os.Remove(m.Img)
	os.Remove(m.Dir)
	if err != nil {
		return fmt.Errorf("umount %s: %w", m.Dir, err)
	}
	return nil
}

var dtimeRe = regexp.MustCompile(`(?m)^\s*dtime:\s*0x([0-9a-f]+)`)

// OnDiskOrphans reads the orphan chain of the filesystem on dev the way the
// kernel oracle does: sync, dumpe2fs's "First orphan inode", then each
// inode's dtime through debugfs, head first.
func OnDiskOrphans(dev string) ([]uint64, error) {
	unix.Sync()
	out, err := exec.Command("dumpe2fs", "-h", dev).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("dumpe2fs: %v: %s", err, out)
	}
	head := uint64(0)
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "First orphan inode:"); ok {
			head, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	chain := []uint64{}
	for ino := head; ino != 0 && len(chain) < 1000; {
		chain = append(chain, ino)
		st, err := exec.Command("debugfs", "-c", "-R", fmt.Sprintf("stat <%d>", ino), dev).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("debugfs: %v: %s", err, st)
		}
		m := dtimeRe.FindStringSubmatch(string(st))
		if m == nil {
			break
		}
		ino, _ = strconv.ParseUint(m[1], 16, 64)
	}
	return chain, nil
}

// PinToOneCPU locks the calling goroutine to its thread and the thread to
// one CPU: ext4's per-CPU counters decide where top-level directories go,
// and they fold at the same moments as the simulator's only when every
// system call runs on one CPU. It returns a function that undoes both.
func PinToOneCPU(cpu int) (func(), error) {
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, err
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return nil, err
	}
	return func() { unix.SchedSetaffinity(0, &old) }, nil
}
