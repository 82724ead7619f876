package criuhost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/script"
)

// Check runs `criu --version` and `criu check` and returns the version
// ("4.2"), or an error when CRIU cannot dump and restore here (a recording
// made with it would prove nothing), or crit is missing.
func Check(criu string) (string, error) {
	out, err := exec.Command(criu, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v: %s", criu, err, out)
	}
	version := ""
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "Version: "); ok {
			version = strings.TrimSpace(v)
		}
	}
	if version == "" {
		return "", fmt.Errorf("%s --version printed no version: %s", criu, out)
	}
	out, err = exec.Command(criu, "check").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Looks good") {
		return "", fmt.Errorf("%s check: %v: %s", criu, err, out)
	}
	if _, err := os.Stat(Python); err != nil {
		return "", fmt.Errorf("crit needs %s: %v", Python, err)
	}
	if _, err := crit(criu, "--version"); err != nil {
		return "", err
	}
	return version, nil
}

// crit runs crit from criu's source tree.
func crit(criu string, args ...string) ([]byte, error) {
	src := filepath.Dir(filepath.Dir(criu))
	cmd := exec.Command(Python, append([]string{"-m", "crit"}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(src, "lib")+":"+filepath.Join(src, "crit"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("crit %s (PYTHONPATH from %s): %v: %s", strings.Join(args, " "), src, err, stderr.String())
	}
	return out, nil
}

// Config says where and how Run runs a scenario.
type Config struct {
	// CRIU is the criu binary (FindCRIU); Version what Check said.
	CRIU, Version string
	// FS is tmpfs, ext4 or btrfs; Template the image ext4 and btrfs are
	// copied from (hostkernel.MakeExt4Template, MakeBtrfsTemplate).
	FS, Template string
	// Base is a scratch directory (the mount, the images, the victim's
	// files).
	Base string
	// Timeout bounds each wait for the victim (default 60 s).
	Timeout time.Duration
}

// Recording is a scenario's output on the real kernel with real CRIU: a
// JSON line per op (script.Step's encoding, normalized) and the facts.
type Recording struct {
	Lines []string
	Facts Facts
}

// dumped is a successful checkpoint: its image directory and the state
// of the script's descriptors and of the filesystem just before it.
type dumped struct {
	dir    string
	fds    []fdName
	stats  map[string]unix.Stat_t
	before map[string]entry
}

type harness struct {
	cfg     Config
	name    string
	root    string
	task    hostkernel.Task
	cpu     int
	work    string
	results string

	pid   int  // the victim's
	alive bool // the victim runs (polls for its next go file)
	k     int  // the victim's last pause
	seq   int  // dumps and restores so far (their directories and logs)

	insp   *script.Runner // the inspector, between kill and restart
	images map[string]*dumped
	lines  map[int]string
	facts  Facts
}

// Run runs a scenario (ParseScenario's items, src its text) on a fresh
// filesystem cfg.FS, with real criu for checkpoint and restart, and
// returns its recording. An error means the harness or CRIU could not
// carry the scenario out at all (CRIU missing or crashing, the victim
// dying, an op the real side cannot run): never a recording.
func Run(cfg Config, name, src string) (rec *Recording, err error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	items, err := ParseScenario(name, src)
	if err != nil {
		return nil, err
	}
	// Restored tasks are reparented to the harness, which reaps them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("PR_SET_CHILD_SUBREAPER: %w", err)
	}
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	h := &harness{cfg: cfg, name: name, cpu: -1, images: map[string]*dumped{}, lines: map[int]string{}}
	h.facts.CRIU = cfg.Version
	var unmount func([]int) error
	switch cfg.FS {
	case "tmpfs":
		m, err := hostkernel.MountTmpfs(cfg.Base)
		if err != nil {
			return nil, err
		}
		h.root, unmount = m.Dir, m.Close
		h.task = hostkernel.Task{Source: "none", FSType: "tmpfs"}
	case "ext4":
		m, err := hostkernel.MountExt4(cfg.Base, cfg.Template)
		if err != nil {
			return nil, err
		}
		h.root, unmount = m.Dir, m.Close
		h.task = hostkernel.Task{OrphanDev: m.Dev, Source: m.Dev, FSType: "ext4"}
		h.cpu = 0 // ext4's per-CPU counters steer where directories go
	case "btrfs":
		m, err := hostkernel.MountBtrfs(cfg.Base, cfg.Template)
		if err != nil {
			return nil, err
		}
		h.root, unmount = m.Dir, m.Close
		h.task = hostkernel.Task{OrphanDev: m.Dev, OrphanFS: "btrfs", Source: m.Dev, FSType: "btrfs"}
	default:
		return nil, fmt.Errorf("unknown filesystem %q", cfg.FS)
	}
	if h.cpu >= 0 {
		// criu and the victim inherit the affinity of the thread that
		// starts them.
		undo, err := hostkernel.PinToOneCPU(h.cpu)
		if err != nil {
			unmount(nil)
			return nil, err
		}
		defer undo()
	}
	defer func() {
		h.stop()
		if uerr := unmount(nil); uerr != nil && err == nil {
			err = uerr
		}
	}()
	h.work, err = os.MkdirTemp(cfg.Base, "criu-work-")
	if err != nil {
		return nil, err
	}
	h.results = filepath.Join(h.work, "results.jsonl")
	if err := h.startVictim(src); err != nil {
		return nil, err
	}
	for i := 0; i < len(items); {
		it := items[i]
		if it.Op != nil {
			j := i
			for j < len(items) && items[j].Op != nil {
				j++
			}
			if err := h.ordinary(items[i:j]); err != nil {
				return nil, err
			}
			i = j
			continue
		}
		sp := it.Special
		var err error
		switch sp.Kind {
		case "checkpoint":
			err = h.checkpoint(sp)
		case "kill":
			err = h.kill(sp)
		case "restart":
			err = h.restart(sp)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", name, sp.Line, sp.Src, err)
		}
		i++
	}
	if h.alive {
		if err := h.victimGo("exit"); err != nil {
			return nil, err
		}
		if err := h.waitExit(); err != nil {
			return nil, err
		}
	}
	h.closeInspector()
	rec = &Recording{Facts: h.facts}
	for _, it := range items {
		l, ok := h.lines[it.Line()]
		if !ok {
			return nil, fmt.Errorf("%s:%d: no output (internal error)", name, it.Line())
		}
		rec.Lines = append(rec.Lines, l)
	}
	return rec, nil
}

// stop kills a victim still running and closes the inspector's
// descriptors.
func (h *harness) stop() {
	if h.alive {
		unix.Kill(h.pid, unix.SIGKILL)
		h.reap(true)
		h.alive = false
	}
	h.closeInspector()
}

func (h *harness) startVictim(src string) error {
	cfg := victimConfig{Name: h.name, Script: src, Root: h.root, CPU: h.cpu, Task: h.task}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(h.work, "victim.json"), b, 0o644); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// Stdio is /dev/null (exec's default), nothing else is passed, and
	// the victim closes whatever it inherits anyway.
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), VictimEnv+"="+h.work)
	cmd.Dir = h.work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the victim: %w", err)
	}
	h.pid, h.alive = cmd.Process.Pid, true
	// The harness reaps it with wait4 (after a restore it is no longer
	// exec's child).
	cmd.Process.Release()
	_, err = h.waitPaused(0)
	return err
}

// records reads the victim's results file.
func (h *harness) records() ([]record, error) {
	b, err := os.ReadFile(h.results)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []record
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return nil, fmt.Errorf("victim results: %q: %v", l, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// waitPaused waits until the victim records its k-th pause, collecting
// the steps it recorded, and returns that pause.
func (h *harness) waitPaused(k int) (record, error) {
	deadline := time.Now().Add(h.cfg.Timeout)
	for {
		recs, err := h.records()
		if err != nil {
			return record{}, err
		}
		for _, r := range recs {
			if r.Fail != "" {
				return record{}, fmt.Errorf("the victim failed: %s", r.Fail)
			}
		}
		for _, r := range recs {
			if r.Paused != nil && *r.Paused == k {
				for _, s := range recs {
					if s.Step != nil {
						h.lines[s.Line] = string(s.Step)
					}
				}
				return r, nil
			}
		}
		if h.reap(false) {
			h.alive = false
			return record{}, fmt.Errorf("the victim (pid %d) died before its pause %d", h.pid, k)
		}
		if time.Now().After(deadline) {
			return record{}, fmt.Errorf("the victim (pid %d, state %s) did not pause (%d) in %v", h.pid, procState(h.pid), k, h.cfg.Timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// victimGo writes the victim's next go file.
func (h *harness) victimGo(cmd string) error {
	p := filepath.Join(h.work, "go-"+strconv.Itoa(h.k+1))
	if err := os.WriteFile(p+".tmp", []byte(cmd+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		return err
	}
	h.k++
	return nil
}

// waitExit waits for the victim to exit after "exit".
func (h *harness) waitExit() error {
	deadline := time.Now().Add(h.cfg.Timeout)
	for !h.reap(false) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the victim (pid %d) did not exit", h.pid)
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.alive = false
	return nil
}

// waitGone waits until no process has the victim's pid, reaping it.
func (h *harness) waitGone() error {
	deadline := time.Now().Add(h.cfg.Timeout)
	for !h.reap(false) || procState(h.pid) != "" {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d is still taken (state %q)", h.pid, procState(h.pid))
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// reap waits for the victim (block: until it is gone) and reports whether
// it is gone.
func (h *harness) reap(block bool) bool {
	opts := unix.WNOHANG
	if block {
		opts = 0
	}
	var ws unix.WaitStatus
	for {
		pid, err := unix.Wait4(h.pid, &ws, opts, nil)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECHILD {
			// Not (or no longer) our child: gone when /proc says so.
			return procState(h.pid) == ""
		}
		return pid == h.pid
	}
}

// procState is the state letter of /proc/PID/stat, "" when there is no
// such process.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return "?"
}

// ordinary runs a run of ordinary ops: in the victim while it runs, else
// as the inspector.
func (h *harness) ordinary(items []Item) error {
	from, to := items[0].Line(), items[len(items)-1].Line()+1
	if h.alive {
		if err := h.victimGo(fmt.Sprintf("run %d %d", from, to)); err != nil {
			return err
		}
		_, err := h.waitPaused(h.k)
		return err
	}
	if h.insp == nil {
		return fmt.Errorf("%s:%d: the tasks were dumped: ops after a successful checkpoint need kill first (CRIU's dump ends the tasks)", h.name, from)
	}
	for _, it := range items {
		st := h.insp.Step(*it.Op)
		if st.Err != nil {
			return fmt.Errorf("%s:%d: %s: as the inspector: %w", h.name, st.Line, st.Op, st.Err)
		}
		l, err := EncodeStep(NormalizeStep(st, h.root))
		if err != nil {
			return err
		}
		h.lines[st.Line] = l
	}
	return nil
}

func (h *harness) closeInspector() {
	if h.insp == nil {
		return
	}
	for _, n := range h.insp.FDNames() {
		if fd, ok := h.insp.FD(n); ok {
			unix.Close(fd)
		}
	}
	h.insp = nil
}

// runCRIU runs criu with args from the work directory and returns its exit
// code and the log it wrote (dir/logName). That criu could not run, died
// of a signal or wrote no log is an error, not a result.
func (h *harness) runCRIU(dir, logName string, args ...string) (int, string, error) {
	cmd := exec.Command(h.cfg.CRIU, args...)
	cmd.Dir = h.work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		code = ee.ExitCode()
	default:
		return 0, "", fmt.Errorf("criu %s: %v: %s", strings.Join(args, " "), err, out.String())
	}
	log, lerr := os.ReadFile(filepath.Join(dir, logName))
	if lerr != nil {
		return 0, "", fmt.Errorf("criu %s (exit %d) wrote no log: %v: %s", strings.Join(args, " "), code, lerr, out.String())
	}
	return code, string(log), nil
}

func (h *harness) emit(st script.Step) error {
	l, err := EncodeStep(st)
	if err != nil {
		return err
	}
	h.lines[st.Line] = l
	return nil
}

func (h *harness) checkpoint(sp *Special) error {
	if !h.alive {
		return fmt.Errorf("no task runs (the victim was dumped or killed)")
	}
	pause, err := h.waitPaused(h.k)
	if err != nil {
		return err
	}
	if len(pause.Extra) > 0 {
		return fmt.Errorf("the victim holds descriptors the script did not open: %v", pause.Extra)
	}
	stats, err := statFDs(h.pid, pause.FDs)
	if err != nil {
		return err
	}
	before, err := listing(h.root)
	if err != nil {
		return err
	}
	h.seq++
	dir := filepath.Join(h.work, fmt.Sprintf("img-%d-%s", h.seq, sp.Image))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	args := []string{"dump", "-t", strconv.Itoa(h.pid), "-D", dir, "--shell-job"}
	if sp.LinkRemap {
		args = append(args, "--link-remap")
	}
	if sp.GhostLimit > 0 {
		args = append(args, "--ghost-limit", strconv.FormatInt(sp.GhostLimit, 10))
	}
	args = append(args, "-v4", "-o", "dump.log")
	code, log, err := h.runCRIU(dir, "dump.log", args...)
	if err != nil {
		return err
	}
	ev := Event{Line: sp.Line, Op: sp.Src}
	after, err := listing(h.root)
	if err != nil {
		return err
	}
	ev.Added = added(before, after, h.root)
	if code != 0 {
		r := Classify(log, h.root)
		if r == "" {
			return fmt.Errorf("criu dump failed (exit %d) and its log (%s) shows no error", code, filepath.Join(dir, "dump.log"))
		}
		// A failed dump resumes the task.
		if h.reap(false) {
			h.alive = false
			return fmt.Errorf("criu dump failed (%s) and the victim is gone", r)
		}
		if s := procState(h.pid); s == "t" || s == "T" || s == "Z" || s == "" {
			return fmt.Errorf("criu dump failed (%s) and left the victim in state %q", r, s)
		}
		ev.Result = string(r)
		h.facts.Events = append(h.facts.Events, ev)
		return h.emit(FailedStep(sp.Line, sp.Src, r))
	}
	// The dump ends the task (SIGKILL): reap it, so that its pid is free
	// for the restore.
	h.reap(true)
	h.alive = false
	ev.Result = OK
	ev.Files, err = imageFacts(h.cfg.CRIU, dir, h.pid, pause.FDs, h.root)
	if err != nil {
		return err
	}
	h.facts.Events = append(h.facts.Events, ev)
	h.images[sp.Image] = &dumped{dir: dir, fds: pause.FDs, stats: stats, before: before}
	return h.emit(OKStep(sp.Line, sp.Src))
}

func (h *harness) kill(sp *Special) error {
	if h.alive {
		if err := unix.Kill(h.pid, unix.SIGKILL); err != nil {
			return err
		}
		h.reap(true)
		h.alive = false
	}
	// The inspector: ops as root in the harness, on the same filesystem.
	h.closeInspector()
	h.insp = script.NewRunner(h.task, h.root)
	return h.emit(OKStep(sp.Line, sp.Src))
}

func (h *harness) restart(sp *Special) error {
	if h.alive {
		return fmt.Errorf("the script's tasks still run: kill them first")
	}
	d, ok := h.images[sp.Image]
	if !ok {
		return fmt.Errorf("no image is called %q (no successful checkpoint made it)", sp.Image)
	}
	h.seq++
	logName := fmt.Sprintf("restore-%d.log", h.seq)
	code, log, err := h.runCRIU(d.dir, logName, "restore", "-D", d.dir, "--shell-job", "-d", "-v4", "-o", logName)
	if err != nil {
		return err
	}
	ev := Event{Line: sp.Line, Op: sp.Src}
	now, err := listing(h.root)
	if err != nil {
		return err
	}
	ev.Changed = changed(d.before, now, h.root)
	if code != 0 {
		r := Classify(log, h.root)
		if r == "" {
			return fmt.Errorf("criu restore failed (exit %d) and its log (%s) shows no error", code, filepath.Join(d.dir, logName))
		}
		// Whatever the failed restore started must be gone (reaped: it
		// is reparented to the harness) before a retry may restore the
		// same pid.
		if err := h.waitGone(); err != nil {
			return fmt.Errorf("criu restore failed (%s): %w", r, err)
		}
		ev.Result = string(r)
		h.facts.Events = append(h.facts.Events, ev)
		return h.emit(FailedStep(sp.Line, sp.Src, r))
	}
	if s := procState(h.pid); s == "" || s == "Z" {
		return fmt.Errorf("criu restore succeeded but the victim (pid %d) is not running (state %q)", h.pid, s)
	}
	h.alive = true
	h.closeInspector()
	statsAfter, err := statFDs(h.pid, d.fds)
	if err != nil {
		return err
	}
	for _, f := range d.fds {
		b, a := d.stats[f.Name], statsAfter[f.Name]
		ev.FDs = append(ev.FDs, FDAfter{FD: f.Name, SameInode: a.Dev == b.Dev && a.Ino == b.Ino, BlocksBefore: b.Blocks, BlocksAfter: a.Blocks})
	}
	ev.Result = OK
	h.facts.Events = append(h.facts.Events, ev)
	return h.emit(OKStep(sp.Line, sp.Src))
}

// statFDs stats the victim's descriptors through /proc/PID/fd.
func statFDs(pid int, fds []fdName) (map[string]unix.Stat_t, error) {
	out := map[string]unix.Stat_t{}
	for _, f := range fds {
		var st unix.Stat_t
		if err := unix.Stat(fmt.Sprintf("/proc/%d/fd/%d", pid, f.FD), &st); err != nil {
			return nil, fmt.Errorf("stat of the victim's %s (fd %d): %w", f.Name, f.FD, err)
		}
		out[f.Name] = st
	}
	return out, nil
}

// entry is a path's identity in a listing.
type entry struct {
	mode  uint32
	ino   uint64
	nlink uint64
	size  int64
}

// listing lstats every path under root but lost+found.
func listing(root string) (map[string]entry, error) {
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if rel == "lost+found" {
			return filepath.SkipDir
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		out[rel] = entry{st.Mode & unix.S_IFMT, st.Ino, uint64(st.Nlink), st.Size}
		return nil
	})
	return out, err
}

// added lists the paths of after that before lacks, normalized and sorted.
func added(before, after map[string]entry, root string) []string {
	var out []string
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, NormalizeText(p, root))
		}
	}
	slices.Sort(out)
	return out
}

// changed lists the differences between two listings: added paths,
// removed ones ("-PATH"), and those with another type, inode, link count
// or size ("~PATH"), normalized and sorted by path.
func changed(before, after map[string]entry, root string) []string {
	type diff struct{ path, mark string }
	var ds []diff
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			ds = append(ds, diff{NormalizeText(p, root), ""})
		case a != b:
			ds = append(ds, diff{NormalizeText(p, root), "~"})
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			ds = append(ds, diff{NormalizeText(p, root), "-"})
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
