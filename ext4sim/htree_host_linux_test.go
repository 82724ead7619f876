package ext4sim_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/internal/hostkernel/hosttest"
	"github.com/relinksim/relinksim/vfs"
)

// The whole htree of a directory, compared with the real kernel's: the
// same seeded run of links and unlinks is made in a directory on a real
// ext4 image (Linux 6.18, 1 KiB blocks, metadata_csum, the pinned hash
// seed) and in the simulator, and `debugfs -R "htree DIR"` of the real
// image must describe the simulator's tree exactly — the root's and every
// dx_node's entries (hash and block), and every leaf's records in block
// order with their rec_len. The last case fills the directory with
// 255-byte names until the index is full (ENOSPC) and compares where
// that happens and the kernel's warnings too.
func TestHtreeMatchesKernel(t *testing.T) {
	hosttest.RequireExt4(t)
	base := t.TempDir()
	template, err := hostkernel.MakeExt4Template(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		seed       uint64
		ops        int
		minLen     int
		maxLen     int
		unlinkFrac float64
		untilFull  bool
		collisions int // pairs of names with one hash, linked in a random order
	}{
		{name: "mixed names", seed: 1, ops: 4000, minLen: 1, maxLen: 255, unlinkFrac: 0.3},
		{name: "short names", seed: 2, ops: 6000, minLen: 1, maxLen: 12, unlinkFrac: 0.25},
		{name: "long names, many unlinks", seed: 3, ops: 5000, minLen: 150, maxLen: 255, unlinkFrac: 0.45},
		{name: "three-byte names", seed: 4, ops: 3000, minLen: 3, maxLen: 3, unlinkFrac: 0.2},
		{name: "hash collisions", seed: 6, collisions: 300, unlinkFrac: 0.1},
		{name: "until the index is full", seed: 5, minLen: 255, maxLen: 255, untilFull: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(c.seed, 0x68747265))
			const alpha = "abcdefghijklmnopqrstuvwxyz0123456789_-"
			used := map[string]bool{"f": true}
			var live []string
			type op struct {
				unlink bool
				name   string
			}
			var ops []op
			if c.collisions > 0 {
				// Names in pairs of one hash: splits fall between two of
				// them (index entries with the continuation bit) and leaves
				// end up holding a hash that goes on in the next one.
				var names []string
				for _, p := range ext4sim.CollidingNames(c.collisions) {
					names = append(names, p[0], p[1])
				}
				rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
				var added []string
				for _, n := range names {
					ops = append(ops, op{false, n})
					added = append(added, n)
					if rng.Float64() < c.unlinkFrac {
						k := rng.IntN(len(added))
						ops = append(ops, op{true, added[k]})
						added = append(added[:k], added[k+1:]...)
					}
				}
				c.ops = len(ops)
			}
			next := func() op {
				if !c.untilFull && len(live) > 0 && rng.Float64() < c.unlinkFrac {
					k := rng.IntN(len(live))
					n := live[k]
					live[k] = live[len(live)-1]
					live = live[:len(live)-1]
					return op{true, n}
				}
				for {
					b := make([]byte, c.minLen+rng.IntN(c.maxLen-c.minLen+1))
					for i := range b {
						b[i] = alpha[rng.IntN(len(alpha))]
					}
					if n := string(b); !used[n] {
						used[n] = true
						live = append(live, n)
						return op{false, n}
					}
				}
			}

			// The real kernel.
			m, err := hostkernel.MountExt4(base, template)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(nil)
			dir := m.Dir + "/d"
			if err := unix.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			fd, err := unix.Open(dir+"/f", unix.O_CREAT|unix.O_WRONLY, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			unix.Close(fd)
			kmsg := readKmsgFrom(t)
			var realErrs []string
			var realSizes []int64 // the directory's size after each op
			for i := 0; c.untilFull || i < c.ops; i++ {
				if c.collisions == 0 {
					ops = append(ops, next())
				}
				o := ops[i]
				var err error
				if o.unlink {
					err = unix.Unlink(dir + "/" + o.name)
				} else {
					err = unix.Link(dir+"/f", dir+"/"+o.name)
				}
				var st unix.Stat_t
				unix.Stat(dir, &st)
				realSizes = append(realSizes, st.Size)
				if err != nil {
					realErrs = append(realErrs, errName(i, errors.Is(err, unix.ENOSPC), err))
					if c.untilFull {
						break
					}
				}
			}
			realLog := kmsg()
			var st unix.Stat_t
			if err := unix.Stat(dir, &st); err != nil {
				t.Fatal(err)
			}
			unix.Sync()
			out, err := exec.Command("debugfs", "-R", "htree /d", m.Dev).CombinedOutput()
			if err != nil {
				t.Fatalf("debugfs: %v: %s", err, out)
			}
			realTree := parseDebugfsHtree(string(out))

			// The simulator.
			k := vfs.NewKernel(vfs.Options{})
			k.RegisterFilesystem(ext4sim.FilesystemType{})
			k.AddBlockDevice(ext4sim.Mkfs("/dev/loop0", ext4sim.MkfsOptions{}))
			tk := k.Init()
			must(t, tk.Mkdir("/mnt", 0o755))
			must(t, tk.Mount("/dev/loop0", "/mnt", "ext4", 0, ""))
			must(t, tk.Mkdir("/mnt/d", 0o755))
			sfd, err := tk.Open("/mnt/d/f", vfs.O_CREAT|vfs.O_WRONLY, 0o644)
			must(t, err)
			must(t, tk.Close(sfd))
			before := len(k.Dmesg())
			var simErrs []string
			firstSize := -1
			for i, o := range ops {
				var err error
				if o.unlink {
					err = tk.Unlink("/mnt/d/" + o.name)
				} else {
					err = tk.Link("/mnt/d/f", "/mnt/d/"+o.name)
				}
				if err != nil {
					simErrs = append(simErrs, errName(i, errors.Is(err, vfs.ENOSPC), err))
				}
				if st, err := tk.Stat("/mnt/d"); err == nil && st.Size != realSizes[i] && firstSize < 0 {
					firstSize = i
				}
			}
			simLog := k.Dmesg()[before:]
			sst, err := tk.Stat("/mnt/d")
			must(t, err)
			var simTree []string
			for _, sb := range k.Supers() {
				if fs := ext4sim.FS(sb); fs != nil {
					simTree = fs.HtreeDump(uint32(sst.Ino))
					if vs := fs.Check(); len(vs) > 0 {
						t.Errorf("simulator invariants: %v", vs)
					}
				}
			}

			if diff := cmp.Diff(realErrs, simErrs); diff != "" {
				t.Errorf("errors (-kernel +simulator):\n%s", diff)
			}
			if firstSize >= 0 {
				o := ops[firstSize]
				t.Errorf("directory size differs first after op %d (unlink %v of %q): kernel %d", firstSize, o.unlink, o.name, realSizes[firstSize])
			}
			if st.Size != sst.Size {
				t.Errorf("directory size: kernel %d, simulator %d", st.Size, sst.Size)
			}
			if diff := cmp.Diff(realLog, normalizeWarnings(simLog)); diff != "" {
				t.Errorf("kernel log (-kernel +simulator):\n%s", diff)
			}
			if diff := cmp.Diff(realTree, simTree); diff != "" {
				t.Errorf("htree of d (-debugfs +simulator):\n%s", diff)
			}
			continued := 0
			for _, l := range realTree {
				if f := strings.Fields(l); len(f) == 4 && f[0] == "entry" && strings.IndexByte("13579bdf", f[2][len(f[2])-1]) >= 0 {
					continued++
				}
			}
			if c.collisions > 0 && continued == 0 {
				t.Errorf("no index entry has the continuation bit: the case does not test it")
			}
			t.Logf("%d ops, %d bytes, %d leaves and index blocks, %d index entries with the continuation bit; %d lines of debugfs", len(ops), st.Size, st.Size/1024, continued, len(realTree))
			if err := k.Shutdown(); err != nil {
				t.Errorf("leak check: %v", err)
			}
		})
	}
}

var (
	debugfsLevels = regexp.MustCompile(`^\s*Indirect levels: (\d+)`)
	debugfsCount  = regexp.MustCompile(`^Number of entries \((count|limit)\): (\d+)`)
	debugfsEntry  = regexp.MustCompile(`^Entry #(\d+): Hash 0x([0-9a-f]{8})(?: \(\*\*\))?, block (\d+)`)
	debugfsLeaf   = regexp.MustCompile(`^Reading directory block (\d+),`)
	// A leaf record: inode, hash-minor hash, (rec_len), name (names here
	// have no spaces; an unused record's is empty).
	debugfsDirent = regexp.MustCompile(`(\d+) 0x([0-9a-f]{8})-([0-9a-f]{8}) \((\d+)\) (\S*)`)
	warningDevice = regexp.MustCompile(`\(device loop\d+\)`)
)

// normalizeWarnings keeps ext4's warnings, their device as loop0.
func normalizeWarnings(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, "EXT4-fs warning") {
			out = append(out, warningDevice.ReplaceAllString(l, "(device loop0)"))
		}
	}
	return out
}

func errName(op int, enospc bool, err error) string {
	if enospc {
		return fmt.Sprintf("op %d: ENOSPC", op)
	}
	return fmt.Sprintf("op %d: %v", op, err)
}

// parseDebugfsHtree reads debugfs's htree dump into HtreeDump's lines.
func parseDebugfsHtree(out string) []string {
	var lines []string
	inLeaf := false
	var leaf strings.Builder
	flush := func() {
		for _, m := range debugfsDirent.FindAllStringSubmatch(leaf.String(), -1) {
			if m[1] == "0" {
				continue // an unused record
			}
			lines = append(lines, fmt.Sprintf("de %s 0x%s-%s (%s) %s", m[1], m[2], m[3], m[4], m[5]))
		}
		leaf.Reset()
	}
	for _, l := range strings.Split(out, "\n") {
		switch {
		case inLeaf && strings.Contains(l, "leaf block checksum"):
			leaf.WriteString(l[:strings.Index(l, "leaf block checksum")])
			flush()
			inLeaf = false
		case inLeaf:
			leaf.WriteString(l + "\n")
		case debugfsLevels.MatchString(l):
			lines = append(lines, "levels "+debugfsLevels.FindStringSubmatch(l)[1])
		case debugfsCount.MatchString(l):
			s := debugfsCount.FindStringSubmatch(l)
			lines = append(lines, s[1]+" "+s[2])
		case debugfsEntry.MatchString(l):
			s := debugfsEntry.FindStringSubmatch(l)
			lines = append(lines, "entry "+s[1]+" 0x"+s[2]+" "+s[3])
		case debugfsLeaf.MatchString(l):
			n, _ := strconv.Atoi(debugfsLeaf.FindStringSubmatch(l)[1])
			lines = append(lines, fmt.Sprintf("leaf %d", n))
			inLeaf = true
		}
	}
	flush()
	return lines
}

// readKmsgFrom returns a function that gives the EXT4-fs warnings the
// kernel logged since readKmsgFrom was called.
func readKmsgFrom(t *testing.T) func() []string {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Seek(fd, 0, 2); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		defer unix.Close(fd)
		var out []string
		buf := make([]byte, 8192)
		for {
			n, err := unix.Read(fd, buf)
			if err != nil || n <= 0 {
				break
			}
			rec := string(buf[:n])
			if i := strings.IndexByte(rec, ';'); i >= 0 {
				rec = rec[i+1:]
			}
			rec = strings.TrimRight(strings.SplitN(rec, "\n", 2)[0], "\n")
			if strings.Contains(rec, "EXT4-fs warning") {
				out = append(out, rec)
			}
		}
		return normalizeWarnings(out)
	}
}
