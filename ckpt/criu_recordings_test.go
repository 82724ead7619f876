package ckpt_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/ckpt"
	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/criuhost"
	_ "github.com/relinksim/relinksim/nsproxy" // mount and umount in the scenarios
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// criuScenarioDir holds the criu strategy's scenarios and what real CRIU
// 4.2 did with them (internal/criuhost records them: go test
// ./internal/criuhost -run TestRecordCRIU -record-criu, as root).
const criuScenarioDir = "testdata/criu"

// criuMachine boots the simulator as script's scenario tests do, era
// upstream, with fs mounted at /mnt.
func criuMachine(fs string) (*script.Machine, error) {
	opts := vfs.Options{Era: vfs.Upstream}
	switch fs {
	case "ext4":
		return script.NewMachine(opts, "ext4", ext4sim.Setup(ext4sim.MkfsOptions{}))
	case "btrfs":
		return script.NewMachine(opts, "btrfs", btrfssim.Setup(btrfssim.MkfsOptions{}))
	}
	return script.NewMachine(opts, "tmpfs", nil)
}

// TestCRIURecordings runs every scenario of testdata/criu on the simulator
// and compares its output with real CRIU's on each filesystem it was
// recorded on (NAME.FS.jsonl), line for line, in the recording's format
// (internal/criuhost's package documentation): a checkpoint or restart
// prints {"ret":"ok"} when it succeeds and {"errno":"CRIU","detail":
// REASON} when it fails, REASON the class of the simulator's error
// (criuhost.SimReason: CRIU's message in the error, else its errno); kill
// prints no ret; ls, tree, readlink and readlink-fd results are
// normalized as the recordings are (link_remap.N, .cr.N.ghost).
//
// It also compares the facts the simulator can show without reading its
// image (NAME.FS.criu.json but for "files"): each checkpoint's and
// restart's result, the paths a checkpoint added to the filesystem, the
// paths a restart left changed since before the checkpoint, and whether
// each descriptor came back on the same (st_dev, st_ino), with st_blocks
// before and after.
func TestCRIURecordings(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join(criuScenarioDir, "*.txt"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scenarios in %s: %v", criuScenarioDir, err)
	}
	for _, p := range scripts {
		name := strings.TrimSuffix(filepath.Base(p), ".txt")
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, fs := range criuhost.AllFilesystems {
			base := strings.TrimSuffix(p, ".txt") + "." + fs
			want, err := os.ReadFile(base + ".jsonl")
			if os.IsNotExist(err) {
				continue
			}
			ran++
			t.Run(name+"/"+fs, func(t *testing.T) {
				if err != nil {
					t.Fatal(err)
				}
				wantFacts, err := os.ReadFile(base + ".criu.json")
				if err != nil {
					t.Fatal(err)
				}
				runCRIUScenario(t, p, string(src), fs, string(want), wantFacts)
			})
		}
		if ran == 0 {
			t.Errorf("%s: no recording of real CRIU's output (record with go test ./internal/criuhost -run TestRecordCRIU -record-criu)", p)
		}
	}
}

func runCRIUScenario(t *testing.T, p, src, fs, want string, wantFacts []byte) {
	ops, err := script.ParseFile(p, src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := criuMachine(fs)
	if err != nil {
		t.Fatal(err)
	}
	defer vfstest.Finish(t, m.K)
	s := &criuSim{m: m, images: map[string]*simDump{}}
	var got strings.Builder
	for _, op := range ops {
		st := s.step(op)
		if st.Err != nil {
			t.Fatalf("%s:%d: %s: %v", p, op.Line, st.Op, st.Err)
		}
		l, err := criuhost.EncodeStep(st)
		if err != nil {
			t.Fatal(err)
		}
		got.WriteString(l + "\n")
	}
	if diff := cmp.Diff(want, got.String()); diff != "" {
		t.Errorf("relinksim run -fs %s %s differs from real CRIU (-criu +simulator):\n%s", fs, p, diff)
	}
	var wf criuhost.Facts
	if err := json.Unmarshal(wantFacts, &wf); err != nil {
		t.Fatalf("%s facts: %v", fs, err)
	}
	if diff := cmp.Diff(wf.Events, s.events); diff != "" {
		t.Errorf("%s on %s: the facts differ from real CRIU's (-criu +simulator):\n%s", p, fs, diff)
	}
}

// criuSim runs a scenario's ops on the simulator and gathers the facts a
// recording holds (but the image's).
type criuSim struct {
	m      *script.Machine
	images map[string]*simDump
	events []criuhost.Event
}

// simDump is the state before a successful checkpoint.
type simDump struct {
	fds    []string
	stats  map[string]vfs.Stat_t
	before map[string]simEntry
}

// simEntry is a path's type (S_IFMT), inode, link count and size: what
// criuhost's listing compares.
type simEntry struct {
	typ   vfs.FileMode
	ino   uint64
	nlink uint32
	size  int64
}

func (s *criuSim) step(op script.Op) script.Step {
	src := op.Src
	if src == "" {
		src = op.String()
	}
	switch op.Name {
	case "checkpoint", "restart":
	case "kill":
		return criuhost.SimStep(s.m.Step(op))
	default:
		return criuhost.NormalizeStep(s.m.Step(op), criuhost.SimRoot)
	}
	spec, ok := script.Lookup(op.Name)
	if !ok {
		return script.Step{Line: op.Line, Op: src, Err: errors.New("op " + op.Name + " is not registered")}
	}
	r := s.m.Runner
	if r.CurrentTask() == "" && !spec.NoTask {
		return script.Step{Line: op.Line, Op: src, Err: errors.New("no task runs: the container was killed (restart it first)")}
	}
	var fds []string
	var stats map[string]vfs.Stat_t
	if op.Name == "checkpoint" {
		fds, stats = s.fdStats()
	}
	before := s.listing()
	// The op's own handler, as Runner.Step calls it, so that the error
	// (CRIU's message in it) reaches the classification.
	_, err := spec.Run(r, op, -1)
	ev := criuhost.Event{Line: op.Line, Op: src, Result: criuhost.OK}
	st := criuhost.OKStep(op.Line, src)
	if err != nil {
		var errno vfs.Errno
		if !errors.As(err, &errno) {
			return script.Step{Line: op.Line, Op: src, Err: err}
		}
		reason := criuhost.SimReason(err)
		ev.Result = string(reason)
		st = criuhost.FailedStep(op.Line, src, reason)
	}
	after := s.listing()
	switch op.Name {
	case "checkpoint":
		ev.Added = simAdded(before, after)
		if err == nil {
			s.images[op.Out] = &simDump{fds: fds, stats: stats, before: before}
			ev.Files = s.imageFiles(op.Out, fds)
		}
	case "restart":
		if d := s.images[op.Text]; d != nil {
			ev.Changed = simChanged(d.before, after)
			if err == nil {
				_, now := s.fdStats()
				for _, n := range d.fds {
					b, a := d.stats[n], now[n]
					ev.FDs = append(ev.FDs, criuhost.FDAfter{FD: n, SameInode: a.Dev == b.Dev && a.Ino == b.Ino, BlocksBefore: b.Blocks, BlocksAfter: a.Blocks})
				}
			}
		}
	}
	s.events = append(s.events, ev)
	return st
}

// fdStats fstats the current task's named descriptors.
func (s *criuSim) fdStats() ([]string, map[string]vfs.Stat_t) {
	r := s.m.Runner
	out := map[string]vfs.Stat_t{}
	names := r.FDNames()
	for _, n := range names {
		if fd, ok := r.FD(n); ok && r.T != nil {
			st, _ := r.T.Fstat(fd)
			out[n] = st
		}
	}
	return names, out
}

// listing lstats every path under /mnt but lost+found, as the checkpoint
// daemon (a root task of the initial namespace).
func (s *criuSim) listing() map[string]simEntry {
	d := ckpt.Daemon(s.m.K)
	out := map[string]simEntry{}
	var walk func(rel string)
	walk = func(rel string) {
		dir := path.Join(criuhost.SimRoot, rel)
		fd, err := d.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		if err != nil {
			return
		}
		ents, _ := d.ReadDir(fd)
		d.Close(fd)
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." || rel == "" && e.Name == "lost+found" {
				continue
			}
			rp := path.Join(rel, e.Name)
			st, err := d.Lstat(path.Join(criuhost.SimRoot, rp))
			if err != nil {
				continue
			}
			out[rp] = simEntry{st.Mode.Type(), st.Ino, st.Nlink, st.Size}
			if st.Mode.IsDir() {
				walk(rp)
			}
		}
	}
	walk("")
	return out
}

// simAdded and simChanged are criuhost's added and changed (the facts'
// Added and Changed) for the simulator's listings.
func simAdded(before, after map[string]simEntry) []string {
	var out []string
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, criuhost.NormalizeText(p, criuhost.SimRoot))
		}
	}
	slices.Sort(out)
	return out
}

func simChanged(before, after map[string]simEntry) []string {
	type diff struct{ path, mark string }
	var ds []diff
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			ds = append(ds, diff{criuhost.NormalizeText(p, criuhost.SimRoot), ""})
		case a != b:
			ds = append(ds, diff{criuhost.NormalizeText(p, criuhost.SimRoot), "~"})
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			ds = append(ds, diff{criuhost.NormalizeText(p, criuhost.SimRoot), "-"})
		}
	}
	slices.SortFunc(ds, func(x, y diff) int {
		if c := strings.Compare(x.path, y.path); c != 0 {
			return c
		}
		return strings.Compare(x.mark, y.mark)
	})
	var out []string
	for _, d := range ds {
		out = append(out, d.mark+d.path)
	}
	return out
}

// imageFiles is what the simulator's image named img holds for the
// current task's named descriptors, in the order they were opened, in
// the form crit shows CRIU's (criuhost.File): the file entry (labelled by
// first appearance), its type, path (without " (deleted)"), position and
// checked size, its remap and, for a ghost, its mode, chunks and data.
func (s *criuSim) imageFiles(img string, names []string) []criuhost.File {
	var st *ckpt.Stored
	for _, x := range ckpt.Images(s.m) {
		if x.Name == img {
			st = x
		}
	}
	if st == nil {
		return nil
	}
	im := st.Image
	var table ckpt.FDTable
	for i, ti := range st.Tasks {
		if ti.Name == st.Current {
			table = im.Tables[im.Tasks[i].TableRef-1]
		}
	}
	fileOf := map[int]uint32{}
	for _, e := range table.Entries {
		fileOf[int(e.FD)] = e.FileRef
	}
	labels, ghosts := map[uint32]string{}, map[uint32]string{}
	// A pipe's bytes are recorded with the first file open on it; CRIU
	// shows them on each.
	pipeBytes := map[uint32]int64{}
	for _, f := range im.Files {
		if f.Type == ckpt.FileFifo && len(f.FifoData) > 0 {
			pipeBytes[f.RemapRef] = int64(len(f.FifoData))
		}
	}
	var out []criuhost.File
	for _, name := range names {
		fd, ok := s.m.Runner.FD(name)
		if !ok {
			continue
		}
		ref, ok := fileOf[fd]
		if !ok {
			continue
		}
		f := im.Files[ref-1]
		if labels[ref] == "" {
			labels[ref] = fmt.Sprintf("f%d", len(labels)+1)
		}
		cf := criuhost.File{FD: name, File: labels[ref], Type: "REG", Path: strings.TrimSuffix(f.Path, " (deleted)"), Pos: f.Pos, Remap: "none"}
		if f.Type == ckpt.FileFifo {
			cf.Type = "FIFO"
			n := int64(len(f.FifoData))
			if b, ok := pipeBytes[f.RemapRef]; ok && f.RemapRef != 0 {
				n = b
			}
			cf.PipeBytes = &n
		}
		if f.Checks&ckpt.CheckSize != 0 {
			size := f.Size
			cf.Size = &size
		}
		if f.RemapRef != 0 {
			r := im.Remaps[f.RemapRef-1]
			switch r.Kind {
			case ckpt.RemapLinked:
				cf.Remap = "LINKED"
				cf.RemapPath = criuhost.NormalizeText(r.Path, criuhost.SimRoot)
			case ckpt.RemapGhost:
				cf.Remap = "GHOST"
				if ghosts[f.RemapRef] == "" {
					ghosts[f.RemapRef] = fmt.Sprintf("g%d", len(ghosts)+1)
				}
				g := &criuhost.Ghost{ID: ghosts[f.RemapRef], Mode: strconv.FormatUint(uint64(r.Mode), 8), Chunked: r.Flags&ckpt.RemapChunked != 0,
					DataBytes: int64(r.DataBytes())}
				if g.Chunked {
					// CRIU writes one ghost_chunk_entry per data
					// extent; the image splits an extent into
					// records of at most MaxChunk bytes.
					g.Chunks, g.Size = extents(r.Chunks), r.Size
				}
				cf.Ghost = g
			}
		}
		out = append(out, cf)
	}
	return out
}

// extents counts the runs of contiguous chunks.
func extents(chunks []ckpt.Chunk) int {
	n := 0
	for i, c := range chunks {
		if i == 0 || c.Off != chunks[i-1].Off+int64(len(chunks[i-1].Data)) {
			n++
		}
	}
	return n
}
