package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/ckpt"
)

// imageForCLI is an image with every kind of record.
func imageForCLI() *ckpt.Image {
	return &ckpt.Image{
		Version: ckpt.FormatVersion, Era: "relink2011", Strategy: "relink", CRID: 3,
		Creds: []ckpt.Cred{{UID: 1000, GID: 1000, Caps: 0}},
		FSs:   []ckpt.FSState{{Root: "/", Cwd: "/mnt", Umask: 0o022}},
		Files: []ckpt.FileState{
			{Type: ckpt.FileGeneric, Flags: 2, Pos: 10, CredRef: 1, RestartFlags: ckpt.FileUnlink,
				Path: "/mnt/a (deleted)", Relinked: "/mnt/.relink/checkpoint-3/relinked-0"},
			{Type: ckpt.FileFifo, CredRef: 1, Path: "/mnt/p", FifoData: []byte("data")},
		},
		Tables: []ckpt.FDTable{{Entries: []ckpt.FDEntry{{FD: 3, FileRef: 1}, {FD: 4, FileRef: 2}}}},
		Tasks:  []ckpt.TaskState{{Name: "A", CredRef: 1, FSRef: 1, TableRef: 1}, {Name: "B", CredRef: 1, FSRef: 1, TableRef: 1}},
	}
}

// decode then encode gives back the image file, byte for byte, through
// files and through standard input and output.
func TestImageDecodeEncodeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	img, err := ckpt.Encode(imageForCLI())
	if err != nil {
		t.Fatal(err)
	}
	imgPath := filepath.Join(dir, "c.img")
	if err := os.WriteFile(imgPath, img, 0o644); err != nil {
		t.Fatal(err)
	}
	r := invoke([]string{"decode", imgPath}, "")
	if r.code != 0 || r.errOut != "" {
		t.Fatalf("decode: exit %d: %s", r.code, r.errOut)
	}
	want, _ := imageForCLI().JSON()
	if r.out != string(want) {
		t.Errorf("decode printed\n%s\nwant\n%s", r.out, want)
	}
	for _, s := range []string{`"relinked": "/mnt/.relink/checkpoint-3/relinked-0"`, `"fifo_data": "data"`, `"era": "relink2011"`} {
		if !strings.Contains(r.out, s) {
			t.Errorf("decode output lacks %s", s)
		}
	}
	// From standard input too.
	if r2 := invoke([]string{"decode", "-"}, string(img)); r2.code != 0 || r2.out != r.out {
		t.Errorf("decode -: exit %d, %s", r2.code, r2.errOut)
	}

	jsonPath := filepath.Join(dir, "c.json")
	if err := os.WriteFile(jsonPath, []byte(r.out), 0o644); err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(dir, "back.img")
	e := invoke([]string{"encode", "-o", outPath, jsonPath}, "")
	if e.code != 0 || e.out != "" || e.errOut != "" {
		t.Fatalf("encode -o: exit %d, stdout %q, stderr %s", e.code, e.out, e.errOut)
	}
	back, err := os.ReadFile(outPath)
	if err != nil || !bytes.Equal(back, img) {
		t.Errorf("encode -o wrote %d bytes (%v), not the image's %d", len(back), err, len(img))
	}
	// JSON from standard input, the image to standard output.
	for _, args := range [][]string{{"encode"}, {"encode", "-"}} {
		e := invoke(args, r.out)
		if e.code != 0 || e.out != string(img) {
			t.Errorf("relinksim %v: exit %d, %d bytes out, stderr %s", args, e.code, len(e.out), e.errOut)
		}
	}
}

// A truncated image fails with exit 2 and the decoder's message, which
// names the byte offset; so does bad JSON for encode.
func TestImageBadInput(t *testing.T) {
	dir := t.TempDir()
	img, err := ckpt.Encode(imageForCLI())
	if err != nil {
		t.Fatal(err)
	}
	cut := len(img) - 10 // inside the tail record
	path := filepath.Join(dir, "cut.img")
	if err := os.WriteFile(path, img[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	_, decErr := ckpt.Decode(img[:cut])
	if decErr == nil {
		t.Fatal("the truncated image decodes")
	}
	r := invoke([]string{"decode", path}, "")
	want := "relinksim decode: " + path + ": " + decErr.Error() + "\n"
	if r.code != 2 || r.out != "" || r.errOut != want {
		t.Errorf("decode of a truncated image: exit %d, stdout %q, stderr %q; want exit 2 and %q", r.code, r.out, r.errOut, want)
	}
	if tail := len(img) - 16; !strings.Contains(r.errOut, "image: byte "+strconv.Itoa(tail)+" (record header): truncated") {
		t.Errorf("the message does not name the tail's offset %d: %s", tail, r.errOut)
	}

	for _, c := range []struct {
		args  []string
		stdin string
		msg   string
	}{
		{[]string{"decode"}, "", "name one image file"},
		{[]string{"decode", "a", "b"}, "", "name one image file"},
		{[]string{"decode", filepath.Join(dir, "missing")}, "", "no such file"},
		{[]string{"decode", "-"}, "", "relinksim decode: <stdin>: image: byte 0 (header record): truncated"},
		{[]string{"decode", "-"}, "not an image at all", `relinksim decode: <stdin>: image: byte 8 (header record): bad magic`},
		{[]string{"encode", "a", "b"}, "", "name at most one JSON file"},
		{[]string{"encode"}, `{"version": 1, "bogus": 2}`, `relinksim encode: <stdin>: image JSON: json: unknown field "bogus"`},
		{[]string{"encode"}, `{"version": 2, "tasks": [{"name": "A", "credref": 2}]}`, "relinksim encode: <stdin>: image: task 1: credref: objref 2 points at no credential (0 before it)"},
		{[]string{"encode", "-o", filepath.Join(dir, "x.img")}, `{"version": 3}`, "image: header: version 3, want 2"},
	} {
		r := invoke(c.args, c.stdin)
		if r.code != 2 || r.out != "" || !strings.Contains(r.errOut, c.msg) {
			t.Errorf("relinksim %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, r.code, r.out, r.errOut, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.img")); err == nil {
		t.Error("encode -o wrote a file for bad JSON")
	}
}

func TestImageHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"help", "decode"}, []string{"usage: relinksim decode IMG|-", "byte offset", "No flags."}},
		{[]string{"encode", "-h"}, []string{"usage: relinksim encode [-o FILE] [JSON|-]", "  -o FILE"}},
		{[]string{"help"}, []string{"relinksim decode IMG|-", "relinksim encode [-o FILE] [JSON|-]", "  -o FILE"}},
	} {
		r := invoke(c.args, "")
		if r.code != 0 {
			t.Errorf("relinksim %v: exit %d", c.args, r.code)
		}
		for _, w := range c.want {
			if !strings.Contains(r.out, w) {
				t.Errorf("relinksim %v lacks %q:\n%s", c.args, w, r.out)
			}
		}
	}
}
