package hostkernel

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"golang.org/x/sys/unix"
)

// FreezeCopy copies the image of a mounted ext4 while it is frozen
// (fsfreeze -f; cp; fsfreeze -u): a consistent image with everything
// written home, as docs/linux-semantics.md §0 describes. It returns the copy's
// path.
func (m *LoopFS) FreezeCopy() (string, error) {
	cp := m.Img + ".copy"
	if out, err := exec.Command("fsfreeze", "-f", m.Dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("fsfreeze -f: %v: %s", err, out)
	}
	out, err := exec.Command("cp", "--sparse=always", m.Img, cp).CombinedOutput()
	if out2, err2 := exec.Command("fsfreeze", "-u", m.Dir).CombinedOutput(); err2 != nil {
		return "", fmt.Errorf("fsfreeze -u: %v: %s", err2, out2)
	}
	if err != nil {
		return "", fmt.Errorf("cp: %v: %s", err, out)
	}
	return cp, nil
}

// MountImage attaches img to a loop device (read-only with readOnlyDev)
// and mounts it on a new directory under base with flags; it returns the
// mount and the kernel log lines ext4 wrote about that device while
// mounting.
func MountImage(base, img string, readOnlyDev bool, flags uintptr) (*LoopFS, []string, error) {
	dir, err := os.MkdirTemp(base, "relinksim-copy-")
	if err != nil {
		return nil, nil, err
	}
	args := []string{"-f", "--show"}
	if readOnlyDev {
		args = append(args, "-r")
	}
	out, err := exec.Command("losetup", append(args, img)...).CombinedOutput()
	if err != nil {
		return nil, nil, fmt.Errorf("losetup: %v: %s", err, out)
	}
	m := &LoopFS{Dir: dir, Img: img, Dev: strings.TrimSpace(string(out))}
	kmsg, err := openKmsgAtEnd()
	if err != nil {
		exec.Command("losetup", "-d", m.Dev).Run()
		return nil, nil, err
	}
	defer unix.Close(kmsg)
	if err := unix.Mount(m.Dev, dir, "ext4", flags, ""); err != nil {
		exec.Command("losetup", "-d", m.Dev).Run()
		return nil, nil, fmt.Errorf("mount %s: %w", m.Dev, err)
	}
	prefix := "EXT4-fs (" + strings.TrimPrefix(m.Dev, "/dev/") + "): "
	var lines []string
	for _, l := range readKmsg(kmsg) {
		if i := strings.Index(l, prefix); i >= 0 {
			lines = append(lines, l[i:])
		}
	}
	return m, lines, nil
}

// openKmsgAtEnd opens /dev/kmsg positioned after the last record, so
// reading it returns exactly what the kernel logs from now on (dmesg's
// ring buffer rotates, which makes counting its lines unreliable).
func openKmsgAtEnd() (int, error) {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/kmsg: %w", err)
	}
	if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("seek /dev/kmsg: %w", err)
	}
	return fd, nil
}

// readKmsg returns the messages of the records available on fd; each
// record reads as "PRIO,SEQ,TIME,FLAGS;MESSAGE".
func readKmsg(fd int) []string {
	var out []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EPIPE {
			continue // records were overwritten; read on
		}
		if err != nil || n <= 0 {
			return out
		}
		rec := string(buf[:n])
		if i := strings.IndexByte(rec, ';'); i >= 0 {
			msg := rec[i+1:]
			if j := strings.IndexByte(msg, '\n'); j >= 0 {
				msg = msg[:j]
			}
			out = append(out, msg)
		}
	}
}

var (
	loopRe = regexp.MustCompile(`EXT4-fs \(loop\d+\): `)
	uuidRe = regexp.MustCompile(`mounted filesystem [0-9a-f-]{36} `)
)

// NormalizeExt4Log rewrites ext4's log lines so runs on different loop
// devices and filesystems compare: the device becomes loop0 and the
// filesystem UUID goes.
func NormalizeExt4Log(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		l = loopRe.ReplaceAllString(l, "EXT4-fs (loop0): ")
		out[i] = uuidRe.ReplaceAllString(l, "mounted filesystem ")
	}
	return out
}
