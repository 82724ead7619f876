package script

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The limits of a script read as a stream (Scanner): a longer line, or a
// longer script, is an error naming where it was found, so that reading
// /dev/zero or a runaway generator's output stops at once instead of
// exhausting memory.
const (
	// MaxLineBytes is the longest line a script may have, in bytes before
	// its newline.
	MaxLineBytes = 1 << 20
	// MaxScriptBytes is the most a script may hold.
	MaxScriptBytes = 1 << 30
)

// Scanner reads a script one op at a time from a stream, holding one line
// in memory, however long the script: the way to run a script too large to
// parse whole. Its errors are *ParseError naming the file, line and
// column, or the reader's own.
//
//	s := script.NewScanner("big.txt", f)
//	for s.Scan() {
//		m.Step(s.Op())
//	}
//	if err := s.Err(); err != nil { ... }
type Scanner struct {
	name string
	r    *bufio.Reader
	line int
	read int64
	op   Op
	err  error
}

// NewScanner returns a Scanner reading the script called name from r.
func NewScanner(name string, r io.Reader) *Scanner {
	return &Scanner{name: name, r: bufio.NewReaderSize(r, 64<<10)}
}

// Scan reads the next op, skipping blank and comment lines; it returns
// false at the end of the script or at an error (Err says which).
func (s *Scanner) Scan() bool {
	if s.err != nil {
		return false
	}
	for {
		raw, err := s.readLine()
		if err != nil {
			if err != io.EOF {
				s.err = err
			}
			return false
		}
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		col := strings.Index(raw, text) + 1
		op, perr := ParseOp(text)
		if perr != nil {
			pe := perr.(*ParseError)
			pe.File, pe.Line, pe.Col = s.name, s.line, pe.Col+col-1
			s.err = pe
			return false
		}
		op.Line = s.line
		s.op = op
		return true
	}
}

// readLine returns the next line without its newline, or io.EOF after the
// last one.
func (s *Scanner) readLine() (string, error) {
	var buf []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		s.read += int64(len(chunk))
		if s.read > MaxScriptBytes {
			return "", &ParseError{File: s.name, Line: s.line + 1, Col: 1, Msg: fmt.Sprintf("the script is longer than %d bytes", MaxScriptBytes)}
		}
		// The line's bytes before its newline count.
		content := len(buf) + len(chunk)
		if err == nil {
			content-- // the newline
		}
		if content > MaxLineBytes {
			return "", &ParseError{File: s.name, Line: s.line + 1, Col: MaxLineBytes + 1, Msg: fmt.Sprintf("the line is longer than %d bytes", MaxLineBytes)}
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			s.line++
			return string(bytes.TrimSuffix(buf, []byte("\n"))), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(buf) == 0 {
				return "", io.EOF
			}
			s.line++
			return string(buf), nil // the last line, without a newline
		default:
			return "", err
		}
	}
}

// Op returns the op Scan read.
func (s *Scanner) Op() Op { return s.op }

// Err returns the error that stopped Scan, or nil at the end of the
// script.
func (s *Scanner) Err() error { return s.err }
