package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runProcess runs the command line as a process of its own and returns
// its exit status, standard error and peak resident set size in bytes.
func runProcess(t *testing.T, args ...string) (code int, stderr string, maxRSS int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(args, "\x1f"))
	cmd.Stdout = io.Discard
	var errOut strings.Builder
	cmd.Stderr = &errOut
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return cmd.ProcessState.ExitCode(), errOut.String(), ru.Maxrss * 1024 // Linux: KiB
}

// The inputs run in bounded memory: the four-line script that
// cats a 1 GiB file (it took 14 GB: cat returns at most MaxCatBytes), a
// 40 MB script (it took 2.8 GB parsed whole: it is read as a stream), an
// endless line (/dev/zero: out of memory; now an error at 1 MiB) and a
// 10 MB token (echoed whole; now cut). Each stays under 100 MiB.
// Without the race detector only, which multiplies memory; CI runs it so.
func TestBoundedMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies memory: .ci/run runs this test without -race")
	}
	const limit = 100 << 20
	dir := t.TempDir()
	write := func(name string, fill func(w io.Writer)) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		fill(f)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cat := write("cat.txt", func(w io.Writer) {
		io.WriteString(w, "open f creat,rdwr -> A\nftruncate A 1073741824\nclose A\ncat f\n")
	})
	big := write("big.txt", func(w io.Writer) {
		io.WriteString(w, "open f creat,rdwr -> A\n")
		data := strings.Repeat("d", 180)
		for n, i := 0, 0; n < 40_000_000; i++ {
			k, _ := fmt.Fprintf(w, "pwrite A %d %s\n", i%4096, data)
			n += k
		}
		io.WriteString(w, "close A\n")
	})
	token := write("token.txt", func(w io.Writer) {
		io.WriteString(w, "open f creat,rdwr -> A\nfrobnicate"+strings.Repeat("x", 10_000_000)+"\n")
	})
	token1M := write("token1m.txt", func(w io.Writer) {
		io.WriteString(w, "open f creat,rdwr -> A\nfrobnicate"+strings.Repeat("x", 1_000_000)+"\n")
	})
	for _, c := range []struct {
		name, script string
		code         int
		stderr       string
	}{
		{"cat of a 1 GiB file", cat, 0, ""},
		{"a 40 MB script", big, 0, ""},
		{"/dev/zero", "/dev/zero", 2, "/dev/zero:1:1048577: the line is longer than 1048576 bytes"},
		{"a 10 MB token", token, 2, ":2:1048577: the line is longer than 1048576 bytes"},
		{"a 1 MB token", token1M, 2, `:2:1: unknown op "frobnicatexxxx`},
	} {
		code, stderr, rss := runProcess(t, "run", c.script)
		if code != c.code || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%s: exit %d, %.300q; want %d and %q", c.name, code, stderr, c.code, c.stderr)
		}
		if len(stderr) > 1000 {
			t.Errorf("%s: %d bytes on standard error", c.name, len(stderr))
		}
		if rss > limit {
			t.Errorf("%s: peak RSS %d MiB, over %d MiB", c.name, rss>>20, limit>>20)
		}
		t.Logf("%s: peak RSS %d MiB", c.name, rss>>20)
	}
}
