package script_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/script"
)

// repeat is an endless reader of one line over and over.
type repeat struct {
	line string
	off  int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// The Scanner reads ops one at a time with ParseFile's errors, and stops
// with an error naming the place at a line or a script past its limit.
func TestScannerLimits(t *testing.T) {
	s := script.NewScanner("s.txt", strings.NewReader("# c\n\n  mkdir d\r\nlink d\n"))
	var got []string
	for s.Scan() {
		got = append(got, s.Op().String())
	}
	var pe *script.ParseError
	if !errors.As(s.Err(), &pe) || s.Err().Error() != "s.txt:4:7: link: missing path2" || strings.Join(got, ";") != "mkdir d" {
		t.Errorf("ops %v, error %v", got, s.Err())
	}
	// A last line without a newline is read.
	s = script.NewScanner("", strings.NewReader("mkdir d"))
	if !s.Scan() || s.Op().Line != 1 || s.Scan() || s.Err() != nil {
		t.Errorf("a last line without newline: %v", s.Err())
	}
	for _, c := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"an endless line", &repeat{line: "x"}, "big:1:1048577: the line is longer than 1048576 bytes"},
		{"an endless script", &repeat{line: "#" + strings.Repeat(" ", 1<<19) + "\n"}, "big:2048:1: the script is longer than 1073741824 bytes"},
	} {
		s := script.NewScanner("big", c.r)
		for s.Scan() {
		}
		if s.Err() == nil || s.Err().Error() != c.want {
			t.Errorf("%s: %v, want %s", c.name, s.Err(), c.want)
		}
	}
}

// An error quoting a huge word is cut.
func TestParseErrorIsCut(t *testing.T) {
	_, err := script.Parse("open " + strings.Repeat("p", 100000) + " bogusflag -> A")
	if err == nil || len(err.Error()) > 400 {
		t.Fatalf("%d bytes: %.200v", len(err.Error()), err)
	}
}

// The line limit counts the bytes before the newline, on the last line
// (without one) as on any other.
func TestScannerLineLimitEdges(t *testing.T) {
	long := "#" + strings.Repeat("x", script.MaxLineBytes-1)
	for _, c := range []struct {
		src string
		ok  bool
	}{
		{long + "\n", true},
		{long, true},
		{long + "x\n", false},
		{long + "x", false},
	} {
		s := script.NewScanner("f", strings.NewReader(c.src))
		for s.Scan() {
		}
		if (s.Err() == nil) != c.ok {
			t.Errorf("a %d-byte source: %v, want ok=%v", len(c.src), s.Err(), c.ok)
		}
	}
}

// cat of a sparse terabyte returns its first MiB and the note at once: past
// the cap a regular file's length is taken from its size, not read.
func TestCatOfATerabyte(t *testing.T) {
	m, err := script.Boot(script.Config{FS: "tmpfs"})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := script.Parse("open f creat,rdwr -> F\nftruncate F 1099511627776\nclose F\ncat f\n")
	if err != nil {
		t.Fatal(err)
	}
	steps := m.Run(ops)
	got, _ := steps[3].Ret.(string)
	want := fmt.Sprintf(script.CatCutFormat, int64(1)<<40-script.MaxCatBytes, int64(1)<<40)
	if len(got) != script.MaxCatBytes+len(want) || !strings.HasSuffix(got, want) {
		t.Errorf("cat: %d bytes ending %q", len(got), got[max(0, len(got)-80):])
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatal(err)
	}
}
