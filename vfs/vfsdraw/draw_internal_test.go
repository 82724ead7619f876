package vfsdraw

import "testing"

// A record field escapes what structures a record ({ } | < >) besides
// what any DOT string escapes, so a relink directory named "x|{y}" stays
// one field.
func TestRecordFieldEscaping(t *testing.T) {
	for _, c := range [][2]string{
		{`x|{y}<z>`, `x\|\{y\}\<z\>`},
		{`a\b`, `a\\b`},
		{`"q"`, `\"q\"`},
		{"two\nlines", `two\nlines`},
	} {
		if got := field(c[0]); got != c[1] {
			t.Errorf("field(%q) = %s, want %s", c[0], got, c[1])
		}
	}
}
