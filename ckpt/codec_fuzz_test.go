package ckpt

// The image decoder's fuzz target, in a file of its own that builds
// without the package's other test files, as a fuzzing service builds it
// (see package internal/fuzztargets). Its seeds are valid images
// (decodeSeeds, kept up to date by TestDecodeCorpusUpToDate).

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeCorpus is the target's seed corpus, which go test -fuzz reads.
const decodeCorpus = "testdata/fuzz/FuzzDecode"

// FuzzDecode: Decode never panics; what it accepts Encode writes back
// byte for byte, and survives JSON and DecodeJSON; what it refuses it
// refuses with a *FormatError whose offset lies in the input.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ran()
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
