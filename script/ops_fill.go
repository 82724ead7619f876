package script

import (
	"bytes"
	"fmt"
)

// fillChunk is the pattern fill writes, 64 KiB at a time.
var fillChunk = bytes.Repeat([]byte("relinksim fill. "), 4096)

// maxFill bounds one fill (1 GiB): a script cannot make the simulator
// hold more data than it asked for in one op.
const maxFill = 1 << 30

func init() {
	Register(OpSpec{Name: "fill", Group: "files", UsesFD: true, Args: []Arg{ArgFD, ArgOff, ArgN}, Usage: "fill FD OFF N",
		Help: "pwrite(2) of N bytes of a repeating pattern at OFF, 64 KiB per call (at most 1 GiB): data a file allocates, where write's TEXT would be long",
		Check: func(op Op) (int, string) {
			if op.N < 1 || op.N > maxFill {
				return 2, fmt.Sprintf("fill of %d bytes: want 1 to %d", op.N, maxFill)
			}
			return 0, ""
		},
		Run: func(r *Runner, op Op, fd int) (any, error) {
			for off, end := op.Off, op.Off+op.N; off < end; {
				n := min(end-off, int64(len(fillChunk)))
				w, err := r.T.Pwrite(fd, fillChunk[:n], off)
				if err != nil {
					return nil, err
				}
				off += int64(w)
			}
			return nil, nil
		}})
}
