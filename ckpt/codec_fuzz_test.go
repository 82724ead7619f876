package ckpt

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzSeeds are the valid images the seed corpus holds, by file name.
func fuzzSeeds() map[string]*Image {
	one := codecMinimal()
	one.Creds = []Cred{{UID: 1}}
	one.Files = []FileState{{Type: FileFifo, CredRef: 1, RestartFlags: FileUnlink, Path: "/p (deleted)", Relinked: "/r", FifoData: []byte{0}}}
	one.Tables = []FDTable{{Entries: []FDEntry{{FD: 3, FileRef: 1}}}}
	one.Tasks = []TaskState{{Name: "t", CredRef: 1, TableRef: 1}}
	return map[string]*Image{"seed-sample": codecSample(), "seed-minimal": codecMinimal(), "seed-one-each": one}
}

// The seed corpus in testdata/fuzz/FuzzDecode is the images above as
// Encode writes them now (rewrite with RELINKSIM_REWRITE=1).
func TestFuzzCorpusUpToDate(t *testing.T) {
	for name, img := range fuzzSeeds() {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", mustEncode(t, img))
		path := filepath.Join("testdata", "fuzz", "FuzzDecode", name)
		if codecRewriting() {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is not the encoding of its image (%v): rewrite with RELINKSIM_REWRITE=1", path, err)
		}
	}
}

// FuzzDecode: Decode never panics; what it accepts Encode writes back
// byte for byte, and survives JSON and DecodeJSON; what it refuses it
// refuses with a *FormatError whose offset lies in the input.
func FuzzDecode(f *testing.F) {
	for _, img := range fuzzSeeds() {
		f.Add(mustEncode(f, img))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := Decode(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			if fe.Offset < 0 || fe.Offset > len(b) || fe.Record == "" || fe.Msg == "" {
				t.Fatalf("bad error for %d bytes: %+v", len(b), fe)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("image: byte %d (%s): ", fe.Offset, fe.Record)) {
				t.Fatalf("error text %q", err)
			}
			if img != nil {
				t.Fatal("an image with an error")
			}
			return
		}
		re, err := Encode(img)
		if err != nil {
			t.Fatalf("Decode accepted an image Encode refuses: %v", err)
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("Encode(Decode(b)) != b:\n got % x\nwant % x", re, b)
		}
		j, err := img.JSON()
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		back, err := DecodeJSON(j)
		if err != nil {
			t.Fatalf("DecodeJSON(JSON(img)): %v\n%s", err, j)
		}
		if diff := cmp.Diff(img, back); diff != "" {
			t.Fatalf("DecodeJSON(JSON(img)) (-want +got):\n%s", diff)
		}
	})
}
