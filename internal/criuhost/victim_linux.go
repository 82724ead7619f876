package criuhost

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/script"
)

// The victim: the process CRIU dumps and restores. It is a re-execution
// of the test binary (VictimEnv names its work directory; the test's
// TestMain calls MaybeVictim first) that runs the scenario's ordinary ops
// with a script.Runner over hostkernel.Task, so that descriptor names and
// numbers mean what they mean on the simulator.
//
// At a dump it must hold nothing but what the script opened: it closes
// every descriptor it inherited (0 to 2 are /dev/null), and it talks to
// the harness through files only, with plain system calls (no os.File, no
// timers: the Go runtime's poller would open an epoll and an eventfd).
// Each record (a step's JSON line, a pause) is appended to results.jsonl
// with open, write and close; between runs of ops it polls for the
// harness's next go-K file, sleeping with nanosleep. The harness dumps it
// while it polls, restores it there, and tells it to go on.

// VictimEnv is the environment variable that makes the test binary a
// victim; its value is the victim's work directory.
const VictimEnv = "RELINKSIM_CRIU_VICTIM"

// victimConfig is victim.json in the work directory.
type victimConfig struct {
	Name   string          `json:"name"`
	Script string          `json:"script"`
	Root   string          `json:"root"`
	CPU    int             `json:"cpu"`
	Task   hostkernel.Task `json:"task"`
}

// record is one line of results.jsonl.
type record struct {
	Line   int             `json:"line,omitempty"`
	Step   json.RawMessage `json:"step,omitempty"`
	Paused *int            `json:"paused,omitempty"`
	FDs    []fdName        `json:"fds,omitempty"`
	Extra  []string        `json:"extra,omitempty"`
	Fail   string          `json:"fail,omitempty"`
	Exit   bool            `json:"exit,omitempty"`
}

// fdName is a script descriptor name and its number.
type fdName struct {
	Name string `json:"name"`
	FD   int    `json:"fd"`
}

// MaybeVictim turns the process into a victim when VictimEnv says so, and
// never returns then; otherwise it does nothing. Call it first in the
// TestMain of a package whose tests use Run.
func MaybeVictim() {
	dir := os.Getenv(VictimEnv)
	if dir == "" {
		return
	}
	os.Exit(victim(dir))
}

func victim(dir string) (code int) {
	runtime.LockOSThread()
	closeInherited()
	results := filepath.Join(dir, "results.jsonl")
	defer func() {
		if e := recover(); e != nil {
			appendRecord(results, record{Fail: fmt.Sprintf("panic: %v", e)})
			code = 2
		}
	}()
	fail := func(format string, args ...any) int {
		appendRecord(results, record{Fail: fmt.Sprintf(format, args...)})
		return 2
	}
	b, err := readFileRaw(filepath.Join(dir, "victim.json"))
	if err != nil {
		return fail("reading victim.json: %v", err)
	}
	var cfg victimConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fail("victim.json: %v", err)
	}
	pin := func() {
		if cfg.CPU >= 0 {
			var set unix.CPUSet
			set.Set(cfg.CPU)
			unix.SchedSetaffinity(0, &set)
		}
	}
	items, err := ParseScenario(cfg.Name, cfg.Script)
	if err != nil {
		return fail("%v", err)
	}
	r := script.NewRunner(cfg.Task, cfg.Root)
	pause := func(k int) {
		var fds []fdName
		mine := map[int]bool{}
		for _, n := range r.FDNames() {
			fd, _ := r.FD(n)
			fds = append(fds, fdName{n, fd})
			mine[fd] = true
		}
		var extra []string
		for _, fd := range openFDs() {
			if fd > 2 && !mine[fd] {
				l, _ := readlinkRaw("/proc/self/fd/" + strconv.Itoa(fd))
				extra = append(extra, fmt.Sprintf("%d -> %s", fd, l))
			}
		}
		appendRecord(results, record{Paused: &k, FDs: fds, Extra: extra})
	}
	pin()
	pause(0)
	for k := 1; ; k++ {
		cmd := waitFile(filepath.Join(dir, "go-"+strconv.Itoa(k)))
		pin()
		if cmd == "exit" {
			appendRecord(results, record{Exit: true})
			return 0
		}
		var from, to int
		if _, err := fmt.Sscanf(cmd, "run %d %d", &from, &to); err != nil {
			return fail("go-%d: %q: %v", k, cmd, err)
		}
		for _, it := range items {
			if it.Op == nil || it.Op.Line < from || it.Op.Line >= to {
				continue
			}
			st := r.Step(*it.Op)
			if st.Err != nil {
				return fail("line %d: %s: %v", st.Line, st.Op, st.Err)
			}
			line, err := EncodeStep(NormalizeStep(st, cfg.Root))
			if err != nil {
				return fail("line %d: %v", st.Line, err)
			}
			appendRecord(results, record{Line: st.Line, Step: json.RawMessage(line)})
		}
		pause(k)
	}
}

// closeInherited closes every descriptor but 0 to 2.
func closeInherited() {
	for _, fd := range openFDs() {
		if fd > 2 {
			unix.Close(fd)
		}
	}
}

// openFDs lists /proc/self/fd with getdents (not the descriptor it reads
// the directory with).
func openFDs() []int {
	dfd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(dfd)
	var fds []int
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(dfd, buf)
		if err != nil || n <= 0 {
			break
		}
		for b := buf[:n]; len(b) > 0; {
			reclen := int(binary.LittleEndian.Uint16(b[16:18]))
			name := string(b[19:reclen])
			if i := strings.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if fd, err := strconv.Atoi(name); err == nil && fd != dfd {
				fds = append(fds, fd)
			}
			b = b[reclen:]
		}
	}
	slices.Sort(fds)
	return fds
}

func readlinkRaw(p string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlink(p, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func readFileRaw(p string) ([]byte, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 65536)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}

// appendRecord appends rec's JSON line to the results file: open, write,
// close, so that no descriptor stays open.
func appendRecord(p string, rec record) {
	b, err := json.Marshal(rec)
	if err != nil {
		b, _ = json.Marshal(record{Fail: err.Error()})
	}
	b = append(b, '\n')
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return
	}
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			break
		}
		b = b[n:]
	}
	unix.Close(fd)
}

// waitFile polls for file p, sleeping 2 ms between tries with nanosleep
// (no Go timer), and returns its contents.
func waitFile(p string) string {
	for {
		b, err := readFileRaw(p)
		if err == nil {
			return strings.TrimSpace(string(b))
		}
		ts := unix.Timespec{Nsec: 2_000_000}
		unix.Nanosleep(&ts, nil)
	}
}
