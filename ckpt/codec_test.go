package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// codecRewriting reports whether testdata/images should be rewritten:
// -rewrite (datadriven's flag, when a test of the package links it) or
// RELINKSIM_REWRITE=1.
func codecRewriting() bool {
	if os.Getenv("RELINKSIM_REWRITE") == "1" {
		return true
	}
	f := flag.Lookup("rewrite")
	return f != nil && f.Value.String() == "true"
}

// codecSample is an image with every record kind and every field set:
// two tasks sharing a descriptor table, a credential shared by files and
// a task, a fifo with data, an unlinked file with its relinked name, an
// O_TMPFILE file still linkable, a removed directory, fs_structs, a name
// that is not UTF-8, directories the checkpoint made.
func codecSample() *Image {
	return &Image{
		Version:  FormatVersion,
		Era:      "relink2011-fixed",
		Strategy: "relink",
		CRID:     7,
		Creds: []Cred{
			{UID: 0, GID: 0, Caps: 0x1ff_ffff_ffff},
			{UID: 1000, GID: 100, Caps: 0},
		},
		FSs: []FSState{
			{Root: "/", Cwd: "/mnt", Umask: 0o022},
			{Root: "/srv/c1", Cwd: "/srv/c1/tmp", Umask: 0o077},
		},
		Files: []FileState{
			{Type: FileGeneric, Flags: 0o2, Pos: 12, Version: 3, CredRef: 1, Path: "/mnt/a"},
			{Type: FileGeneric, Flags: 0o100002, Pos: 4096, Version: 9, CredRef: 1, RestartFlags: FileUnlink,
				Path: "/mnt/b (deleted)", Relinked: "/mnt/.relink/checkpoint-7/relinked-0"},
			{Type: FileFifo, Flags: 0o4000, CredRef: 2, Path: "/mnt/fifo", FifoData: []byte("hello\x00world\xff")},
			{Type: FileFifo, Flags: 0o1, CredRef: 0, RestartFlags: FileUnlink,
				Path: "/mnt/f2 (deleted)", Relinked: "/mnt/.relink/checkpoint-7/relinked-1"},
			{Type: FileGeneric, Flags: 0o20200002, Pos: -1, Version: 1<<64 - 1, CredRef: 2, RestartFlags: FileUnlink | FileLinkable,
				Path: "/mnt/#4 (deleted)", Relinked: "/mnt/.relink/checkpoint-7/relinked-2"},
			{Type: FileGeneric, CredRef: 2, Path: "/mnt/caf\xe9 <&>"},
			{Type: FileDir, Flags: 0o200000, CredRef: 1, RestartFlags: FileUnlink,
				Path: "/mnt/d//deleted", Relinked: "/mnt/.relink/checkpoint-7/relinked-3"},
			{Type: FileGeneric, Flags: 0o2, Pos: 3, CredRef: 1, RestartFlags: FileStat, RemapRef: 1, Checks: CheckSize | CheckMode,
				Mode: 0o100644, Size: 3, Path: "/mnt/a (deleted)"},
			{Type: FileGeneric, CredRef: 1, RestartFlags: FileStat, RemapRef: 2, Checks: CheckSize, Size: 1 << 40, Path: "/mnt/sparse (deleted)"},
			{Type: FileGeneric, CredRef: 1, RestartFlags: FileStat | FileUnlink, Checks: CheckMode, Mode: 0o100600,
				Path: "/mnt/c (deleted)", Relinked: "/mnt/lost+found/checkpoint-7/relinked-4"},
			{Type: FileGeneric, RestartFlags: FileStat, RemapRef: 3, Path: "/mnt/h (deleted)"},
			{Type: FileFifo, RestartFlags: FileStat, RemapRef: 4, Path: "/mnt/f3 (deleted)", FifoData: []byte("q")},
			{Type: FileGeneric, RestartFlags: FileStat, Path: "/mnt/plain"},
		},
		Remaps: []Remap{
			{Kind: RemapLinked, ID: 11, Path: "/mnt/link_remap.11"},
			{Kind: RemapGhost, Flags: RemapChunked, ID: 1, Mode: 0o100644, UID: 1000, GID: 100, Ino: 12, Size: 1 << 40,
				Chunks: []Chunk{{Off: 0, Data: []byte("ab")}, {Off: 1 << 30, Data: []byte{0, 1, 0xff}}}},
			{Kind: RemapHandle, ID: 2, Path: "/mnt", HandleType: 1, Handle: []byte{12, 0, 0, 0, 0x2a, 0, 0, 0}},
			{Kind: RemapCopy, ID: 3, Mode: 0o10644, Size: 5, Chunks: []Chunk{{Off: 0, Data: []byte("he")}, {Off: 2, Data: []byte("llo")}}},
		},
		Tables: []FDTable{
			{Entries: []FDEntry{{FD: 0, FileRef: 1}, {FD: 1, FileRef: 1}, {FD: 3, FileRef: 2}, {FD: 4, FileRef: 3}, {FD: 1 << 20, FileRef: 4}}},
			{Entries: []FDEntry{{FD: 5, FileRef: 5}, {FD: 6, FileRef: 6}}},
			{},
		},
		Tasks: []TaskState{
			{Name: "A", CredRef: 1, FSRef: 1, TableRef: 1},
			{Name: "B", CredRef: 2, FSRef: 1, TableRef: 1},
			{Name: "C", CredRef: 2, FSRef: 2, TableRef: 2},
			{Name: "zombie"},
			{Name: "", CredRef: 1, FSRef: 2, TableRef: 3},
		},
		Made: []string{"/mnt/.relink", "/mnt/.relink/\xff"},
	}
}

// codecMinimal is the smallest image: a header and its tail.
func codecMinimal() *Image {
	return &Image{Version: FormatVersion, Era: "upstream", Strategy: "relink-upstream"}
}

func mustEncode(t testing.TB, img *Image) []byte {
	t.Helper()
	b, err := Encode(img)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b
}

// roundTrip checks decode(encode(img)) == img, encode(decode(b)) == b and
// the same through JSON.
func roundTrip(t *testing.T, img *Image) []byte {
	t.Helper()
	b := mustEncode(t, img)
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode(Encode(img)): %v", err)
	}
	if diff := cmp.Diff(img, got); diff != "" {
		t.Fatalf("Decode(Encode(img)) differs (-want +got):\n%s", diff)
	}
	b2, err := Encode(got)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("Encode(Decode(b)) != b (err %v)", err)
	}
	j, err := img.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	fromJSON, err := DecodeJSON(j)
	if err != nil {
		t.Fatalf("DecodeJSON(JSON(img)): %v\n%s", err, j)
	}
	if diff := cmp.Diff(img, fromJSON); diff != "" {
		t.Fatalf("DecodeJSON(JSON(img)) differs (-want +got):\n%s", diff)
	}
	j2, _ := fromJSON.JSON()
	if !bytes.Equal(j, j2) {
		t.Fatalf("JSON is not stable:\n%s\n%s", j, j2)
	}
	return b
}

func TestCodecRoundTrip(t *testing.T) {
	for name, img := range map[string]*Image{"sample": codecSample(), "minimal": codecMinimal()} {
		t.Run(name, func(t *testing.T) { roundTrip(t, img) })
	}
}

// The images in testdata/images are what Encode writes for the images
// above, byte for byte, with their JSON beside them: a change of the
// format shows as a diff there (rewrite with RELINKSIM_REWRITE=1 and
// review it), and FormatVersion should change with it.
func TestCodecGolden(t *testing.T) {
	for name, img := range map[string]*Image{"sample": codecSample(), "minimal": codecMinimal()} {
		b := mustEncode(t, img)
		j, err := img.JSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			path string
			data []byte
		}{{name + ".img", b}, {name + ".json", j}} {
			path := filepath.Join("testdata", "images", f.path)
			if codecRewriting() {
				if err := os.WriteFile(path, f.data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (rewrite with RELINKSIM_REWRITE=1)", err)
			}
			if !bytes.Equal(want, f.data) {
				t.Errorf("%s differs from what Encode/JSON write now (rewrite with RELINKSIM_REWRITE=1 and review the diff)", path)
			}
		}
		// And the file decodes to the image.
		got, err := Decode(b)
		if err != nil || !reflect.DeepEqual(got, img) {
			t.Errorf("%s: Decode gives %v, %v", name, got, err)
		}
	}
}

// The layout as the comment at the top of codec.go documents it, built
// here by hand, not by Encode.
func TestCodecLayout(t *testing.T) {
	var b []byte
	rec := func(typ uint32, payload ...[]byte) {
		p := bytes.Join(payload, nil)
		b = binary.LittleEndian.AppendUint32(b, typ)
		b = binary.LittleEndian.AppendUint32(b, uint32(8+len(p)))
		b = append(b, p...)
	}
	u16 := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	name := func(s string) { rec(2, []byte(s), []byte{0}) }

	rec(1, []byte("RLNKCKPT"), u32(2), u32(42)) // header
	name("upstream")
	name("relink-upstream")
	rec(16, u32(1000), u32(100), u64(0x3000)) // cred 1
	rec(17, u32(0o022), u32(0))               // fs 1
	name("/")
	name("/mnt")
	// remap 1: a chunked ghost, id 1, mode 0100644, uid/gid 7/8, 2 chunks, ino 12, size 9000
	rec(23, u16(2), u16(1), u32(1), u32(0o100644), u32(7), u32(8), u32(2), u64(12), u64(9000))
	name("")
	rec(24, u64(0), []byte("xy"))
	rec(24, u64(8000), []byte("z"))
	// remap 2: a handle
	rec(23, u16(3), u16(0), u32(2), u32(0), u32(0), u32(0), u32(0), u64(0), u64(0))
	name("/mnt")
	rec(25, u32(1), u32(0), []byte{1, 2, 3})
	// file 1: a fifo, unlinked, credref 1
	rec(18, u16(2), u16(0), u32(0o4002), u64(5), u64(6), u32(1), u32(1))
	name("/mnt/p (deleted)")
	name("/mnt/.relink/checkpoint-42/relinked-0")
	rec(19, []byte("abc"))
	// file 2: remapped to the ghost, size and mode checked
	rec(18, u16(1), u16(0), u32(2), u64(0), u64(0), u32(0), u32(4))
	name("/mnt/g (deleted)")
	rec(26, u32(1), u32(3), u32(0o100644), u32(0), u64(9000))
	rec(20, u32(2), u32(0), u32(0), u32(1), u32(7), u32(2)) // table 1: fds 0 and 7
	rec(21, u32(1), u32(1), u32(1), u32(0))                 // task 1
	name("init")
	rec(3, u32(24), u32(0)) // tail: 24 records before it

	want := &Image{
		Version: 2, Era: "upstream", Strategy: "relink-upstream", CRID: 42,
		Creds: []Cred{{UID: 1000, GID: 100, Caps: 0x3000}},
		FSs:   []FSState{{Root: "/", Cwd: "/mnt", Umask: 0o022}},
		Remaps: []Remap{
			{Kind: RemapGhost, Flags: RemapChunked, ID: 1, Mode: 0o100644, UID: 7, GID: 8, Ino: 12, Size: 9000,
				Chunks: []Chunk{{Off: 0, Data: []byte("xy")}, {Off: 8000, Data: []byte("z")}}},
			{Kind: RemapHandle, ID: 2, Path: "/mnt", HandleType: 1, Handle: []byte{1, 2, 3}},
		},
		Files: []FileState{{Type: FileFifo, Flags: 0o4002, Pos: 5, Version: 6, CredRef: 1, RestartFlags: FileUnlink,
			Path: "/mnt/p (deleted)", Relinked: "/mnt/.relink/checkpoint-42/relinked-0", FifoData: []byte("abc")},
			{Type: FileGeneric, Flags: 2, RestartFlags: FileStat, RemapRef: 1, Checks: CheckSize | CheckMode, Mode: 0o100644, Size: 9000,
				Path: "/mnt/g (deleted)"}},
		Tables: []FDTable{{Entries: []FDEntry{{FD: 0, FileRef: 1}, {FD: 7, FileRef: 2}}}},
		Tasks:  []TaskState{{Name: "init", CredRef: 1, FSRef: 1, TableRef: 1}},
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode of the hand-built image: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if enc := mustEncode(t, want); !bytes.Equal(enc, b) {
		t.Errorf("Encode writes\n% x\nthe layout says\n% x", enc, b)
	}
}

// Every proper prefix of a valid image is an error, never a panic nor a
// success, and the error's offset lies within the prefix.
func TestDecodeEveryTruncation(t *testing.T) {
	for name, img := range map[string]*Image{"sample": codecSample(), "minimal": codecMinimal()} {
		b := mustEncode(t, img)
		for n := 0; n < len(b); n++ {
			got, err := Decode(b[:n])
			var fe *FormatError
			if err == nil || got != nil {
				t.Fatalf("%s: prefix of %d bytes of %d: Decode succeeded", name, n, len(b))
			}
			if !errors.As(err, &fe) {
				t.Fatalf("%s: prefix of %d bytes: error %T is not a *FormatError: %v", name, n, err, err)
			}
			if fe.Offset < 0 || fe.Offset > n || fe.Record == "" || !strings.HasPrefix(err.Error(), fmt.Sprintf("image: byte %d (", fe.Offset)) {
				t.Fatalf("%s: prefix of %d bytes: bad error %+v: %v", name, n, fe, err)
			}
		}
	}
}

// The decoder is strict: a corrupted byte anywhere either is an error, or
// the image it decodes to encodes to exactly the corrupted bytes (the
// byte was a field any value of which is valid: an id, a flag word, a
// character of a name).
func TestDecodeEveryCorruption(t *testing.T) {
	b := mustEncode(t, codecSample())
	accepted, rejected := 0, 0
	for i := range b {
		for _, x := range []byte{0x01, 0x02, 0x04, 0x10, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= x
			img, err := Decode(c)
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > len(c) {
					t.Fatalf("byte %d ^ %#x: bad error %v", i, x, err)
				}
				rejected++
				continue
			}
			accepted++
			re, err := Encode(img)
			if err != nil {
				t.Fatalf("byte %d ^ %#x: decoded, but Encode fails: %v", i, x, err)
			}
			if !bytes.Equal(re, c) {
				t.Fatalf("byte %d ^ %#x: decoded, but re-encodes differently: the decoder is lenient there\n got % x\nwant % x", i, x, re, c)
			}
		}
	}
	if accepted == 0 || rejected == 0 {
		t.Errorf("accepted %d, rejected %d corruptions: the test proves little", accepted, rejected)
	}
	t.Logf("%d corruptions accepted (re-encode exactly), %d rejected", accepted, rejected)
}

// sampleOffsets finds where things are in the sample's encoding, for the
// error tests: the start of the i-th record of type typ.
func recordStart(t *testing.T, b []byte, typ uint32, i int) int {
	t.Helper()
	for off, n := 0, 0; off+8 <= len(b); {
		if binary.LittleEndian.Uint32(b[off:]) == typ {
			if n == i {
				return off
			}
			n++
		}
		off += int(binary.LittleEndian.Uint32(b[off+4:]))
	}
	t.Fatalf("no record %d of type %d", i, typ)
	return 0
}

func TestDecodeErrors(t *testing.T) {
	sample := mustEncode(t, codecSample())
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
	}
	file0 := recordStart(t, sample, RecFile, 0)
	file1 := recordStart(t, sample, RecFile, 1)
	table0 := recordStart(t, sample, RecTable, 0)
	task0 := recordStart(t, sample, RecTask, 0)
	fs0 := recordStart(t, sample, RecFS, 0)
	tail := recordStart(t, sample, RecTail, 0)
	buf0 := recordStart(t, sample, RecBuffer, 0) // the era
	cred0 := recordStart(t, sample, RecCred, 0)

	for _, c := range []struct {
		name   string
		mutate func([]byte) []byte
		want   string // the whole message
	}{
		{"empty", func([]byte) []byte { return nil },
			"image: byte 0 (header record): truncated: the input ends where the header record should start"},
		{"bad magic", func(b []byte) []byte { b[8] = 'X'; return b },
			`image: byte 8 (header record): bad magic "XLNKCKPT", want "RLNKCKPT": not a relinksim image`},
		{"not an image", func([]byte) []byte { return []byte(`{"version": 1, "era": "upstream"}`) },
			`image: byte 8 (header record): bad magic "n\": 1, \"", want "RLNKCKPT": not a relinksim image`},
		{"wrong version", put32(16, 1),
			"image: byte 16 (header record): format version 1, want 2"},
		{"header length", put32(4, 32),
			"image: byte 4 (header record): length 32, want 24"},
		{"dangling credref", put32(file0+32, 7),
			fmt.Sprintf("image: byte %d (file record): credref: objref 7 points at no credential (2 before it)", file0+32)},
		{"dangling fileref", put32(table0+16+4, 99),
			fmt.Sprintf("image: byte %d (table record): entry 0 (fd 0): fileref: objref 99 points at no file (13 before it)", table0+20)},
		{"fileref 0", put32(table0+16+4, 0),
			fmt.Sprintf("image: byte %d (table record): entry 0 (fd 0): fileref: objref 0: a file is required", table0+20)},
		{"dangling tableref", put32(task0+16, 4),
			fmt.Sprintf("image: byte %d (task record): tableref: objref 4 points at no descriptor table (3 before it)", task0+16)},
		{"dangling fsref", put32(task0+12, 3),
			fmt.Sprintf("image: byte %d (task record): fsref: objref 3 points at no fs_struct (2 before it)", task0+12)},
		{"fds not ascending", put32(table0+16+8, 0),
			fmt.Sprintf("image: byte %d (table record): entry 1: fd 0 after fd 0: fds must ascend strictly", table0+24)},
		{"negative fd", put32(table0+16, 0xffffffff),
			fmt.Sprintf("image: byte %d (table record): entry 0: negative fd -1", table0+16)},
		{"entry count", put32(table0+8, 6),
			fmt.Sprintf("image: byte %d (table record): 6 entries need a record of 64 bytes, its length is 56", table0+8)},
		{"trailing bytes", func(b []byte) []byte { return append(b, 0, 0, 0) },
			fmt.Sprintf("image: byte %d (tail record): 3 trailing bytes after the tail record", len(sample))},
		{"trailing record", func(b []byte) []byte { return append(b, b[tail:]...) },
			fmt.Sprintf("image: byte %d (tail record): 16 trailing bytes after the tail record", len(sample))},
		{"tail count", put32(tail+8, 1),
			fmt.Sprintf("image: byte %d (tail record): record count 1, but %d records precede the tail", tail+8, binary.LittleEndian.Uint32(sample[tail+8:]))},
		{"name with NUL", func(b []byte) []byte { b[buf0+8+2] = 0; return b }, // "relink2011-fixed"
			fmt.Sprintf("image: byte %d (buffer record (era)): name contains a NUL at byte 2 of the name", buf0+10)},
		{"name without its NUL", func(b []byte) []byte { b[buf0+8+len("relink2011-fixed")] = 'x'; return b },
			fmt.Sprintf("image: byte %d (buffer record (era)): name does not end in a NUL byte (found 0x78)", buf0+8+len("relink2011-fixed"))},
		{"oversized name", put32(buf0+4, 8+5000),
			fmt.Sprintf("image: byte %d (buffer record (era)): length 5008 out of range [9, 4105]", buf0+4)},
		{"length beyond the input", put32(buf0+4, 4000),
			fmt.Sprintf("image: byte %d (buffer record (era)): truncated: the record's length is 4000, %d bytes remain", buf0, len(sample)-buf0)},
		{"huge table", put32(table0+4, 0xfffffff0),
			fmt.Sprintf("image: byte %d (table record): truncated: the record's length is 4294967280, %d bytes remain", table0, len(sample)-table0)},
		{"record length below its header", put32(cred0+4, 4),
			fmt.Sprintf("image: byte %d (cred record): length 4, want 24", cred0+4)},
		{"reserved byte", func(b []byte) []byte { b[fs0+13] = 1; return b },
			fmt.Sprintf("image: byte %d (fs record): reserved byte is 0x01, want 0", fs0+13)},
		{"umask", put32(fs0+8, 0o1022),
			fmt.Sprintf("image: byte %d (fs record): umask 01022 has bits outside 0777", fs0+8)},
		{"file type", put32(file0+8, 4),
			fmt.Sprintf("image: byte %d (file record): unknown file type 4 (want 1 generic, 2 fifo or 3 directory)", file0+8)},
		{"restart flags", put32(file0+36, 8),
			fmt.Sprintf("image: byte %d (file record): unknown restart flags 0x8", file0+36)},
		{"unlink flag dropped", put32(file1+36, 0), // the relinked name's buffer is then where the next file should be
			fmt.Sprintf("image: byte %d (buffer record): a buffer record here belongs to no record before it", file1+40+8+len("/mnt/b (deleted)")+1)},
		{"unknown type", put32(tail, 99),
			fmt.Sprintf("image: byte %d (record of unknown type 99): unknown record type 99", tail)},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.mutate(bytes.Clone(sample))
			_, err := Decode(in)
			if err == nil {
				t.Fatalf("Decode succeeded, want %q", c.want)
			}
			if err.Error() != c.want {
				t.Errorf("got  %s\nwant %s", err, c.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > len(in) {
				t.Errorf("error %#v", err)
			}
		})
	}
}

// A cred record after the fs_structs is out of order; the decoder says
// which record it found where.
func TestDecodeOutOfOrder(t *testing.T) {
	img := codecMinimal()
	img.Creds = []Cred{{UID: 1}}
	img.FSs = []FSState{{Root: "/", Cwd: "/"}}
	b := mustEncode(t, img)
	cred := recordStart(t, b, RecCred, 0)
	fs := recordStart(t, b, RecFS, 0)
	tail := recordStart(t, b, RecTail, 0)
	var out []byte
	out = append(out, b[:cred]...)
	out = append(out, b[fs:tail]...)
	out = append(out, b[cred:fs]...)
	out = append(out, b[tail:]...)
	_, err := Decode(out)
	want := fmt.Sprintf("image: byte %d (cred record): a cred record here is out of order: the records go header, creds, fs_structs, remaps, files, tables, tasks, made directories, tail", cred+(tail-fs))
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	// A forward reference: a file naming a cred that only comes later is
	// the same as naming none that exists yet.
	img = codecMinimal()
	img.Files = []FileState{{Type: FileGeneric, CredRef: 1, Path: "/a"}}
	if _, err := Encode(img); err == nil || err.Error() != "image: file 1: credref: objref 1 points at no credential (0 before it)" {
		t.Errorf("Encode of a dangling credref: %v", err)
	}
}

// Encode refuses what Decode would refuse, naming the object.
func TestEncodeRejects(t *testing.T) {
	for _, c := range []struct {
		mutate func(*Image)
		want   string
	}{
		{func(i *Image) { i.Version = 0 }, "image: header: version 0, want 2"},
		{func(i *Image) { i.Era = "a\x00b" }, "image: header: era: name contains a NUL at byte 1 of the name"},
		{func(i *Image) { i.Strategy = strings.Repeat("x", MaxName+1) }, "image: header: strategy: name of 4097 bytes, at most 4096"},
		{func(i *Image) { i.FSs[1].Umask = 0o7777 }, "image: fs 2: umask 07777 has bits outside 0777"},
		{func(i *Image) { i.FSs[0].Cwd = "\x00" }, "image: fs 1: cwd: name contains a NUL at byte 0 of the name"},
		{func(i *Image) { i.Files[0].Type = 0 }, "image: file 1: unknown file type 0 (want 1 generic, 2 fifo or 3 directory)"},
		{func(i *Image) { i.Files[0].CredRef = 3 }, "image: file 1: credref: objref 3 points at no credential (2 before it)"},
		{func(i *Image) { i.Files[0].RestartFlags = 8 }, "image: file 1: unknown restart flags 0x8"},
		{func(i *Image) { i.Files[0].Relinked = "/x" }, `image: file 1: relinked name "/x" without FileUnlink`},
		{func(i *Image) { i.Files[1].Relinked = "" }, "image: file 2: unlinked (FileUnlink) but no relinked name"},
		{func(i *Image) { i.Files[0].FifoData = []byte("x") }, "image: file 1: fifo data in a file of type 1 (only a fifo has data)"},
		{func(i *Image) { i.Files[2].FifoData = make([]byte, MaxFifoData+1) }, "image: file 3: 65537 bytes of fifo data, at most 65536"},
		{func(i *Image) { i.Tables[0].Entries[1].FD = 0 }, "image: table 1: entry 1: fd 0 after fd 0: fds must ascend strictly"},
		{func(i *Image) { i.Tables[0].Entries[0].FD = -3 }, "image: table 1: entry 0: negative fd -3"},
		{func(i *Image) { i.Tables[1].Entries[0].FileRef = 0 }, "image: table 2: entry 0 (fd 5): fileref: objref 0: a file is required"},
		{func(i *Image) { i.Tasks[2].TableRef = 9 }, "image: task 3: tableref: objref 9 points at no descriptor table (3 before it)"},
		{func(i *Image) { i.Tasks[2].FSRef = 3 }, "image: task 3: fsref: objref 3 points at no fs_struct (2 before it)"},
		{func(i *Image) { i.Tasks[2].CredRef = 3 }, "image: task 3: credref: objref 3 points at no credential (2 before it)"},
		{func(i *Image) { i.Tasks[0].Name = "a\x00" }, "image: task 1: name: name contains a NUL at byte 1 of the name"},
		{func(i *Image) { i.Remaps[0].Kind = 9 }, "image: remap 1: unknown remap kind 9 (want 1 linked, 2 ghost, 3 handle or 4 copy)"},
		{func(i *Image) { i.Remaps[0].Path = "" }, "image: remap 1: a remap of kind 1 needs a path"},
		{func(i *Image) { i.Remaps[1].Path = "/x" }, `image: remap 2: a path "/x" in a remap of kind 2 (a ghost or copy has none)`},
		{func(i *Image) { i.Remaps[0].Flags = RemapChunked }, "image: remap 1: the chunked flag on a remap of kind 1 (only a ghost is chunked)"},
		{func(i *Image) { i.Remaps[1].Size = 100 }, "image: remap 2: chunk 1: 3 bytes at offset 1073741824 end beyond the size 100"},
		{func(i *Image) { i.Remaps[1].Chunks[1].Off = 1 }, "image: remap 2: chunk 1: offset 1 before the end 2 of the chunk before it"},
		{func(i *Image) { i.Remaps[3].Chunks[1].Off = 3 }, "image: remap 4: chunk 1: offset 3 leaves a hole at 2 in data that is not chunked"},
		{func(i *Image) { i.Remaps[3].Chunks[0].Data = nil }, "image: remap 4: chunk 0: 0 bytes of data, want 1 to 1048576"},
		{func(i *Image) { i.Remaps[2].Handle = make([]byte, 129) }, "image: remap 3: handle of 129 bytes, at most 128"},
		{func(i *Image) { i.Remaps[0].Handle = []byte{1} }, "image: remap 1: a handle in a remap of kind 1 (only a handle remap has one)"},
		{func(i *Image) { i.Remaps[0].Chunks = []Chunk{{Data: []byte{1}}} }, "image: remap 1: chunks in a remap of kind 1 (only a ghost or copy has data)"},
		{func(i *Image) { i.Files[7].RemapRef = 9 }, "image: file 8: remapref: objref 9 points at no remap (4 before it)"},
		{func(i *Image) { i.Files[7].Checks = 4 }, "image: file 8: unknown checks 0x4"},
		{func(i *Image) { i.Files[9].RemapRef = 1 }, "image: file 10: a relinked file (FileUnlink) with a remap"},
		{func(i *Image) { i.Files[0].Size = 1 }, "image: file 1: remapref, checks, mode or size without FileStat"},
	} {
		img := codecSample()
		c.mutate(img)
		b, err := Encode(img)
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v (%d bytes)\nwant %s", err, len(b), c.want)
		}
		if j, jerr := img.JSON(); jerr == nil {
			if _, err := DecodeJSON(j); err == nil || err.Error() != c.want {
				t.Errorf("DecodeJSON: got %v\nwant %s", err, c.want)
			}
		}
	}
	if _, err := Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
}

func TestDecodeJSONStrict(t *testing.T) {
	good, err := codecSample().JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in, want string
	}{
		{strings.Replace(string(good), `"crid"`, `"cried"`, 1), `image JSON: json: unknown field "cried"`},
		{strings.Replace(string(good), `"uid"`, `"UID2"`, 1), `image JSON: json: unknown field "UID2"`},
		{string(good) + "{}", "image JSON: data after the image at byte"},
		{`{"version": 1, "era": {"base64": "AA==", "x": 1}}`, `image JSON: json: unknown field "x"`},
		{`{"version": 1, "era": {}}`, `image JSON: want {"base64": "..."}, found {}`},
		{`{"version": 1, "era": 3}`, `image JSON: want a string or {"base64": "..."}, found 3`},
		{`{"version": 2, "era": {"base64": "AA=="}}`, "image: header: era: name contains a NUL at byte 0 of the name"},
		{`{"version": 1, "creds": [{"uid": -1}]}`, "image JSON: json: cannot unmarshal number -1 into Go struct field"},
		{`{"version": 2, "creds": [{"caps": 18446744073709551615}]}`, ""},
		{`[]`, "image JSON: json: cannot unmarshal array"},
		{``, "image JSON: EOF"},
	} {
		_, err := DecodeJSON([]byte(c.in))
		if c.want == "" {
			if err != nil {
				t.Errorf("DecodeJSON(%.60q): %v", c.in, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("DecodeJSON(%.60q):\ngot  %v\nwant %s...", c.in, err, c.want)
		}
	}
	// Names that are not UTF-8 travel as base64; UTF-8 ones as strings,
	// unescaped.
	if !bytes.Contains(good, []byte(`"base64": "L21udC9jYWbpIDwmPg=="`)) || !bytes.Contains(good, []byte(`"path": "/mnt/a"`)) {
		t.Errorf("JSON of the names:\n%s", good)
	}
	if !bytes.Contains(good, []byte(`"base64": "aGVsbG8Ad29ybGT/"`)) {
		t.Errorf("JSON of the fifo data:\n%s", good)
	}
}

// The JSON types have their model types' fields, one for one, so a field
// added to the model cannot silently drop out of the JSON.
func TestJSONFieldsMatchModel(t *testing.T) {
	for _, c := range []struct{ model, js any }{
		{Image{}, jsonImage{}}, {Cred{}, jsonCred{}}, {FSState{}, jsonFS{}}, {FileState{}, jsonFile{}},
		{FDTable{}, jsonTable{}}, {FDEntry{}, jsonEntry{}}, {TaskState{}, jsonTask{}}, {Remap{}, jsonRemap{}}, {Chunk{}, jsonChunk{}},
	} {
		m, j := reflect.TypeOf(c.model), reflect.TypeOf(c.js)
		var mf, jf []string
		for i := range m.NumField() {
			mf = append(mf, m.Field(i).Name)
		}
		for i := range j.NumField() {
			jf = append(jf, j.Field(i).Name)
			if tag := j.Field(i).Tag.Get("json"); tag == "" || strings.ToLower(tag) != tag {
				t.Errorf("%s.%s: json tag %q", j.Name(), j.Field(i).Name, tag)
			}
		}
		if diff := cmp.Diff(mf, jf); diff != "" {
			t.Errorf("%s vs %s (-model +json):\n%s", m.Name(), j.Name(), diff)
		}
	}
}

// genImage draws a valid image: names of any bytes but NUL, objrefs to
// earlier objects (or none where allowed), fds ascending.
func genImage(t *rapid.T) *Image {
	name := func(label string) string {
		return string(rapid.SliceOfN(rapid.ByteRange(1, 255), 0, 12).Draw(t, label))
	}
	ref := func(n int, label string, noneOK bool) uint32 {
		lo := 0
		if !noneOK {
			lo = 1
		}
		if n < lo {
			return 0
		}
		return uint32(rapid.IntRange(lo, n).Draw(t, label))
	}
	img := &Image{Version: FormatVersion, Era: name("era"), Strategy: name("strategy"), CRID: rapid.Uint32().Draw(t, "crid")}
	for range rapid.IntRange(0, 3).Draw(t, "ncreds") {
		img.Creds = append(img.Creds, Cred{UID: rapid.Uint32().Draw(t, "uid"), GID: rapid.Uint32().Draw(t, "gid"), Caps: rapid.Uint64().Draw(t, "caps")})
	}
	for range rapid.IntRange(0, 3).Draw(t, "nfs") {
		img.FSs = append(img.FSs, FSState{Root: name("root"), Cwd: name("cwd"), Umask: rapid.Uint32Range(0, 0o777).Draw(t, "umask")})
	}
	for range rapid.IntRange(0, 3).Draw(t, "nremaps") {
		m := Remap{Kind: uint16(rapid.IntRange(1, 4).Draw(t, "kind")), ID: rapid.Uint32().Draw(t, "id"),
			Mode: rapid.Uint32().Draw(t, "mode"), UID: rapid.Uint32().Draw(t, "ruid"), GID: rapid.Uint32().Draw(t, "rgid"),
			Ino: rapid.Uint64().Draw(t, "ino"), Size: rapid.Int64Range(0, 1<<50).Draw(t, "size")}
		switch m.Kind {
		case RemapLinked, RemapHandle:
			m.Path = "/" + name("rpath")
		}
		if m.Kind == RemapHandle {
			m.HandleType = rapid.Int32().Draw(t, "htype")
			if h := rapid.SliceOfN(rapid.Byte(), 0, MaxHandle).Draw(t, "handle"); len(h) > 0 {
				m.Handle = h
			}
		}
		if m.Kind == RemapGhost || m.Kind == RemapCopy {
			if m.Kind == RemapGhost && rapid.Bool().Draw(t, "chunked") {
				m.Flags = RemapChunked
			}
			end := int64(0)
			for range rapid.IntRange(0, 3).Draw(t, "nchunks") {
				if m.Flags&RemapChunked != 0 {
					end += rapid.Int64Range(0, 1<<20).Draw(t, "gap")
				}
				d := rapid.SliceOfN(rapid.Byte(), 1, 16).Draw(t, "chunk")
				if end+int64(len(d)) > m.Size {
					break
				}
				m.Chunks = append(m.Chunks, Chunk{Off: end, Data: d})
				end += int64(len(d))
			}
		}
		img.Remaps = append(img.Remaps, m)
	}
	for range rapid.IntRange(0, 4).Draw(t, "nfiles") {
		f := FileState{
			Type: rapid.SampledFrom([]uint16{FileGeneric, FileFifo}).Draw(t, "type"), Flags: rapid.Uint32().Draw(t, "flags"),
			Pos: rapid.Int64().Draw(t, "pos"), Version: rapid.Uint64().Draw(t, "version"), CredRef: ref(len(img.Creds), "credref", true),
			RestartFlags: rapid.Uint32Range(0, 7).Draw(t, "restart"), Path: name("path"),
		}
		if f.RestartFlags&FileUnlink != 0 {
			f.Relinked = "/r" + name("relinked")
		}
		if f.RestartFlags&FileStat != 0 {
			if f.RestartFlags&FileUnlink == 0 {
				f.RemapRef = ref(len(img.Remaps), "remapref", true)
			}
			f.Checks = rapid.Uint32Range(0, 3).Draw(t, "checks")
			f.Mode = rapid.Uint32().Draw(t, "fmode")
			f.Size = rapid.Int64().Draw(t, "fsize")
		}
		if f.Type == FileFifo {
			if d := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "data"); len(d) > 0 {
				f.FifoData = d
			}
		}
		img.Files = append(img.Files, f)
	}
	for range rapid.IntRange(0, 3).Draw(t, "ntables") {
		var tb FDTable
		if len(img.Files) > 0 {
			fd := int32(-1)
			for range rapid.IntRange(0, 4).Draw(t, "nentries") {
				fd += rapid.Int32Range(1, 1000).Draw(t, "fdstep")
				tb.Entries = append(tb.Entries, FDEntry{FD: fd, FileRef: ref(len(img.Files), "fileref", false)})
			}
		}
		img.Tables = append(img.Tables, tb)
	}
	for range rapid.IntRange(0, 4).Draw(t, "ntasks") {
		img.Tasks = append(img.Tasks, TaskState{Name: name("task"), CredRef: ref(len(img.Creds), "tcred", true),
			FSRef: ref(len(img.FSs), "tfs", true), TableRef: ref(len(img.Tables), "ttable", true)})
	}
	return img
}

// Any valid image survives Encode/Decode and JSON/DecodeJSON, and Encode
// is deterministic.
func TestCodecRoundTripRandom(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		img := genImage(rt)
		b, err := Encode(img)
		if err != nil {
			rt.Fatalf("Encode: %v", err)
		}
		got, err := Decode(b)
		if err != nil {
			rt.Fatalf("Decode: %v", err)
		}
		if diff := cmp.Diff(img, got); diff != "" {
			rt.Fatalf("(-want +got):\n%s", diff)
		}
		if b2, _ := Encode(got); !bytes.Equal(b, b2) {
			rt.Fatalf("Encode is not deterministic")
		}
		j, err := img.JSON()
		if err != nil {
			rt.Fatal(err)
		}
		fromJSON, err := DecodeJSON(j)
		if err != nil {
			rt.Fatalf("DecodeJSON: %v\n%s", err, j)
		}
		if diff := cmp.Diff(img, fromJSON); diff != "" {
			rt.Fatalf("JSON (-want +got):\n%s", diff)
		}
	})
}

// A small input cannot make the decoder allocate much: a table record
// claiming 2^32 bytes of entries in a 100-byte input fails before any
// allocation for the entries.
func TestDecodeAllocatesLittle(t *testing.T) {
	img := codecMinimal()
	b := mustEncode(t, img)
	tail := recordStart(t, b, RecTail, 0)
	var in []byte
	in = append(in, b[:tail]...)
	in = binary.LittleEndian.AppendUint32(in, RecTable)
	in = binary.LittleEndian.AppendUint32(in, 0xffffffff)
	in = binary.LittleEndian.AppendUint32(in, 0x1fffffff)
	in = append(in, make([]byte, 4)...)
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := Decode(in); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs > 20 {
		t.Errorf("%v allocations for a %d-byte input", allocs, len(in))
	}
}
