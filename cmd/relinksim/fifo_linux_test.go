package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A script from a fifo (as from a shell's <(...)) is read once, as a
// stream: it cannot be read twice.
func TestRunFromFifo(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "script")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("mkdir d\nls .\n")
		f.Close()
	}()
	r := invoke([]string{"run", fifo}, "")
	if r.code != 0 || !strings.Contains(r.out, `"ret":[".","..","d"]`) {
		t.Fatalf("exit %d, %q, %q", r.code, r.out, r.errOut)
	}
}
