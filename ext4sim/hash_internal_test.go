package ext4sim

import (
	"sort"
	"strings"
	"testing"
)

// The listing order of a one-block directory on Linux 6.18's ext4, made
// with mkfs.ext4 -E hash_seed=DefaultHashSeedUUID (half_md4, signed
// hash) and read with ls -f: names in (hash, minor hash) order, "." and
// ".." hashed like any other name.
func TestDirHashOrderMatchesLinux(t *testing.T) {
	seed, ok := ParseHashSeed(DefaultHashSeedUUID)
	if !ok {
		t.Fatal("the default seed does not parse")
	}
	names := []string{".", "..", "a", "b", "c", "hello", "world", "f1", "f2", "f3", "zz", "longname-with-many-characters-beyond-thirty-two-bytes-xx"}
	sort.Slice(names, func(i, j int) bool {
		hi, mi := dirHash(names[i], seed, false)
		hj, mj := dirHash(names[j], seed, false)
		if hi != hj {
			return hi < hj
		}
		return mi < mj
	})
	want := "world f3 a f2 . f1 longname-with-many-characters-beyond-thirty-two-bytes-xx c .. b zz hello"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("hash order:\n got %s\nwant %s", got, want)
	}
}
