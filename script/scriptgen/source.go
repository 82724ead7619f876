package scriptgen

import "pgregory.net/rapid"

// Source is where the generator's choices come from. Every choice is an
// integer in a range or a bit, so the same generator draws from rapid
// (RapidSource: rapid records the choices and shrinks them) or from a
// plain byte string (BytesSource: what a fuzzing engine such as libFuzzer
// hands out, with no rapid or package testing in the loop).
type Source interface {
	// IntRange returns an integer in [lo, hi].
	IntRange(lo, hi int, label string) int
	// Bool returns a bit.
	Bool(label string) bool
}

// RapidSource draws each choice from a *rapid.T.
type RapidSource struct{ T *rapid.T }

// IntRange implements Source.
func (r RapidSource) IntRange(lo, hi int, label string) int {
	return rapid.IntRange(lo, hi).Draw(r.T, label)
}

// Bool implements Source.
func (r RapidSource) Bool(label string) bool { return rapid.Bool().Draw(r.T, label) }

// BytesSource reads choices from a byte string: a bit per Bool, as many
// bits as the range needs per IntRange (the value taken modulo the
// range's size). Past the end every bit is 0, so every choice is its
// simplest (the low end of a range, false) and a fuzzing engine that
// shortens or zeroes its input simplifies the script.
type BytesSource struct {
	data []byte
	bit  int // the next bit to read, counted from the start of data
}

// NewBytesSource returns a source reading data.
func NewBytesSource(data []byte) *BytesSource { return &BytesSource{data: data} }

func (b *BytesSource) next() uint64 {
	i := b.bit
	b.bit++
	if i/8 >= len(b.data) {
		return 0
	}
	return uint64(b.data[i/8]>>(i%8)) & 1
}

// IntRange implements Source.
func (b *BytesSource) IntRange(lo, hi int, label string) int {
	if hi <= lo {
		return lo
	}
	span := uint64(hi - lo)
	var v uint64
	for w := span; w > 0; w >>= 1 {
		v = v<<1 | b.next()
	}
	return lo + int(v%(span+1))
}

// Bool implements Source.
func (b *BytesSource) Bool(label string) bool { return b.next() == 1 }

// Used reports how many bytes of data the choices so far have read (all
// of them once it is exhausted).
func (b *BytesSource) Used() int { return min((b.bit+7)/8, len(b.data)) }
