package ckpt

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// decodeSeeds are the valid images the seed corpus holds, by file name.
func decodeSeeds() map[string]*Image {
	one := codecMinimal()
	one.Creds = []Cred{{UID: 1}}
	one.Files = []FileState{{Type: FileFifo, CredRef: 1, RestartFlags: FileUnlink, Path: "/p (deleted)", Relinked: "/r", FifoData: []byte{0}}}
	one.Tables = []FDTable{{Entries: []FDEntry{{FD: 3, FileRef: 1}}}}
	one.Tasks = []TaskState{{Name: "t", CredRef: 1, TableRef: 1}}
	return map[string]*Image{"seed-sample": codecSample(), "seed-minimal": codecMinimal(), "seed-one-each": one}
}

// The decoder's seed corpus (decodeCorpus) is the images above as Encode
// writes them now (rewrite with RELINKSIM_REWRITE=1).
func TestDecodeCorpusUpToDate(t *testing.T) {
	for name, img := range decodeSeeds() {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", mustEncode(t, img))
		path := filepath.Join(decodeCorpus, name)
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
