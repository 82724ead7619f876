package scriptgen

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"

	"pgregory.net/rapid"

	// Namespace operations for the shadow machine (GenConfig.Namespaces).
	_ "github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// GenConfig configures the op generators. The zero GenConfig is
// DefaultGenConfig.
type GenConfig struct {
	// MinOps and MaxOps bound the length of a generated sequence. Both 0
	// means DefaultGenConfig's bounds; a sequence always has at least one
	// op (a property that draws none would test nothing).
	MinOps, MaxOps int
	// OracleOnly restricts generation to ops the kernel oracle knows.
	// Otherwise ops the host kernel can also run are added (ls, readlink,
	// ino, lseek, rename-noreplace, rename-exchange, linkat-proc-nofollow).
	OracleOnly bool
	// Era is the kernel era of the shadow simulator that guides
	// generation (the zero value is upstream).
	Era vfs.Era
	// NoListing leaves out ls, for filesystems whose getdents order the
	// simulator does not model (ext4's hash order).
	NoListing bool
	// FS, Mkfs and Setup choose the shadow machine's filesystem (default
	// tmpfs), as script.Config does.
	FS, Mkfs string
	Setup    func(k *vfs.Kernel) (string, error)
	// Btrfs adds the btrfs ops: subvol, snapshot, snapshot-ro and
	// subvol-orphans.
	Btrfs bool
	// Namespaces adds tasks, namespaces and mounts: fork, clone mnt, as,
	// exit, unshare (mnt, fs, files), open-ns, setns, setns-type, bind,
	// umount, mount-dev, remount-opts (ro, rw), mountinfo and mounts. Only
	// what the real kernel's executor can run is drawn: its tasks are
	// processes, so no clone shares a descriptor table or fs_struct
	// (files, fs), and the filesystem root is never unmounted from under
	// the script (only a mount stacked on it).
	Namespaces bool
}

// DefaultGenConfig generates 30 to 60 ops, oracle ops and the host-safe
// extras.
var DefaultGenConfig = GenConfig{MinOps: 30, MaxOps: 60}

// Ops returns a generator of op sequences on a fresh filesystem. Each op is
// drawn knowing the state the previous ones left, which the generator tracks
// by running them on a shadow simulator (cfg's era and filesystem, tmpfs by
// default): so most ops
// name paths that exist, descriptors that are open, inodes that are open but
// unlinked — the interesting cases — while some deliberately miss (missing
// names, trailing slashes, closed descriptors, name reuse after unlink).
//
// The sequences cover O_TMPFILE, both linkat forms (AT_EMPTY_PATH and
// /proc/self/fd with AT_SYMLINK_FOLLOW), rename over open files, rmdir of
// open directories, fifos (opened non-blocking), symlinks (dangling, to
// directories, in loops), and directory listings.
//
// Generated ops never escape the filesystem root (no "..", and symlink
// targets are relative without "..") and never read a fifo through cat, so they can run
// unchanged on a real kernel. Nor do they cat a file larger than 1 MiB.
func Ops(cfg GenConfig) *rapid.Generator[[]script.Op] {
	return rapid.Custom(func(t *rapid.T) []script.Op { return OpsFrom(cfg, RapidSource{t}) })
}

// OpsFrom draws a whole sequence as Ops does, its choices from src: a
// RapidSource is Ops itself; a BytesSource turns a fuzzing engine's bytes
// into a script (FuzzOps, in internal/fuzztargets).
func OpsFrom(cfg GenConfig, src Source) []script.Op {
	cfg = cfg.withDefaults()
	g := NewGen(cfg)
	n := src.IntRange(cfg.MinOps, cfg.MaxOps, "ops")
	ops := make([]script.Op, 0, n)
	for i := 0; i < n; i++ {
		op := g.NextFrom(src)
		op.Line = i + 1
		ops = append(ops, op)
	}
	return ops
}

// Gen draws ops one at a time against its shadow machine. Use it directly
// to interleave generation with your own checks; Ops wraps it.
type Gen struct {
	cfg      GenConfig
	m        *script.Machine
	nextFD   int
	used     []string // fd names ever used, in order
	nextTask int
	nextNS   int
}

// withDefaults fills in the lengths: DefaultGenConfig's when both are 0,
// at least one op, and MaxOps no less than MinOps.
func (cfg GenConfig) withDefaults() GenConfig {
	if cfg.MinOps == 0 && cfg.MaxOps == 0 {
		cfg.MinOps, cfg.MaxOps = DefaultGenConfig.MinOps, DefaultGenConfig.MaxOps
	}
	cfg.MinOps = max(cfg.MinOps, 1)
	cfg.MaxOps = max(cfg.MaxOps, cfg.MinOps)
	return cfg
}

// NewGen returns a generator with a fresh shadow machine. A shadow machine
// that cannot boot (an unknown filesystem, bad mkfs options) panics: the
// configuration is the caller's bug.
func NewGen(cfg GenConfig) *Gen {
	m, err := script.Boot(script.Config{Options: vfs.Options{Era: cfg.Era}, FS: cfg.FS, Mkfs: cfg.Mkfs, Setup: cfg.Setup})
	if err != nil {
		panic("scriptgen: booting the shadow machine: " + err.Error())
	}
	return &Gen{cfg: cfg.withDefaults(), m: m}
}

// Shadow returns the machine the generator tracks state with: the ops drawn
// so far have run on it.
func (g *Gen) Shadow() *script.Machine { return g.m }

// Next draws the next op, runs it on the shadow machine, and returns it.
func (g *Gen) Next(t *rapid.T) script.Op { return g.NextFrom(RapidSource{t}) }

// NextFrom is Next with its choices from src.
func (g *Gen) NextFrom(src Source) script.Op {
	op := g.draw(src)
	g.m.Step(op)
	return op
}

// entry is a path of the shadow tree.
type entry struct {
	path string
	typ  string
}

// state snapshots what the shadow machine holds.
type state struct {
	entries []entry
	dirs    []string // "" is the root
	open    []string // open fd names, in open order
	kind    map[string]string
	unlinkd map[string]bool // fd names whose inode has nlink 0
	// openPaths are the names of inodes some descriptor holds open (for
	// unlinking or renaming over an open file, removing an open directory).
	openPaths map[string][]string
	// subvols are the paths of btrfs subvolume roots ("." is the top).
	subvols []string
	// nsfds are the open descriptors of namespace files (from open-ns),
	// left out of open.
	nsfds []string
	// mountpoints are where mounts are, relative to the root ("." for the
	// root), as the current task sees them; rootMounts counts the mounts
	// stacked on the root.
	mountpoints []string
	rootMounts  int
	readonly    bool // the filesystem under test is mounted read-only
}

func (g *Gen) state() state {
	s := state{dirs: []string{""}, kind: map[string]string{}, unlinkd: map[string]bool{}, openPaths: map[string][]string{}, subvols: []string{"."}}
	// Inodes are keyed by device and number: btrfs subvolumes repeat
	// numbers.
	type devIno struct {
		dev uint32
		ino uint64
	}
	byIno := map[devIno][]entry{}
	for _, n := range g.m.Tree() {
		e := entry{n.Path, n.Type}
		s.entries = append(s.entries, e)
		if n.Type == "dir" {
			s.dirs = append(s.dirs, n.Path)
		}
		if st, err := g.m.T.Lstat(g.m.Path(n.Path)); err == nil {
			byIno[devIno{st.Dev, st.Ino}] = append(byIno[devIno{st.Dev, st.Ino}], e)
			if g.cfg.Btrfs && n.Type == "dir" && st.Ino == 256 {
				s.subvols = append(s.subvols, n.Path)
			}
		}
	}
	seen := map[devIno]bool{}
	for _, name := range g.m.FDNames() {
		fd, ok := g.m.FD(name)
		if !ok || s.kind[name] != "" {
			continue
		}
		st, err := g.m.T.Fstat(fd)
		if err != nil {
			continue
		}
		if strings.HasPrefix(name, "NS") {
			s.nsfds = append(s.nsfds, name)
			continue
		}
		s.open = append(s.open, name)
		s.kind[name] = st.Mode.TypeName()
		s.unlinkd[name] = st.Nlink == 0
		if k := (devIno{st.Dev, st.Ino}); !seen[k] {
			seen[k] = true
			for _, e := range byIno[k] {
				s.openPaths[e.typ] = append(s.openPaths[e.typ], e.path)
			}
		}
	}
	if g.cfg.Namespaces {
		if mi, ok := g.m.T.(script.Mountinfoer); ok {
			for _, l := range script.NormalizeMountinfo(mi.Mountinfo(), g.m.Root) {
				f := strings.Fields(l)
				if f[4] == "." {
					s.rootMounts++
					if s.rootMounts == 1 {
						s.readonly = strings.HasPrefix(f[len(f)-1], "ro")
					}
				}
				if !contains(s.mountpoints, f[4]) {
					s.mountpoints = append(s.mountpoints, f[4])
				}
			}
		}
	}
	return s
}

// openPath picks a name of an open inode of one of the types, or any path.
func openPath(src Source, s state, types ...string) string {
	var pool []string
	for _, typ := range types {
		pool = append(pool, s.openPaths[typ]...)
	}
	if len(pool) == 0 {
		return pickPath(src, s, "")
	}
	return pick(src, "openpath", pool)
}

var names = []string{"a", "b", "c", "d", "e"}

// weighted picks one of the alternatives by weight.
func weighted(src Source, label string, ws map[string]int) string {
	keys := make([]string, 0, len(ws))
	for k, w := range ws {
		if w > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	total := 0
	for _, k := range keys {
		total += ws[k]
	}
	n := uniformIndex(src, label, total)
	for _, k := range keys {
		if n < ws[k] {
			return k
		}
		n -= ws[k]
	}
	panic("unreachable")
}

// uniformIndex draws a number in [0, n) with every value about equally
// likely. rapid's integer generators favour small values (they draw a
// geometric bit length first), which would starve the alternatives that
// sort late — unlink, rename, symlink — of the weight they are given; a
// single bit is drawn without that bias, so the number is built from bits.
// It still shrinks towards 0 bit by bit.
func uniformIndex(src Source, label string, n int) int {
	if n <= 1 {
		return 0
	}
	v := 0
	for range bits.Len(uint(n-1)) + 3 {
		v <<= 1
		if src.Bool(label) {
			v |= 1
		}
	}
	return v % n
}

// standIn reports whether path names a btrfs stand-in for a nested
// subvolume seen through a snapshot (an empty directory, inode 2).
func (g *Gen) standIn(path string) bool {
	if g.cfg.FS != "btrfs" {
		return false
	}
	st, err := g.m.T.Lstat(g.m.Path(path))
	return err == nil && st.Ino == 2 && st.Mode.IsDir()
}

// pick draws one of xs, each about equally likely (rapid.SampledFrom
// favours the first).
func pick[T any](src Source, label string, xs []T) T {
	return xs[uniformIndex(src, label, len(xs))]
}

// oneIn draws true with probability about 1/n.
func oneIn(src Source, label string, n int) bool {
	return uniformIndex(src, label, n) == 0
}

// freshName returns a name in an existing directory that may or may not
// exist: reusing names is the point.
func freshName(src Source, s state) string {
	dir := pick(src, "dir", s.dirs)
	name := pick(src, "name", names)
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// pickPath picks a path: usually an existing one, sometimes a fresh name, and
// sometimes one that must fail (a missing parent, a trailing slash).
func pickPath(src Source, s state, want string) string {
	var pool []string
	for _, e := range s.entries {
		if want == "" || e.typ == want {
			pool = append(pool, e.path)
		}
	}
	kind := weighted(src, "pathkind", map[string]int{
		"existing": 6 * min(len(pool), 1),
		"fresh":    3,
		"slash":    1,
		"missing":  1,
	})
	switch kind {
	case "existing":
		return pick(src, "path", pool)
	case "slash":
		return pickPath(src, s, want) + "/"
	case "missing":
		return "missing/" + pick(src, "name", names)
	}
	return freshName(src, s)
}

func (g *Gen) fd(src Source, s state, kinds ...string) string {
	var pool []string
	for _, n := range s.open {
		if len(kinds) == 0 || contains(kinds, s.kind[n]) {
			pool = append(pool, n)
		}
	}
	if len(pool) == 0 || oneIn(src, "closedfd", 20) {
		if len(g.used) > 0 && src.Bool("reuse") {
			return pick(src, "fd", g.used)
		}
		return "NOFD"
	}
	return pick(src, "fd", pool)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// newFD names a descriptor an open or dup creates.
func (g *Gen) newFD() string {
	g.nextFD++
	name := fmt.Sprintf("F%d", g.nextFD)
	g.used = append(g.used, name)
	return name
}

// offsets mixes small offsets with the edges: the largest file sizes
// (1 TiB, just below ext4's 4 TiB s_maxbytes, LLONG_MAX) find overflow
// mistakes.
var offsets = []int64{0, 1, 2, 3, 50, 100, 4096, 5000, 1 << 40, (1<<32-1)<<10 - 1, math.MaxInt64 - 1, math.MaxInt64}

var texts = []string{"x", "hello", "abc def", strings.Repeat("0123456789", 5)}

func (g *Gen) draw(src Source) script.Op {
	s := g.state()
	nOpen := len(s.open)
	// Opening matters most while few descriptors are open; descriptor ops
	// matter once some are.
	open, fdOps := 1, 1
	switch {
	case nOpen == 0:
		open, fdOps = 4, 0
	case nOpen < 3:
		open = 2
	case nOpen >= 8:
		open = 0
	}
	extra, noListing, btrfs := 1, 1, 0
	if g.cfg.OracleOnly {
		extra = 0
	}
	if g.cfg.Btrfs {
		btrfs = 1
	}
	if g.cfg.NoListing {
		noListing = 0
	}
	hasOpen := min(len(s.openPaths["file"])+len(s.openPaths["dir"]), 1)
	ws := map[string]int{
		"open":                 6 * open,
		"open-new":             6 * open,
		"open-dir":             2 * open,
		"open-tmpfile":         2 * open,
		"open-fifo":            1 * open,
		"dup":                  1 * fdOps,
		"close":                3*fdOps + 1,
		"write":                5*fdOps + 1,
		"pwrite":               2 * fdOps,
		"read":                 2 * fdOps,
		"pread":                2 * fdOps,
		"ftruncate":            1 * fdOps,
		"lseek":                2 * fdOps * extra,
		"link":                 5,
		"linkat-empty":         3*fdOps + 1,
		"linkat-proc":          3*fdOps + 1,
		"unlink":               4,
		"unlink-open":          4 * hasOpen,
		"rmdir":                2,
		"rmdir-open":           1 * hasOpen,
		"mkdir":                3,
		"rename":               3,
		"rename-over-open":     2 * hasOpen,
		"mkfifo":               1,
		"symlink":              2,
		"fstat":                3*fdOps + 1,
		"stat":                 2,
		"lstat":                2,
		"cat":                  2,
		"tree":                 1,
		"orphans":              1,
		"ls":                   1 * extra * noListing,
		"readlink":             1 * extra,
		"ino":                  2 * extra,
		"rename-noreplace":     1 * extra,
		"rename-exchange":      1 * extra,
		"linkat-proc-nofollow": 1 * extra,
		"subvol":               2 * btrfs,
		"snapshot":             1 * btrfs,
		"snapshot-ro":          1 * btrfs,
		"subvol-orphans":       1 * btrfs,
	}
	if g.cfg.Namespaces {
		g.namespaceWeights(s, ws)
	}
	kind := weighted(src, "op", ws)
	op := script.Op{Name: kind}
	if g.cfg.Namespaces && g.drawNamespaceOp(src, s, &op) {
		return op
	}
	switch kind {
	case "open":
		op.Path = pickPath(src, s, "file")
		op.Flags = []string{pick(src, "acc", []string{"rdonly", "wronly", "rdwr"})}
		for _, f := range []string{"trunc", "append", "creat"} {
			if oneIn(src, f, 6) {
				op.Flags = append(op.Flags, f)
			}
		}
		op.Out = g.newFD()
	case "open-new":
		op.Name = "open"
		op.Path = freshName(src, s)
		if oneIn(src, "slash", 10) {
			op.Path += "/"
		}
		op.Flags = []string{"creat", pick(src, "acc", []string{"rdwr", "wronly"})}
		if oneIn(src, "excl", 4) {
			op.Flags = append(op.Flags, "excl")
		}
		op.Out = g.newFD()
	case "open-dir":
		op.Name = "open"
		op.Path = pickPath(src, s, "dir")
		op.Flags = []string{"directory"}
		op.Out = g.newFD()
	case "open-tmpfile":
		op.Name = "open"
		op.Path = "."
		if len(s.dirs) > 1 && src.Bool("subdir") {
			op.Path = pick(src, "dir", s.dirs[1:])
		}
		op.Flags = []string{pick(src, "acc", []string{"rdwr", "wronly", "rdonly"}), "tmpfile"}
		if oneIn(src, "excl", 5) {
			op.Flags = append(op.Flags, "excl")
		}
		op.Out = g.newFD()
	case "open-fifo":
		op.Name = "open"
		op.Path = pickPath(src, s, "fifo")
		op.Flags = []string{pick(src, "acc", []string{"rdonly", "wronly", "rdwr"})}
		op.Out = g.newFD()
	case "dup":
		op.FD = g.fd(src, s)
		op.Out = g.newFD()
	case "close", "fstat":
		op.FD = g.fd(src, s)
	case "write", "pwrite":
		op.FD = g.fd(src, s, "file", "fifo")
		op.Text = pick(src, "text", texts)
		if kind == "pwrite" {
			op.Off = pick(src, "off", offsets)
		}
	case "read", "pread":
		op.FD = g.fd(src, s, "file", "fifo", "dir")
		op.N = int64(pick(src, "n", []int{0, 1, 5, 100}))
		if kind == "pread" {
			op.Off = pick(src, "off", offsets)
		}
	case "ftruncate":
		op.FD = g.fd(src, s)
		op.N = pick(src, "len", offsets)
	case "lseek":
		op.FD = g.fd(src, s, "file", "dir", "fifo")
		op.Off = pick(src, "off", append(offsets, -1, -100))
		op.N = int64(uniformIndex(src, "whence", 6))
	case "link", "rename", "rename-noreplace", "rename-exchange":
		op.Path = pickPath(src, s, "")
		op.Path2 = pickPath(src, s, "")
		if oneIn(src, "newname", 3) {
			op.Path2 = freshName(src, s)
		}
		if kind == "rename-exchange" && g.standIn(op.Path) && g.standIn(op.Path2) {
			// Excluded by name (btrfssim's divergence): Linux corrupts
			// the directory.
			op.Name = "rename"
		}
	case "linkat-empty", "linkat-proc", "linkat-proc-nofollow":
		op.FD = g.preferUnlinked(src, s)
		op.Path = freshName(src, s)
	case "unlink-open":
		op.Name = "unlink"
		op.Path = openPath(src, s, "file")
	case "rmdir-open":
		op.Name = "rmdir"
		op.Path = openPath(src, s, "dir")
	case "rename-over-open":
		op.Name = "rename"
		op.Path = pickPath(src, s, "")
		op.Path2 = openPath(src, s, "file", "dir")
	case "unlink", "stat", "lstat", "readlink", "ino":
		op.Path = pickPath(src, s, "")
	case "rmdir", "ls":
		op.Path = pickPath(src, s, "dir")
	case "mkdir", "mkfifo":
		op.Path = freshName(src, s)
		if oneIn(src, "slash", 10) {
			op.Path += "/"
		}
	case "symlink":
		op.Path = freshName(src, s)
		op.Text = symlinkTarget(src, s, op.Path)
	case "cat":
		op.Path = pickPath(src, s, "")
		// Reading a fifo through cat would block the oracle, and reading a
		// huge sparse file would exhaust its memory.
		if st, err := g.m.T.Stat(g.m.Path(op.Path)); err == nil && (st.Mode.IsFifo() || st.Size > 1<<20) {
			op.Name = "stat"
		}
	case "subvol":
		op.Path = freshName(src, s)
	case "snapshot", "snapshot-ro":
		// Mostly a subvolume, sometimes any directory (EINVAL) or path.
		op.Path = pick(src, "src", s.subvols)
		if oneIn(src, "anysrc", 5) {
			op.Path = pickPath(src, s, "")
		}
		op.Path2 = freshName(src, s)
	case "subvol-orphans":
		op.Path = pick(src, "subvol", s.subvols)
		if oneIn(src, "anypath", 5) {
			op.Path = pickPath(src, s, "")
		}
	case "tree", "orphans":
	}
	return op
}

// maxTasks bounds the tasks a sequence runs at once.
const maxTasks = 4

// namespaceWeights adds the weights of the task, namespace and mount ops
// (GenConfig.Namespaces): together about a sixth of the draws.
func (g *Gen) namespaceWeights(s state, ws map[string]int) {
	tasks := len(g.m.TaskNames())
	canFork, others, hasNS, ro := 0, 0, 0, 0
	if tasks < maxTasks {
		canFork = 1
	}
	if tasks > 1 {
		others = 1
	}
	if len(s.nsfds) > 0 {
		hasNS = 1
	}
	if s.readonly {
		ro = 1
	}
	for k, w := range map[string]int{
		"fork":         1 * canFork,
		"clone-mnt":    1 * canFork,
		"as":           3 * others,
		"exit":         1 * others,
		"unshare":      2,
		"open-ns":      2,
		"setns":        3 * hasNS,
		"setns-type":   1 * hasNS,
		"bind":         2,
		"umount":       2,
		"mount-dev":    1,
		"remount-opts": 1 + 3*ro,
		"mountinfo":    1,
		"mounts":       1,
	} {
		ws[k] = w
	}
}

// drawNamespaceOp fills in op when its kind is a namespace op, and reports
// whether it was.
func (g *Gen) drawNamespaceOp(src Source, s state, op *script.Op) bool {
	tasks := g.m.TaskNames()
	switch op.Name {
	case "fork", "clone-mnt":
		g.nextTask++
		op.Out = fmt.Sprintf("T%d", g.nextTask)
		if op.Name == "clone-mnt" {
			op.Name, op.Text = "clone", "mnt"
		}
	case "as":
		var pool []string
		for _, n := range tasks {
			if n != g.m.CurrentTask() {
				pool = append(pool, n)
			}
		}
		op.Text = pick(src, "task", pool)
	case "exit":
		op.Text = pick(src, "task", tasks[1:])
	case "unshare":
		op.Text = pick(src, "unshare", []string{"mnt", "mnt", "mnt", "fs", "files", "mnt,files", "fs,files"})
	case "open-ns":
		op.Path = pick(src, "task", tasks)
		op.Text = "mnt"
		if oneIn(src, "uts", 5) {
			op.Text = "uts"
		}
		g.nextNS++
		op.Out = fmt.Sprintf("NS%d", g.nextNS)
	case "setns", "setns-type":
		op.FD = pick(src, "nsfd", s.nsfds)
		if len(s.open) > 0 && oneIn(src, "notns", 8) {
			op.FD = pick(src, "fd", s.open) // not a namespace file: EINVAL
		}
		if op.Name == "setns-type" {
			op.Text = pick(src, "nstype", []string{"mnt", "uts"})
		}
	case "bind":
		op.Path = pickPath(src, s, "")
		op.Path2 = pickPath(src, s, "dir")
		if oneIn(src, "anydst", 4) {
			op.Path2 = pickPath(src, s, "")
		}
	case "umount":
		var pool []string
		for _, mp := range s.mountpoints {
			if mp != "." || s.rootMounts > 1 {
				pool = append(pool, mp)
			}
		}
		if len(pool) == 0 || oneIn(src, "notmount", 5) {
			op.Path = pickPath(src, s, "dir")
			if op.Path == "" || op.Path == "." || s.rootMounts < 2 && strings.Trim(op.Path, "/") == "" {
				op.Path = "missing"
			}
		} else {
			op.Path = pick(src, "mountpoint", pool)
		}
	case "mount-dev":
		op.Path = pickPath(src, s, "dir")
		if op.Path == "" || oneIn(src, "onroot", 8) {
			op.Path = "."
		}
		op.Text = pick(src, "opts", []string{"", "", "ro"})
	case "remount-opts":
		op.Path = "."
		if len(s.mountpoints) > 0 && oneIn(src, "other", 3) {
			op.Path = pick(src, "mountpoint", s.mountpoints)
		}
		op.Text = pick(src, "opts", []string{"ro", "ro", ""})
		if s.readonly {
			op.Text = pick(src, "opts", []string{"rw", "rw", ""})
		}
	case "mountinfo", "mounts":
	default:
		return false
	}
	return true
}

// preferUnlinked picks an fd whose inode is open but unlinked when there is
// one: the cases relinking is about.
func (g *Gen) preferUnlinked(src Source, s state) string {
	var pool []string
	for _, n := range s.open {
		if s.unlinkd[n] {
			pool = append(pool, n)
		}
	}
	if len(pool) > 0 && !oneIn(src, "unlinked", 3) {
		return pick(src, "fd", pool)
	}
	return g.fd(src, s)
}

// symlinkTarget picks a target for a symlink at link: a name relative to
// the link's directory, often an existing entry below it. Targets never
// contain "..": a hard link or rename can move a symlink to another
// directory, and an upward target could then escape the filesystem under
// test.
func symlinkTarget(src Source, s state, link string) string {
	dir := ""
	if i := strings.LastIndexByte(strings.TrimSuffix(link, "/"), '/'); i >= 0 {
		dir = link[:i+1]
	}
	var below []string
	for _, e := range s.entries {
		if rel, ok := strings.CutPrefix(e.path, dir); ok && rel != "" {
			below = append(below, rel)
		}
	}
	if len(below) > 0 && src.Bool("existing") {
		return pick(src, "target", below)
	}
	return pick(src, "target", names)
}
