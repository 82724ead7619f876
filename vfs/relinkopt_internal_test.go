package vfs

import (
	"strings"
	"testing"
)

// Seed patch 08's parse_relink_opt, quirk by quirk.
func TestParseRelinkOpt2011(t *testing.T) {
	cases := []struct {
		name, data      string
		wantData, wantD string
		found           bool
	}{
		{"plain", "relink=ckpt", "", "ckpt", true},
		{"quoted", `relink="qux/quux/"`, "", "qux/quux/", true},
		{"erased with its comma", "relink=a,commit=5", "commit=5", "a", true},
		{"last option leaves the comma before it", "commit=5,relink=a", "commit=5,", "a", true},
		{"only the first is taken", "relink=a,relink=b", "relink=b", "a", true},
		{"matched only at an option's start", "xrelink=a,norelink=b", "xrelink=a,norelink=b", "", false},
		{"empty value", "relink=,ro", "ro", "", true},
		{"empty quoted value", `relink=""`, "", "", true},
		{"a lone quote: length -1, clamped to 0", `relink="`, "", "", true},
		{"a lone quote before a comma", `relink=",x`, "x", "", true},
		{"an opening quote alone stays", `relink="abc`, "", `"abc`, true},
		{"a closing quote alone stays", `relink=abc"`, "", `abc"`, true},
		{"a comma splits a quoted value", `relink="a,b"`, `b"`, `"a`, true},
		{"absolute and .. are taken as they are", "relink=/../x", "", "/../x", true},
		{"a C string ends at NUL", "relink=a\x00b", "", "a", true},
		{"no options", "", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parseRelinkOpt2011(c.data, PATH_MAX)
			if p.data != c.wantData || p.dir != c.wantD || p.found != c.found || p.overflow {
				t.Errorf("parseRelinkOpt2011(%q) = data %q dir %q found %v overflow %v, want data %q dir %q found %v",
					c.data, p.data, p.dir, p.found, p.overflow, c.wantData, c.wantD, c.found)
			}
		})
	}
}

// A value of PATH_MAX bytes or more is cut to PATH_MAX, and then the
// terminator lands one byte past the buffer.
func TestParseRelinkOpt2011Overflow(t *testing.T) {
	long := strings.Repeat("d", PATH_MAX+10)
	p := parseRelinkOpt2011("relink="+long, PATH_MAX)
	if len(p.dir) != PATH_MAX || !p.overflow {
		t.Errorf("value of %d bytes: got %d bytes, overflow %v; want %d, true", len(long), len(p.dir), p.overflow, PATH_MAX)
	}
	p = parseRelinkOpt2011("relink="+long[:PATH_MAX-1], PATH_MAX)
	if len(p.dir) != PATH_MAX-1 || p.overflow {
		t.Errorf("value of PATH_MAX-1 bytes: got %d bytes, overflow %v", len(p.dir), p.overflow)
	}
}

func TestParseRelinkOptFixedAccepts(t *testing.T) {
	for data, want := range map[string][2]string{
		"relink=ckpt":                 {"", "ckpt"},
		`relink="qux/quux/",commit=5`: {"commit=5", "qux/quux/"},
		"commit=5,relink=a/b..c/.d":   {"commit=5", "a/b..c/.d"},
		"commit=5":                    {"commit=5", ""},
	} {
		p, err := parseRelinkOptFixed(data)
		if err != nil || p.data != want[0] || p.dir != want[1] {
			t.Errorf("parseRelinkOptFixed(%q) = %q, %q, %v; want %q, %q", data, p.data, p.dir, err, want[0], want[1])
		}
	}
}

func wantRejected(t *testing.T, data string, want Errno) {
	t.Helper()
	p, err := parseRelinkOptFixed(data)
	if err != want {
		t.Errorf("parseRelinkOptFixed(%q) = dir %q, error %v; want %v", data, p.dir, err, want)
	}
}

func TestParseRelinkOptFixedRejectsAbsolute(t *testing.T) {
	wantRejected(t, "relink=/srv/ckpt", EINVAL)
	wantRejected(t, `relink="/srv/ckpt"`, EINVAL)
}

func TestParseRelinkOptFixedRejectsDotDot(t *testing.T) {
	wantRejected(t, "relink=..", EINVAL)
	wantRejected(t, "relink=a/../../b", EINVAL)
	wantRejected(t, "relink=a/..", EINVAL)
}

func TestParseRelinkOptFixedRejectsEmpty(t *testing.T) {
	wantRejected(t, "relink=", EINVAL)
	wantRejected(t, "ro,relink=,commit=5", EINVAL)
}

func TestParseRelinkOptFixedRejectsEmptyQuoted(t *testing.T) {
	wantRejected(t, `relink=""`, EINVAL)
}

func TestParseRelinkOptFixedRejectsTwice(t *testing.T) {
	wantRejected(t, "relink=a,relink=a", EINVAL)
}

func TestParseRelinkOptFixedRejectsTooLong(t *testing.T) {
	wantRejected(t, "relink="+strings.Repeat("d", PATH_MAX), ENAMETOOLONG)
}

func TestSeqEscape(t *testing.T) {
	got := seqEscape("a b\tc\nd\\e\"f,g", "\", \t\n\\")
	want := `a\040b\011c\012d\134e\042f\054g`
	if got != want {
		t.Errorf("seqEscape = %s, want %s", got, want)
	}
}
