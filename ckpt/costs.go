package ckpt

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// The cost table: one workload checkpointed and restarted under every
// strategy, through every way of getting the filesystem to the restart,
// measured with the kernel's counters (vfs.IOStats) — the cover letter's
// argument, and CRIU's, as numbers.

// Transports: what happens to the filesystem between checkpoint and
// restart.
const (
	TransportSame     = "same"     // the same machine: kill, then restart
	TransportCopy     = "copy"     // backup copy, migrate to a new machine
	TransportSnapshot = "snapshot" // btrfs snapshot, mounted on a new machine
	TransportShared   = "shared"   // a new machine mounts the same device
)

// Transports lists them in table order.
var Transports = []string{TransportSame, TransportCopy, TransportSnapshot, TransportShared}

// CostConfig is the workload: Files files of Size bytes opened by one
// task, of which the first round(Unlinked*Files) are unlinked while open
// — the even ones fully (nlink 0), the odd ones as in the cover letter
// (linked as b<i> first, and their name f<i> made again). Sparse files
// hold data only in their first and last 4 KiB.
type CostConfig struct {
	FS       string
	Files    int
	Size     int64
	Unlinked float64
	Sparse   bool
	// Strategies and Transports select the cells (nil: all).
	Strategies, Transports []string
}

// CostRow is one cell of the table: a strategy through a transport.
type CostRow struct {
	Strategy  string `json:"strategy"`
	Transport string `json:"transport"`
	// OK is whether the restart succeeded; Failure says why not, and
	// Stage where ("checkpoint", "transport", "restart").
	OK      bool   `json:"ok"`
	Stage   string `json:"stage,omitempty"`
	Failure string `json:"failure,omitempty"`
	// Data bytes the kernel read and wrote at the checkpoint, the data
	// the image carries, the data the transport read and wrote, and the
	// data the restart read and wrote.
	CheckpointBytes uint64 `json:"checkpoint_bytes"`
	ImageBytes      uint64 `json:"image_bytes"`
	TransitBytes    uint64 `json:"transit_bytes"`
	RestartBytes    uint64 `json:"restart_bytes"`
	// MetadataOps counts the namespace and inode changes of the
	// checkpoint and the restart.
	MetadataOps uint64 `json:"metadata_ops"`
	// Identity, checked on the restored descriptors: a write through
	// one reaches the file's other name ("b"), the inode number is the
	// one before the checkpoint, and the allocated blocks are as many
	// (holes still holes); "yes", "no" or "n/a".
	WriteReachesB string `json:"write_reaches_b"`
	SameInode     string `json:"same_inode"`
	HolesKept     string `json:"holes_kept"`
}

// CostTable is the result of Costs.
type CostTable struct {
	Config CostConfig `json:"config"`
	Rows   []CostRow  `json:"rows"`
}

// Costs runs the workload of cfg through every selected strategy and
// transport, each cell on a machine of its own booted for it (the
// upstream era; cfg.FS must be registered), and measures it. An error is
// a workload that could not be set up or a simulator bug (an invariant
// violated after a cell); a cell that fails is a row saying why.
func Costs(cfg CostConfig) (*CostTable, error) {
	if cfg.Files < 1 || cfg.Size < 0 || cfg.Unlinked < 0 || cfg.Unlinked > 1 {
		return nil, fmt.Errorf("costs: want at least 1 file, a size of at least 0 and an unlinked fraction from 0 to 1: %w", vfs.EINVAL)
	}
	if cfg.Sparse && cfg.Size < 2*sparseEdge {
		return nil, fmt.Errorf("costs: a sparse file needs a size of at least %d: %w", 2*sparseEdge, vfs.EINVAL)
	}
	if !cfg.Sparse && uint64(cfg.Files)*uint64(cfg.Size) > CostMemoryCap {
		// The simulator holds file data in memory: a dense workload
		// beyond the cap is refused (a sparse one holds 8 KiB a file).
		return nil, fmt.Errorf("costs: %d dense files of %d bytes are more data than the simulator's %d (use -sparse): %w",
			cfg.Files, cfg.Size, uint64(CostMemoryCap), vfs.EINVAL)
	}
	if cfg.FS == "" {
		cfg.FS = "ext4"
	}
	strategies := cfg.Strategies
	if strategies == nil {
		strategies = Strategies
	}
	transports := cfg.Transports
	if transports == nil {
		transports = Transports
	}
	t := &CostTable{Config: cfg}
	for _, s := range strategies {
		if !knownStrategy(s) {
			return nil, fmt.Errorf("costs: unknown strategy %q: %w", s, vfs.EINVAL)
		}
		for _, tr := range transports {
			row, err := costCell(cfg, s, tr)
			if err != nil {
				return nil, fmt.Errorf("costs: %s through %s: %w", s, tr, err)
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t, nil
}

// sparseEdge is the data a sparse workload file holds at each end.
const sparseEdge = 4096

// StageNotRun is a cell's stage when it was not run: its data would not
// fit the simulator's memory cap (CostMemoryCap).
const StageNotRun = "not run"

// unlinkedCount is how many of the workload's files are unlinked.
func unlinkedCount(cfg CostConfig) int { return int(cfg.Unlinked*float64(cfg.Files) + 0.5) }

// costFile is what the workload recorded of an open file.
type costFile struct {
	fd     int
	b      string // its other name, or ""
	ino    uint64
	blocks int64
	unlink bool
}

// buildWorkload opens, fills and unlinks the workload's files as t.
func buildWorkload(t *vfs.Task, cfg CostConfig) ([]costFile, error) {
	nUnlinked := unlinkedCount(cfg)
	chunk := bytes.Repeat([]byte("relinksim-costs."), 4096) // 64 KiB
	var files []costFile
	for i := 0; i < cfg.Files; i++ {
		name := fmt.Sprintf("/mnt/f%d", i)
		fd, err := t.Open(name, vfs.O_CREAT|vfs.O_RDWR, 0o644)
		if err != nil {
			return nil, err
		}
		write := func(off, end int64) error {
			for off < end {
				n := min(end-off, int64(len(chunk)))
				if _, err := t.Pwrite(fd, chunk[:n], off); err != nil {
					return err
				}
				off += n
			}
			return nil
		}
		if cfg.Sparse {
			err = write(0, sparseEdge)
			if err == nil {
				err = write(cfg.Size-sparseEdge, cfg.Size)
			}
		} else {
			err = write(0, cfg.Size)
		}
		if err != nil {
			return nil, err
		}
		cf := costFile{fd: fd}
		if i < nUnlinked {
			cf.unlink = true
			if i%2 == 1 {
				cf.b = fmt.Sprintf("/mnt/b%d", i)
				if err := t.Link(name, cf.b); err != nil {
					return nil, err
				}
			}
			if err := t.Unlink(name); err != nil {
				return nil, err
			}
			if cf.b != "" {
				nfd, err := t.Open(name, vfs.O_CREAT|vfs.O_RDWR, 0o644) // the cover letter's creat("a")
				if err != nil {
					return nil, err
				}
				t.Close(nfd)
			}
		}
		st, err := t.Fstat(fd)
		if err != nil {
			return nil, err
		}
		cf.ino, cf.blocks = st.Ino, st.Blocks
		files = append(files, cf)
	}
	return files, nil
}

// CostMemoryCap bounds the file data a cell may hold in memory: a copy
// of every byte of the files (the copy strategy, MaxCopyBytes), or of
// their data (a backup copy). A cell beyond it is a row saying so, not
// run.
const CostMemoryCap = MaxCopyBytes

func costCell(cfg CostConfig, strategy, transport string) (CostRow, error) {
	row := CostRow{Strategy: strategy, Transport: transport, WriteReachesB: "n/a", SameInode: "n/a", HolesKept: "n/a"}
	data := cfg.Size
	if cfg.Sparse {
		data = 2 * sparseEdge
	}
	switch copied := uint64(unlinkedCount(cfg)) * uint64(cfg.Size); {
	case strategy == StrategyCopy && copied > CostMemoryCap:
		row.Stage, row.Failure = StageNotRun, fmt.Sprintf("the copies would hold %d bytes (cap %d)", copied, CostMemoryCap)
		return row, nil
	case transport == TransportCopy && uint64(cfg.Files)*uint64(data) > CostMemoryCap:
		row.Stage, row.Failure = StageNotRun, fmt.Sprintf("the backup would hold %d bytes (cap %d)", uint64(cfg.Files)*uint64(data), CostMemoryCap)
		return row, nil
	}
	m, err := script.Boot(script.Config{FS: cfg.FS, Options: vfs.Options{Era: vfs.Upstream}})
	if err != nil {
		return row, err
	}
	worker := m.Init().Fork()
	files, err := buildWorkload(worker, cfg)
	if err != nil {
		return row, fmt.Errorf("the workload: %w", err)
	}
	fail := func(stage string, err error) (CostRow, error) {
		row.Stage, row.Failure = stage, failureReason(err)
		return row, finishMachine(m)
	}
	opt := Options{Strategy: strategy, LinkRemap: strategy == StrategyCRIU}
	img, sum, err := Checkpoint(Daemon(m.K), []Target{{Name: script.FirstTask, Task: worker}}, opt)
	row.CheckpointBytes, row.ImageBytes, row.MetadataOps = sum.DataBytes, sum.ImageDataBytes, sum.MetadataOps
	if err != nil {
		return fail("checkpoint", err)
	}
	b := checkRoundTrip(img)
	worker.Exit()
	if err := checkMachine(m); err != nil {
		// Before a transport abandons this kernel: its invariants.
		return row, err
	}
	switch transport {
	case TransportSame:
	case TransportCopy, TransportSnapshot:
		kind := BackupCopy
		if transport == TransportSnapshot {
			kind = BackupSnapshot
		}
		bk, err := TakeBackup(Daemon(m.K), "/mnt", kind, "B")
		if err != nil {
			return fail("transport", err)
		}
		n, err := Migrate(m, bk)
		row.TransitBytes = bk.DataBytes + n
		if err != nil {
			return fail("transport", err)
		}
	case TransportShared:
		if _, err := Migrate(m, nil); err != nil {
			return fail("transport", err)
		}
	default:
		return row, fmt.Errorf("unknown transport %q: %w", transport, vfs.EINVAL)
	}
	img2, err := Decode(b)
	vfs.Assert(err == nil, "a checkpoint image does not decode: %v", err)
	restored, rsum, err := Restart(Daemon(m.K), img2, Options{})
	row.RestartBytes = rsum.DataBytes
	row.MetadataOps += rsum.MetadataOps
	if err != nil {
		return fail("restart", err)
	}
	row.OK = true
	t := restored[0].Task
	reach, same, holes := true, true, true
	var anyB, anyUnlinked bool
	for _, f := range files {
		if !f.unlink {
			continue
		}
		anyUnlinked = true
		st, err := t.Fstat(f.fd)
		if err != nil {
			return row, fmt.Errorf("fstat of restored fd %d: %w", f.fd, err)
		}
		same = same && st.Ino == f.ino
		holes = holes && st.Blocks == f.blocks
		if f.b != "" {
			anyB = true
			if _, err := t.Pwrite(f.fd, []byte("Z"), 0); err != nil {
				return row, fmt.Errorf("write through restored fd %d: %w", f.fd, err)
			}
			buf := make([]byte, 1)
			bfd, err := t.Open(f.b, vfs.O_RDONLY, 0)
			if err != nil {
				return row, err
			}
			_, err = t.Pread(bfd, buf, 0)
			t.Close(bfd)
			if err != nil {
				return row, err
			}
			reach = reach && buf[0] == 'Z'
		}
	}
	if anyUnlinked {
		row.SameInode = yesNo(same)
		if cfg.Sparse {
			row.HolesKept = yesNo(holes)
		}
	}
	if anyB {
		row.WriteReachesB = yesNo(reach)
	}
	t.Exit()
	return row, finishMachine(m)
}

// finishMachine checks the kernel's invariants, shuts it down (every
// task exits) and reports any reference left (the leak check).
func finishMachine(m *script.Machine) error {
	if err := checkMachine(m); err != nil {
		return err
	}
	return m.K.Shutdown()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// checkMachine fails on an invariant the kernel or a filesystem broke.
func checkMachine(m *script.Machine) error {
	if v := m.Check(); len(v) > 0 {
		return fmt.Errorf("invariants violated: %v", v)
	}
	return nil
}

// failureReason says why a cell failed, shortly: CRIU's own message
// class, else the errno.
func failureReason(err error) string {
	var ce *CRIUError
	if errors.As(err, &ce) {
		return ce.Class() + " (" + ce.Errno.Name() + ")"
	}
	if e := vfs.ErrnoOf(err); e != 0 {
		return e.Name()
	}
	return err.Error()
}

// Class names a CRIUError's kind, as the CRIU recordings classify CRIU's
// log lines.
func (e *CRIUError) Class() string {
	switch {
	case strings.Contains(e.Msg, "increase limit"):
		return "ghost limit"
	case strings.Contains(e.Msg, "Use link-remap option"):
		return "link-remap needed"
	case strings.Contains(e.Msg, "Unaccessible path opened"):
		return "name reused"
	case strings.Contains(e.Msg, "overmounted"):
		return "overmounted"
	case strings.Contains(e.Msg, "has bad size"):
		return "bad size"
	case strings.Contains(e.Msg, "has bad mode"):
		return "bad mode"
	case strings.Contains(e.Msg, "even fake link"):
		return "fake link taken"
	}
	return e.Msg
}

// WriteText prints the table, aligned.
func (t *CostTable) WriteText(w io.Writer) error {
	c := t.Config
	fmt.Fprintf(w, "workload: %s, %d files of %d bytes (%s), %.0f%% unlinked while open; data bytes from the kernel's counters\n\n",
		c.FS, c.Files, c.Size, map[bool]string{true: "sparse", false: "dense"}[c.Sparse], c.Unlinked*100)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\ttransport\tcheckpoint\timage\ttransit\trestart\tmeta-ops\treaches-b\tsame-ino\tholes\tresult\t")
	for _, r := range t.Rows {
		res := "ok"
		if !r.OK {
			res = r.Stage + ": " + r.Failure
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", r.Strategy, r.Transport, r.CheckpointBytes, r.ImageBytes,
			r.TransitBytes, r.RestartBytes, r.MetadataOps, r.WriteReachesB, r.SameInode, r.HolesKept, res)
	}
	return tw.Flush()
}

// WriteJSON prints the table as one JSON object.
func (t *CostTable) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

// WriteCSV prints the table as CSV, a header line first.
func (t *CostTable) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"strategy", "transport", "ok", "stage", "failure", "checkpoint_bytes", "image_bytes", "transit_bytes",
		"restart_bytes", "metadata_ops", "write_reaches_b", "same_inode", "holes_kept"})
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	for _, r := range t.Rows {
		cw.Write([]string{r.Strategy, r.Transport, strconv.FormatBool(r.OK), r.Stage, r.Failure, u(r.CheckpointBytes), u(r.ImageBytes),
			u(r.TransitBytes), u(r.RestartBytes), u(r.MetadataOps), r.WriteReachesB, r.SameInode, r.HolesKept})
	}
	cw.Flush()
	return cw.Error()
}
