package vfs

import (
	"os"
	"strings"
	"testing"
)

// relinkOptions returns the comma-separated options of data that start
// with "relink=", in order.
func relinkOptions(data string) []string {
	var out []string
	for _, o := range strings.Split(data, ",") {
		if strings.HasPrefix(o, "relink=") {
			out = append(out, o)
		}
	}
	return out
}

// FuzzParseRelinkOpt checks both relink= parsers on any data string (the
// seed corpus is in testdata/fuzz/FuzzParseRelinkOpt). What seed patch 08's
// parser guarantees, and no more:
//
//   - it never panics, and the value is at most the buffer's size; the
//     terminator overflows the buffer exactly when the value fills it;
//   - data is read as a C string (up to its first NUL);
//   - it finds an option exactly when some comma-separated option starts
//     with "relink=", and it erases only the first such option: the
//     relink= options left for the filesystem are the others, in order;
//   - the value is that option's text after "relink=", minus one pair of
//     surrounding double quotes (a lone quote counts as both and leaves
//     nothing), cut to the buffer's size — absolute paths and ".." pass.
//
// The fixed parser: an accepted value is non-empty, relative, without a
// ".." component or a NUL and shorter than PATH_MAX; nothing starting with
// "relink=" is left in the data; a rejected data string had one.
func FuzzParseRelinkOpt(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string, size uint16) {
		ran()
		maxLen := PATH_MAX
		if size%2 == 1 {
			maxLen = int(size%64) + 1 // small buffers reach the overflow
		}
		c := data
		if i := strings.IndexByte(c, 0); i >= 0 {
			c = c[:i]
		}
		p := parseRelinkOpt2011(data, maxLen)
		if len(p.dir) > maxLen {
			t.Fatalf("value of %d bytes in a %d-byte buffer", len(p.dir), maxLen)
		}
		if p.overflow != (len(p.dir) == maxLen) {
			t.Fatalf("overflow %v with a %d-byte value in a %d-byte buffer", p.overflow, len(p.dir), maxLen)
		}
		before := relinkOptions(c)
		if p.found != (len(before) > 0) {
			t.Fatalf("found %v, but the options starting with relink= are %q", p.found, before)
		}
		if !p.found {
			if p.data != c || p.dir != "" {
				t.Fatalf("nothing found, yet data %q -> %q, dir %q", c, p.data, p.dir)
			}
			return
		}
		after := relinkOptions(p.data)
		if strings.Join(after, "\x00") != strings.Join(before[1:], "\x00") {
			t.Fatalf("relink= options %q became %q: want all but the first", before, after)
		}
		v := strings.TrimPrefix(before[0], "relink=")
		want := v
		switch {
		case v == `"`:
			want = ""
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			want = v[1 : len(v)-1]
		}
		if len(want) > maxLen {
			want = want[:maxLen]
		}
		if p.dir != want {
			t.Fatalf("option %q gave value %q, want %q", before[0], p.dir, want)
		}

		q, err := parseRelinkOptFixed(data)
		if err != nil {
			if len(relinkOptions(data)) == 0 {
				t.Fatalf("rejected %q (%v) without a relink= option", data, err)
			}
			return
		}
		if len(relinkOptions(q.data)) > 0 {
			t.Fatalf("accepted, but %q still holds a relink= option", q.data)
		}
		if q.found {
			d := q.dir
			if d == "" || d[0] == '/' || len(d) >= PATH_MAX || strings.IndexByte(d, 0) >= 0 {
				t.Fatalf("accepted value %q", d)
			}
			for _, comp := range strings.Split(d, "/") {
				if comp == ".." {
					t.Fatalf("accepted value %q has a .. component", d)
				}
			}
		}
	})
}

// ran records that a target's body was entered, for .ci/libfuzzer, which
// cannot tell otherwise whether a libFuzzer binary ever got past decoding
// its arguments: when RELINKSIM_FUZZ_RAN names a file, it is created.
func ran() {
	if p := os.Getenv("RELINKSIM_FUZZ_RAN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			os.WriteFile(p, nil, 0o644)
		}
	}
}
