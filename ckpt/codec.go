package ckpt

// The image format.
//
// An image is a stream of records. Every record starts with an 8-byte
// record header,
//
//	offset 0  u32  type
//	offset 4  u32  len: the length of the whole record, these 8 bytes
//	               included
//
// and its payload follows, len-8 bytes of it. Every integer is
// little-endian; a signed integer is two's complement. Records follow
// one another with no padding between them (a record may start at any
// offset); inside a fixed-size record the fields sit at offsets that are
// multiples of their size, and the bytes marked reserved must be zero.
// Offsets below count from the start of the record.
//
// Record types and their payloads:
//
//	1  header    len 24
//	             8   [8]byte magic "RLNKCKPT"
//	             16  u32 version (FormatVersion)
//	             20  u32 crid
//	2  buffer    len 8+n+1, 0 <= n <= 4096 (MaxName)
//	             8   n bytes of a name, then one NUL byte; the name holds
//	                 no NUL (it need not be UTF-8)
//	3  tail      len 16
//	             8   u32 the number of records before the tail
//	             12  u32 reserved
//	16 cred      len 24
//	             8   u32 uid
//	             12  u32 gid
//	             16  u64 effective capabilities
//	17 fs        len 16
//	             8   u32 umask (at most 0777)
//	             12  u32 reserved
//	18 file      len 40
//	             8   u16 f_type: 1 generic, 2 fifo, 3 directory
//	             10  u16 reserved
//	             12  u32 f_flags
//	             16  s64 f_pos
//	             24  u64 f_version
//	             32  u32 f_credref (objref of a cred; 0: none)
//	             36  u32 f_restart_flags: bit 0 FileUnlink, bit 1
//	                 FileLinkable, bit 2 FileStat, no other bit
//	19 pipe-buf  len 8+n, 0 <= n <= 65536 (MaxFifoData)
//	             8   n bytes: a fifo's buffered data
//	20 table     len 16+8*count
//	             8   u32 count, the number of entries
//	             12  u32 reserved
//	             16  count entries of 8 bytes each, in strictly ascending
//	                 fd order: s32 fd (at least 0), then u32 fileref
//	                 (objref of a file; never 0)
//	21 task      len 24
//	             8   u32 credref (objref of a cred; 0: none)
//	             12  u32 fsref (objref of an fs; 0: none)
//	             16  u32 tableref (objref of a table; 0: none)
//	             20  u32 reserved
//	22 made      len 8: a directory the checkpoint made (Image.Made); its
//	             path follows as a buffer, not empty
//	23 remap     len 48
//	             8   u16 kind: 1 linked, 2 ghost, 3 handle, 4 copy
//	             10  u16 flags: bit 0 chunked (a ghost only), no other bit
//	             12  u32 id
//	             16  u32 mode
//	             20  u32 uid
//	             24  u32 gid
//	             28  u32 count: the chunk records that follow (0 unless
//	                 ghost or copy)
//	             32  u64 ino
//	             40  s64 size (at least 0)
//	24 chunk     len 16+n, 1 <= n <= 1048576 (MaxChunk)
//	             8   s64 offset: at least 0, at least the end of the
//	                 remap's chunk before it (contiguous from 0 unless
//	                 the remap is chunked), offset+n at most the size
//	             16  n bytes of the file's data
//	25 handle    len 16+n, 0 <= n <= 128 (MaxHandle)
//	             8   s32 handle type
//	             12  u32 reserved
//	             16  n bytes of the handle
//	26 stat      len 32
//	             8   u32 remapref (objref of a remap; 0: none)
//	             12  u32 checks: bit 0 size, bit 1 mode, no other bit
//	             16  u32 mode
//	             20  u32 reserved
//	             24  s64 size
//
// The records come in this order, and only in it:
//
//	header, buffer (era), buffer (strategy)
//	cred, once per credential
//	fs, buffer (root), buffer (cwd), once per fs_struct
//	remap, buffer (path: not empty for linked and handle, empty for ghost
//	    and copy), [handle: exactly for a handle remap], count chunks,
//	    once per remap
//	file, buffer (path), [buffer (relinked name): exactly when f_restart_flags
//	    has FileUnlink; the name is not empty], [stat: exactly when
//	    f_restart_flags has FileStat; a relinked file has no remap],
//	    [pipe-buf: exactly when f_type is fifo; a generic file has no
//	    data], once per file
//	table, once per descriptor table
//	task, buffer (name), once per task
//	made, buffer (path), once per directory made
//	tail
//
// and nothing follows the tail. An objref of kind K is n to name the
// n-th record of kind K in the stream (1-based, the index in the Image's
// list plus one), 0 for none where the field allows none. By the order
// above, the records an objref may name all precede it; an objref that
// names a record not read yet (a forward reference) or one that does not
// exist is an error.
//
// Decode accepts exactly the streams Encode writes: exact lengths, zero
// reserved bytes, known types in the order above, no trailing bytes, so
// that Encode(Decode(b)) is b for every b that Decode accepts, and
// Decode(Encode(img)) is img for every img that Encode accepts (empty
// lists and empty fifo data decode as nil). Every decoding error is a
// *FormatError naming the byte offset at which it was found and the
// record being read. Decode allocates at most a small multiple of its
// input's length: a length is checked against what remains of the input
// before anything is allocated for it.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"unicode/utf8"
)

// Record types.
const (
	RecHeader  = 1
	RecBuffer  = 2
	RecTail    = 3
	RecCred    = 16
	RecFS      = 17
	RecFile    = 18
	RecPipeBuf = 19
	RecTable   = 20
	RecTask    = 21
	RecMade    = 22
	RecRemap   = 23
	RecChunk   = 24
	RecHandle  = 25
	RecStat    = 26
)

// Magic opens every image, in the header record.
const Magic = "RLNKCKPT"

// Bounds of the format.
const (
	MaxName     = 4096  // bytes of a name, its NUL not counted
	MaxFifoData = 65536 // bytes of a fifo's data
	MaxChunk    = 1 << 20
	MaxHandle   = 128 // MAX_HANDLE_SZ
)

// Fixed record lengths (the record header included).
const (
	hdrLen       = 8
	headerLen    = 24
	tailLen      = 16
	credLen      = 24
	fsLen        = 16
	fileLen      = 40
	tableBaseLen = 16
	entryLen     = 8
	taskLen      = 24
	madeLen      = 8
	remapLen     = 48
	chunkBaseLen = 16
	handleBase   = 16
	statLen      = 32
)

const (
	knownRestartFlags = FileUnlink | FileLinkable | FileStat
	knownChecks       = CheckSize | CheckMode
)

// FormatError is an error of Decode: the byte offset in the input where
// it was found, the record being read, and what is wrong.
type FormatError struct {
	Offset int
	Record string
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("image: byte %d (%s): %s", e.Offset, e.Record, e.Msg)
}

// recordName names a record type for errors.
func recordName(typ uint32) string {
	switch typ {
	case RecHeader:
		return "header record"
	case RecBuffer:
		return "buffer record"
	case RecTail:
		return "tail record"
	case RecCred:
		return "cred record"
	case RecFS:
		return "fs record"
	case RecFile:
		return "file record"
	case RecPipeBuf:
		return "pipe-buf record"
	case RecTable:
		return "table record"
	case RecMade:
		return "made record"
	case RecTask:
		return "task record"
	case RecRemap:
		return "remap record"
	case RecChunk:
		return "chunk record"
	case RecHandle:
		return "handle record"
	case RecStat:
		return "stat record"
	}
	return fmt.Sprintf("record of unknown type %d", typ)
}

// Encoding.

// Encode returns img as an image: the record stream above. It fails, and
// writes nothing, when img is not one Decode would give back (see
// Validate).
func Encode(img *Image) ([]byte, error) {
	if err := Validate(img); err != nil {
		return nil, err
	}
	e := &encoder{}
	h := e.begin(RecHeader, headerLen)
	copy(h[8:16], Magic)
	le.PutUint32(h[16:], img.Version)
	le.PutUint32(h[20:], img.CRID)
	e.name(img.Era)
	e.name(img.Strategy)
	for _, c := range img.Creds {
		r := e.begin(RecCred, credLen)
		le.PutUint32(r[8:], c.UID)
		le.PutUint32(r[12:], c.GID)
		le.PutUint64(r[16:], c.Caps)
	}
	for _, f := range img.FSs {
		r := e.begin(RecFS, fsLen)
		le.PutUint32(r[8:], f.Umask)
		e.name(f.Root)
		e.name(f.Cwd)
	}
	for _, m := range img.Remaps {
		r := e.begin(RecRemap, remapLen)
		le.PutUint16(r[8:], m.Kind)
		le.PutUint16(r[10:], m.Flags)
		le.PutUint32(r[12:], m.ID)
		le.PutUint32(r[16:], m.Mode)
		le.PutUint32(r[20:], m.UID)
		le.PutUint32(r[24:], m.GID)
		le.PutUint32(r[28:], uint32(len(m.Chunks)))
		le.PutUint64(r[32:], m.Ino)
		le.PutUint64(r[40:], uint64(m.Size))
		e.name(m.Path)
		if m.Kind == RemapHandle {
			h := e.begin(RecHandle, handleBase+len(m.Handle))
			le.PutUint32(h[8:], uint32(m.HandleType))
			copy(h[handleBase:], m.Handle)
		}
		for _, c := range m.Chunks {
			ch := e.begin(RecChunk, chunkBaseLen+len(c.Data))
			le.PutUint64(ch[8:], uint64(c.Off))
			copy(ch[chunkBaseLen:], c.Data)
		}
	}
	for _, f := range img.Files {
		r := e.begin(RecFile, fileLen)
		le.PutUint16(r[8:], f.Type)
		le.PutUint32(r[12:], f.Flags)
		le.PutUint64(r[16:], uint64(f.Pos))
		le.PutUint64(r[24:], f.Version)
		le.PutUint32(r[32:], f.CredRef)
		le.PutUint32(r[36:], f.RestartFlags)
		e.name(f.Path)
		if f.RestartFlags&FileUnlink != 0 {
			e.name(f.Relinked)
		}
		if f.RestartFlags&FileStat != 0 {
			st := e.begin(RecStat, statLen)
			le.PutUint32(st[8:], f.RemapRef)
			le.PutUint32(st[12:], f.Checks)
			le.PutUint32(st[16:], f.Mode)
			le.PutUint64(st[24:], uint64(f.Size))
		}
		if f.Type == FileFifo {
			p := e.begin(RecPipeBuf, hdrLen+len(f.FifoData))
			copy(p[8:], f.FifoData)
		}
	}
	for _, t := range img.Tables {
		r := e.begin(RecTable, tableBaseLen+entryLen*len(t.Entries))
		le.PutUint32(r[8:], uint32(len(t.Entries)))
		for i, en := range t.Entries {
			o := tableBaseLen + entryLen*i
			le.PutUint32(r[o:], uint32(en.FD))
			le.PutUint32(r[o+4:], en.FileRef)
		}
	}
	for _, t := range img.Tasks {
		r := e.begin(RecTask, taskLen)
		le.PutUint32(r[8:], t.CredRef)
		le.PutUint32(r[12:], t.FSRef)
		le.PutUint32(r[16:], t.TableRef)
		e.name(t.Name)
	}
	for _, m := range img.Made {
		e.begin(RecMade, madeLen)
		e.name(m)
	}
	n := e.nrec
	r := e.begin(RecTail, tailLen)
	le.PutUint32(r[8:], uint32(n))
	return e.buf, nil
}

var le = binary.LittleEndian

type encoder struct {
	buf  []byte
	nrec int
}

// begin appends a zeroed record of type typ and length n, its header
// filled in, and returns it.
func (e *encoder) begin(typ uint32, n int) []byte {
	start := len(e.buf)
	e.buf = append(e.buf, make([]byte, n)...)
	r := e.buf[start:]
	le.PutUint32(r[0:], typ)
	le.PutUint32(r[4:], uint32(n))
	e.nrec++
	return r
}

func (e *encoder) name(s string) {
	r := e.begin(RecBuffer, hdrLen+len(s)+1)
	copy(r[8:], s)
}

// Validation.

// Validate reports whether img can be encoded: whether it is an image
// Decode could return. Its errors name the object at fault as
// "file 3" (the objref it has, 1-based) and what is wrong with it.
func Validate(img *Image) error {
	if img == nil {
		return fmt.Errorf("image: nil image")
	}
	bad := func(obj string, format string, args ...any) error {
		return fmt.Errorf("image: %s: %s", obj, fmt.Sprintf(format, args...))
	}
	if img.Version != FormatVersion {
		return bad("header", "version %d, want %d", img.Version, FormatVersion)
	}
	if msg := nameProblem(img.Era); msg != "" {
		return bad("header", "era: %s", msg)
	}
	if msg := nameProblem(img.Strategy); msg != "" {
		return bad("header", "strategy: %s", msg)
	}
	for i, f := range img.FSs {
		obj := fmt.Sprintf("fs %d", i+1)
		if msg := umaskProblem(f.Umask); msg != "" {
			return bad(obj, "%s", msg)
		}
		if msg := nameProblem(f.Root); msg != "" {
			return bad(obj, "root: %s", msg)
		}
		if msg := nameProblem(f.Cwd); msg != "" {
			return bad(obj, "cwd: %s", msg)
		}
	}
	for i, m := range img.Remaps {
		obj := fmt.Sprintf("remap %d", i+1)
		if msg := remapProblem(m); msg != "" {
			return bad(obj, "%s", msg)
		}
		if msg := nameProblem(m.Path); msg != "" {
			return bad(obj, "path: %s", msg)
		}
		if len(m.Handle) > MaxHandle {
			return bad(obj, "handle of %d bytes, at most %d", len(m.Handle), MaxHandle)
		}
		if m.Kind != RemapHandle && (len(m.Handle) != 0 || m.HandleType != 0) {
			return bad(obj, "a handle in a remap of kind %d (only a handle remap has one)", m.Kind)
		}
		if len(m.Chunks) > 0 && m.Kind != RemapGhost && m.Kind != RemapCopy {
			return bad(obj, "chunks in a remap of kind %d (only a ghost or copy has data)", m.Kind)
		}
		end := int64(0)
		for j, c := range m.Chunks {
			if msg := chunkProblem(c.Off, int64(len(c.Data)), end, m); msg != "" {
				return bad(obj, "chunk %d: %s", j, msg)
			}
			end = c.Off + int64(len(c.Data))
		}
	}
	for i, f := range img.Files {
		obj := fmt.Sprintf("file %d", i+1)
		if msg := fileTypeProblem(f.Type); msg != "" {
			return bad(obj, "%s", msg)
		}
		if msg := refProblem(f.CredRef, len(img.Creds), "credential", true); msg != "" {
			return bad(obj, "credref: %s", msg)
		}
		if msg := restartFlagsProblem(f.RestartFlags); msg != "" {
			return bad(obj, "%s", msg)
		}
		if msg := nameProblem(f.Path); msg != "" {
			return bad(obj, "path: %s", msg)
		}
		if f.RestartFlags&FileUnlink != 0 {
			if f.Relinked == "" {
				return bad(obj, "unlinked (FileUnlink) but no relinked name")
			}
			if msg := nameProblem(f.Relinked); msg != "" {
				return bad(obj, "relinked name: %s", msg)
			}
		} else if f.Relinked != "" {
			return bad(obj, "relinked name %q without FileUnlink", f.Relinked)
		}
		if f.RestartFlags&FileStat != 0 {
			if msg := statProblem(f.RemapRef, f.Checks, f.RestartFlags, len(img.Remaps)); msg != "" {
				return bad(obj, "%s", msg)
			}
		} else if f.RemapRef != 0 || f.Checks != 0 || f.Mode != 0 || f.Size != 0 {
			return bad(obj, "remapref, checks, mode or size without FileStat")
		}
		if f.Type == FileFifo {
			if len(f.FifoData) > MaxFifoData {
				return bad(obj, "%d bytes of fifo data, at most %d", len(f.FifoData), MaxFifoData)
			}
		} else if len(f.FifoData) != 0 {
			return bad(obj, "fifo data in a file of type %d (only a fifo has data)", f.Type)
		}
	}
	for i, t := range img.Tables {
		obj := fmt.Sprintf("table %d", i+1)
		if len(t.Entries) > (math.MaxUint32-tableBaseLen)/entryLen {
			return bad(obj, "%d entries: too many", len(t.Entries))
		}
		for j, en := range t.Entries {
			prev := int32(-1)
			if j > 0 {
				prev = t.Entries[j-1].FD
			}
			if msg := fdProblem(en.FD, prev, j); msg != "" {
				return bad(obj, "entry %d: %s", j, msg)
			}
			if msg := refProblem(en.FileRef, len(img.Files), "file", false); msg != "" {
				return bad(obj, "entry %d (fd %d): fileref: %s", j, en.FD, msg)
			}
		}
	}
	for i, t := range img.Tasks {
		obj := fmt.Sprintf("task %d", i+1)
		if msg := nameProblem(t.Name); msg != "" {
			return bad(obj, "name: %s", msg)
		}
		if msg := refProblem(t.CredRef, len(img.Creds), "credential", true); msg != "" {
			return bad(obj, "credref: %s", msg)
		}
		if msg := refProblem(t.FSRef, len(img.FSs), "fs_struct", true); msg != "" {
			return bad(obj, "fsref: %s", msg)
		}
		if msg := refProblem(t.TableRef, len(img.Tables), "descriptor table", true); msg != "" {
			return bad(obj, "tableref: %s", msg)
		}
	}
	for i, m := range img.Made {
		obj := fmt.Sprintf("made directory %d", i+1)
		if m == "" {
			return bad(obj, "empty path")
		}
		if msg := nameProblem(m); msg != "" {
			return bad(obj, "%s", msg)
		}
	}
	return nil
}

// The checks Validate and Decode share: each returns what is wrong, or "".

func nameProblem(s string) string {
	if len(s) > MaxName {
		return fmt.Sprintf("name of %d bytes, at most %d", len(s), MaxName)
	}
	if i := bytes.IndexByte([]byte(s), 0); i >= 0 {
		return fmt.Sprintf("name contains a NUL at byte %d of the name", i)
	}
	return ""
}

func umaskProblem(m uint32) string {
	if m&^0o777 != 0 {
		return fmt.Sprintf("umask %#o has bits outside 0777", m)
	}
	return ""
}

func fileTypeProblem(t uint16) string {
	if t != FileGeneric && t != FileFifo && t != FileDir {
		return fmt.Sprintf("unknown file type %d (want %d generic, %d fifo or %d directory)", t, FileGeneric, FileFifo, FileDir)
	}
	return ""
}

func restartFlagsProblem(f uint32) string {
	if f&^knownRestartFlags != 0 {
		return fmt.Sprintf("unknown restart flags %#x", f&^knownRestartFlags)
	}
	return ""
}

// remapProblem checks a remap's fixed fields and whether its path is
// present as its kind wants.
func remapProblem(m Remap) string {
	if m.Kind < RemapLinked || m.Kind > RemapCopy {
		return fmt.Sprintf("unknown remap kind %d (want %d linked, %d ghost, %d handle or %d copy)", m.Kind, RemapLinked, RemapGhost, RemapHandle, RemapCopy)
	}
	if m.Flags&^RemapChunked != 0 {
		return fmt.Sprintf("unknown remap flags %#x", m.Flags&^RemapChunked)
	}
	if m.Flags&RemapChunked != 0 && m.Kind != RemapGhost {
		return fmt.Sprintf("the chunked flag on a remap of kind %d (only a ghost is chunked)", m.Kind)
	}
	if m.Size < 0 {
		return fmt.Sprintf("negative size %d", m.Size)
	}
	switch {
	case (m.Kind == RemapLinked || m.Kind == RemapHandle) && m.Path == "":
		return fmt.Sprintf("a remap of kind %d needs a path", m.Kind)
	case (m.Kind == RemapGhost || m.Kind == RemapCopy) && m.Path != "":
		return fmt.Sprintf("a path %q in a remap of kind %d (a ghost or copy has none)", m.Path, m.Kind)
	}
	return ""
}

// chunkProblem checks a chunk of n bytes at off, end being where the
// remap's chunk before it ends (0 for the first).
func chunkProblem(off, n, end int64, m Remap) string {
	switch {
	case n < 1 || n > MaxChunk:
		return fmt.Sprintf("%d bytes of data, want 1 to %d", n, MaxChunk)
	case off < end:
		return fmt.Sprintf("offset %d before the end %d of the chunk before it", off, end)
	case m.Flags&RemapChunked == 0 && off != end:
		return fmt.Sprintf("offset %d leaves a hole at %d in data that is not chunked", off, end)
	case off > m.Size || n > m.Size-off:
		return fmt.Sprintf("%d bytes at offset %d end beyond the size %d", n, off, m.Size)
	}
	return ""
}

// statProblem checks a stat record's remapref and checks; nremaps remaps
// precede it.
func statProblem(ref, checks, restartFlags uint32, nremaps int) string {
	if msg := refProblem(ref, nremaps, "remap", true); msg != "" {
		return "remapref: " + msg
	}
	if ref != 0 && restartFlags&FileUnlink != 0 {
		return "a relinked file (FileUnlink) with a remap"
	}
	if checks&^knownChecks != 0 {
		return fmt.Sprintf("unknown checks %#x", checks&^knownChecks)
	}
	return ""
}

// refProblem checks objref ref to one of the n objects of a kind read so
// far.
func refProblem(ref uint32, n int, kind string, noneOK bool) string {
	if ref == 0 {
		if noneOK {
			return ""
		}
		return fmt.Sprintf("objref 0: a %s is required", kind)
	}
	if uint64(ref) > uint64(n) {
		return fmt.Sprintf("objref %d points at no %s (%d before it)", ref, kind, n)
	}
	return ""
}

// fdProblem checks the fd of entry j of a table, prev the fd before it.
func fdProblem(fd, prev int32, j int) string {
	if fd < 0 {
		return fmt.Sprintf("negative fd %d", fd)
	}
	if j > 0 && fd <= prev {
		return fmt.Sprintf("fd %d after fd %d: fds must ascend strictly", fd, prev)
	}
	return ""
}

// Decoding.

// Decode reads an image that Encode wrote. It accepts nothing else: see
// the layout at the top of this file. Its errors are *FormatError.
func Decode(b []byte) (*Image, error) {
	d := &decoder{b: b}
	img, err := d.image()
	if err != nil {
		return nil, err
	}
	return img, nil
}

type decoder struct {
	b    []byte
	off  int // where the next record starts
	nrec int // records read
}

func (d *decoder) errf(off int, record, format string, args ...any) error {
	return &FormatError{Offset: off, Record: record, Msg: fmt.Sprintf(format, args...)}
}

// peek returns the type of the next record, or an error when not even a
// record header remains.
func (d *decoder) peek(want string) (uint32, error) {
	rest := len(d.b) - d.off
	if rest < hdrLen {
		if rest == 0 {
			return 0, d.errf(d.off, want, "truncated: the input ends where the %s should start", want)
		}
		return 0, d.errf(d.off, want, "truncated: %d bytes of a record header, want %d", rest, hdrLen)
	}
	return le.Uint32(d.b[d.off:]), nil
}

// record reads the next record, which must be of type typ with a length
// from minLen to maxLen; record names it for errors. It returns the
// record's start and the whole record, header included.
func (d *decoder) record(typ uint32, record string, minLen, maxLen uint64) (int, []byte, error) {
	start := d.off
	got, err := d.peek(record)
	if err != nil {
		return 0, nil, err
	}
	if got != typ {
		return 0, nil, d.errf(start, record, "found a %s (type %d), want a %s (type %d)", recordName(got), got, recordName(typ), typ)
	}
	n := uint64(le.Uint32(d.b[start+4:]))
	if minLen == maxLen && n != minLen {
		return 0, nil, d.errf(start+4, record, "length %d, want %d", n, minLen)
	}
	if n < minLen || n > maxLen {
		return 0, nil, d.errf(start+4, record, "length %d out of range [%d, %d]", n, minLen, maxLen)
	}
	if rest := len(d.b) - start; n > uint64(rest) {
		return 0, nil, d.errf(start, record, "truncated: the record's length is %d, %d bytes remain", n, rest)
	}
	d.off = start + int(n)
	d.nrec++
	return start, d.b[start:d.off], nil
}

// reserved checks that r[from:to] is zero.
func (d *decoder) reserved(start int, r []byte, from, to int, record string) error {
	for i := from; i < to; i++ {
		if r[i] != 0 {
			return d.errf(start+i, record, "reserved byte is %#02x, want 0", r[i])
		}
	}
	return nil
}

// name reads a buffer record holding a name; what says whose.
func (d *decoder) name(what string) (string, error) {
	record := "buffer record (" + what + ")"
	start, r, err := d.record(RecBuffer, record, hdrLen+1, hdrLen+MaxName+1)
	if err != nil {
		return "", err
	}
	p := r[hdrLen:]
	if p[len(p)-1] != 0 {
		return "", d.errf(start+len(r)-1, record, "name does not end in a NUL byte (found %#02x)", p[len(p)-1])
	}
	p = p[:len(p)-1]
	if i := bytes.IndexByte(p, 0); i >= 0 {
		return "", d.errf(start+hdrLen+i, record, "name contains a NUL at byte %d of the name", i)
	}
	return string(p), nil
}

func (d *decoder) image() (*Image, error) {
	const hrec = "header record"
	start, r, err := d.record(RecHeader, hrec, headerLen, headerLen)
	if err != nil {
		// A stream that is not an image at all (its bytes 8 on are not
		// the magic, nor a prefix of it): say so rather than complain
		// about a record type or length.
		if len(d.b) >= 8 && !bytes.HasPrefix(d.b[8:], []byte(Magic)) && !bytes.HasPrefix([]byte(Magic), d.b[8:]) {
			return nil, d.errf(8, hrec, "bad magic %q, want %q: not a relinksim image", clip(d.b[8:], len(Magic)), Magic)
		}
		return nil, err
	}
	if string(r[8:16]) != Magic {
		return nil, d.errf(start+8, hrec, "bad magic %q, want %q: not a relinksim image", r[8:16], Magic)
	}
	img := &Image{Version: le.Uint32(r[16:]), CRID: le.Uint32(r[20:])}
	if img.Version != FormatVersion {
		return nil, d.errf(start+16, hrec, "format version %d, want %d", img.Version, FormatVersion)
	}
	if img.Era, err = d.name("era"); err != nil {
		return nil, err
	}
	if img.Strategy, err = d.name("strategy"); err != nil {
		return nil, err
	}

	// Creds.
	for {
		typ, err := d.peek("record header")
		if err != nil {
			return nil, err
		}
		if typ != RecCred {
			break
		}
		const rec = "cred record"
		_, r, err := d.record(RecCred, rec, credLen, credLen)
		if err != nil {
			return nil, err
		}
		img.Creds = append(img.Creds, Cred{UID: le.Uint32(r[8:]), GID: le.Uint32(r[12:]), Caps: le.Uint64(r[16:])})
	}

	// fs_structs.
	for {
		typ, err := d.peek("record header")
		if err != nil {
			return nil, err
		}
		if typ != RecFS {
			break
		}
		const rec = "fs record"
		start, r, err := d.record(RecFS, rec, fsLen, fsLen)
		if err != nil {
			return nil, err
		}
		f := FSState{Umask: le.Uint32(r[8:])}
		if msg := umaskProblem(f.Umask); msg != "" {
			return nil, d.errf(start+8, rec, "%s", msg)
		}
		if err := d.reserved(start, r, 12, 16, rec); err != nil {
			return nil, err
		}
		if f.Root, err = d.name("fs root"); err != nil {
			return nil, err
		}
		if f.Cwd, err = d.name("fs cwd"); err != nil {
			return nil, err
		}
		img.FSs = append(img.FSs, f)
	}

	// Remaps.
	for {
		typ, err := d.peek("record header")
		if err != nil {
			return nil, err
		}
		if typ != RecRemap {
			break
		}
		m, err := d.remap()
		if err != nil {
			return nil, err
		}
		img.Remaps = append(img.Remaps, m)
	}

	// Files.
	for {
		typ, err := d.peek("record header")
		if err != nil {
			return nil, err
		}
		if typ != RecFile {
			break
		}
		f, err := d.file(len(img.Creds), len(img.Remaps))
		if err != nil {
			return nil, err
		}
		img.Files = append(img.Files, f)
	}

	// Descriptor tables.
	for {
		typ, err := d.peek("record header")
		if err != nil {
			return nil, err
		}
		if typ != RecTable {
			break
		}
		t, err := d.table(len(img.Files))
		if err != nil {
			return nil, err
		}
		img.Tables = append(img.Tables, t)
	}

	// Tasks.
	for {
		typ, err := d.peek("record header")
		if err != nil {
			return nil, err
		}
		if typ != RecTask {
			break
		}
		const rec = "task record"
		start, r, err := d.record(RecTask, rec, taskLen, taskLen)
		if err != nil {
			return nil, err
		}
		t := TaskState{CredRef: le.Uint32(r[8:]), FSRef: le.Uint32(r[12:]), TableRef: le.Uint32(r[16:])}
		if msg := refProblem(t.CredRef, len(img.Creds), "credential", true); msg != "" {
			return nil, d.errf(start+8, rec, "credref: %s", msg)
		}
		if msg := refProblem(t.FSRef, len(img.FSs), "fs_struct", true); msg != "" {
			return nil, d.errf(start+12, rec, "fsref: %s", msg)
		}
		if msg := refProblem(t.TableRef, len(img.Tables), "descriptor table", true); msg != "" {
			return nil, d.errf(start+16, rec, "tableref: %s", msg)
		}
		if err := d.reserved(start, r, 20, 24, rec); err != nil {
			return nil, err
		}
		if t.Name, err = d.name("task name"); err != nil {
			return nil, err
		}
		img.Tasks = append(img.Tasks, t)
	}

	// Directories made.
	for {
		typ, err := d.peek("record header")
		if err != nil {
			return nil, err
		}
		if typ != RecMade {
			break
		}
		const rec = "made record"
		start, _, err := d.record(RecMade, rec, madeLen, madeLen)
		if err != nil {
			return nil, err
		}
		m, err := d.name("made directory")
		if err != nil {
			return nil, err
		}
		if m == "" {
			return nil, d.errf(start, rec, "a made directory with an empty path")
		}
		img.Made = append(img.Made, m)
	}

	// The tail.
	const trec = "tail record"
	typ, err := d.peek(trec)
	if err != nil {
		return nil, err
	}
	if typ != RecTail {
		return nil, d.errf(d.off, recordName(typ), "%s", outOfOrder(typ))
	}
	before := d.nrec
	start, r, err = d.record(RecTail, trec, tailLen, tailLen)
	if err != nil {
		return nil, err
	}
	if n := le.Uint32(r[8:]); uint64(n) != uint64(before) {
		return nil, d.errf(start+8, trec, "record count %d, but %d records precede the tail", n, before)
	}
	if err := d.reserved(start, r, 12, 16, trec); err != nil {
		return nil, err
	}
	if rest := len(d.b) - d.off; rest > 0 {
		return nil, d.errf(d.off, trec, "%d trailing bytes after the tail record", rest)
	}
	return img, nil
}

// outOfOrder explains a record of type typ found where the tasks' or the
// tail should be: either its type is unknown or it comes too late.
func outOfOrder(typ uint32) string {
	switch typ {
	case RecHeader, RecCred, RecFS, RecRemap, RecFile, RecTable, RecTask, RecMade:
		return fmt.Sprintf("a %s here is out of order: the records go header, creds, fs_structs, remaps, files, tables, tasks, made directories, tail", recordName(typ))
	case RecBuffer, RecPipeBuf, RecChunk, RecHandle, RecStat:
		return fmt.Sprintf("a %s here belongs to no record before it", recordName(typ))
	}
	return fmt.Sprintf("unknown record type %d", typ)
}

// remap reads a remap record and the records that follow it.
func (d *decoder) remap() (Remap, error) {
	const rec = "remap record"
	start, r, err := d.record(RecRemap, rec, remapLen, remapLen)
	if err != nil {
		return Remap{}, err
	}
	m := Remap{
		Kind: le.Uint16(r[8:]), Flags: le.Uint16(r[10:]), ID: le.Uint32(r[12:]),
		Mode: le.Uint32(r[16:]), UID: le.Uint32(r[20:]), GID: le.Uint32(r[24:]),
		Ino: le.Uint64(r[32:]), Size: int64(le.Uint64(r[40:])),
	}
	count := le.Uint32(r[28:])
	// The fixed fields, each at its offset (remapProblem says what is
	// wrong; the path is checked once read).
	switch probe := m; {
	case remapProblem(Remap{Kind: m.Kind, Path: "-"}) != "" && remapProblem(Remap{Kind: m.Kind}) != "":
		return m, d.errf(start+8, rec, "%s", remapProblem(Remap{Kind: m.Kind, Path: "-"}))
	case m.Size < 0:
		return m, d.errf(start+40, rec, "negative size %d", m.Size)
	default:
		probe.Path = "-"
		if m.Kind == RemapGhost || m.Kind == RemapCopy {
			probe.Path = ""
		}
		if msg := remapProblem(probe); msg != "" {
			return m, d.errf(start+10, rec, "%s", msg)
		}
	}
	if count > 0 && m.Kind != RemapGhost && m.Kind != RemapCopy {
		return m, d.errf(start+28, rec, "%d chunks in a remap of kind %d (only a ghost or copy has data)", count, m.Kind)
	}
	at := d.off
	if m.Path, err = d.name("remap path"); err != nil {
		return m, err
	}
	if msg := remapProblem(m); msg != "" {
		return m, d.errf(at, "buffer record (remap path)", "%s", msg)
	}
	if m.Kind == RemapHandle {
		const hrec = "handle record"
		hs, h, err := d.record(RecHandle, hrec, handleBase, handleBase+MaxHandle)
		if err != nil {
			return m, err
		}
		if err := d.reserved(hs, h, 12, 16, hrec); err != nil {
			return m, err
		}
		m.HandleType = int32(le.Uint32(h[8:]))
		if len(h) > handleBase {
			m.Handle = bytes.Clone(h[handleBase:])
		}
	}
	// Each chunk is a record of its own: its length is checked against
	// what remains before anything is kept, so count cannot make Decode
	// allocate beyond its input.
	end := int64(0)
	for j := uint32(0); j < count; j++ {
		const crec = "chunk record"
		cs, c, err := d.record(RecChunk, crec, chunkBaseLen+1, chunkBaseLen+MaxChunk)
		if err != nil {
			return m, err
		}
		off := int64(le.Uint64(c[8:]))
		n := int64(len(c) - chunkBaseLen)
		if off < 0 {
			return m, d.errf(cs+8, crec, "chunk %d: negative offset %d", j, off)
		}
		if msg := chunkProblem(off, n, end, m); msg != "" {
			return m, d.errf(cs+8, crec, "chunk %d: %s", j, msg)
		}
		m.Chunks = append(m.Chunks, Chunk{Off: off, Data: bytes.Clone(c[chunkBaseLen:])})
		end = off + n
	}
	return m, nil
}

// file reads a file record and the records that follow it; ncreds
// credentials and nremaps remaps precede it.
func (d *decoder) file(ncreds, nremaps int) (FileState, error) {
	const rec = "file record"
	start, r, err := d.record(RecFile, rec, fileLen, fileLen)
	if err != nil {
		return FileState{}, err
	}
	f := FileState{
		Type:         le.Uint16(r[8:]),
		Flags:        le.Uint32(r[12:]),
		Pos:          int64(le.Uint64(r[16:])),
		Version:      le.Uint64(r[24:]),
		CredRef:      le.Uint32(r[32:]),
		RestartFlags: le.Uint32(r[36:]),
	}
	if msg := fileTypeProblem(f.Type); msg != "" {
		return f, d.errf(start+8, rec, "%s", msg)
	}
	if err := d.reserved(start, r, 10, 12, rec); err != nil {
		return f, err
	}
	if msg := refProblem(f.CredRef, ncreds, "credential", true); msg != "" {
		return f, d.errf(start+32, rec, "credref: %s", msg)
	}
	if msg := restartFlagsProblem(f.RestartFlags); msg != "" {
		return f, d.errf(start+36, rec, "%s", msg)
	}
	if f.Path, err = d.name("file path"); err != nil {
		return f, err
	}
	if f.RestartFlags&FileUnlink != 0 {
		at := d.off
		if f.Relinked, err = d.name("relinked name"); err != nil {
			return f, err
		}
		if f.Relinked == "" {
			return f, d.errf(at, "buffer record (relinked name)", "empty relinked name of an unlinked file")
		}
	}
	if f.RestartFlags&FileStat != 0 {
		const srec = "stat record"
		ss, st, err := d.record(RecStat, srec, statLen, statLen)
		if err != nil {
			return f, err
		}
		f.RemapRef, f.Checks, f.Mode = le.Uint32(st[8:]), le.Uint32(st[12:]), le.Uint32(st[16:])
		f.Size = int64(le.Uint64(st[24:]))
		if msg := statProblem(f.RemapRef, f.Checks, f.RestartFlags, nremaps); msg != "" {
			off := ss + 8
			if f.Checks&^knownChecks != 0 && refProblem(f.RemapRef, nremaps, "remap", true) == "" && !(f.RemapRef != 0 && f.RestartFlags&FileUnlink != 0) {
				off = ss + 12
			}
			return f, d.errf(off, srec, "%s", msg)
		}
		if err := d.reserved(ss, st, 20, 24, srec); err != nil {
			return f, err
		}
	}
	if f.Type == FileFifo {
		const prec = "pipe-buf record"
		_, p, err := d.record(RecPipeBuf, prec, hdrLen, hdrLen+MaxFifoData)
		if err != nil {
			return f, err
		}
		if len(p) > hdrLen {
			f.FifoData = bytes.Clone(p[hdrLen:])
		}
	}
	return f, nil
}

// table reads a descriptor table; nfiles files precede it.
func (d *decoder) table(nfiles int) (FDTable, error) {
	const rec = "table record"
	start := d.off
	// The length is checked against what remains before the entries
	// are allocated: record does that, with the largest length a u32
	// can say as the bound.
	_, r, err := d.record(RecTable, rec, tableBaseLen, math.MaxUint32)
	if err != nil {
		return FDTable{}, err
	}
	count := uint64(le.Uint32(r[8:]))
	if tableBaseLen+entryLen*count != uint64(len(r)) {
		return FDTable{}, d.errf(start+8, rec, "%d entries need a record of %d bytes, its length is %d", count, tableBaseLen+entryLen*count, len(r))
	}
	if err := d.reserved(start, r, 12, 16, rec); err != nil {
		return FDTable{}, err
	}
	var t FDTable
	if count > 0 {
		t.Entries = make([]FDEntry, 0, count)
	}
	prev := int32(-1)
	for j := 0; j < int(count); j++ {
		o := tableBaseLen + entryLen*j
		en := FDEntry{FD: int32(le.Uint32(r[o:])), FileRef: le.Uint32(r[o+4:])}
		if msg := fdProblem(en.FD, prev, j); msg != "" {
			return t, d.errf(start+o, rec, "entry %d: %s", j, msg)
		}
		if msg := refProblem(en.FileRef, nfiles, "file", false); msg != "" {
			return t, d.errf(start+o+4, rec, "entry %d (fd %d): fileref: %s", j, en.FD, msg)
		}
		t.Entries = append(t.Entries, en)
		prev = en.FD
	}
	return t, nil
}

// clip returns at most n bytes of b.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// JSON.
//
// JSON and DecodeJSON carry an image as JSON with lowercase field names.
// A name or a fifo's data is a JSON string when it is valid UTF-8, and
// otherwise an object {"base64": "..."} holding its bytes in standard
// base64, so that any image survives the trip. Empty lists, an empty
// relinked name and empty fifo data are left out.

type jsonImage struct {
	Version  uint32      `json:"version"`
	Era      jsonText    `json:"era"`
	Strategy jsonText    `json:"strategy"`
	CRID     uint32      `json:"crid"`
	Creds    []jsonCred  `json:"creds,omitempty"`
	FSs      []jsonFS    `json:"fs_structs,omitempty"`
	Remaps   []jsonRemap `json:"remaps,omitempty"`
	Files    []jsonFile  `json:"files,omitempty"`
	Tables   []jsonTable `json:"tables,omitempty"`
	Tasks    []jsonTask  `json:"tasks,omitempty"`
	Made     []jsonText  `json:"made,omitempty"`
}

// jsonCred and jsonEntry have their model's fields exactly (a conversion
// checks it at compile time); the other types' fields are checked by a
// test.
type jsonCred struct {
	UID  uint32 `json:"uid"`
	GID  uint32 `json:"gid"`
	Caps uint64 `json:"caps"`
}

type jsonFS struct {
	Root  jsonText `json:"root"`
	Cwd   jsonText `json:"cwd"`
	Umask uint32   `json:"umask"`
}

type jsonFile struct {
	Type         uint16   `json:"type"`
	Flags        uint32   `json:"flags"`
	Pos          int64    `json:"pos"`
	Version      uint64   `json:"version"`
	CredRef      uint32   `json:"credref"`
	RestartFlags uint32   `json:"restart_flags"`
	Path         jsonText `json:"path"`
	Relinked     jsonText `json:"relinked,omitempty"`
	FifoData     jsonText `json:"fifo_data,omitempty"`
	RemapRef     uint32   `json:"remapref,omitempty"`
	Checks       uint32   `json:"checks,omitempty"`
	Mode         uint32   `json:"mode,omitempty"`
	Size         int64    `json:"size,omitempty"`
}

type jsonRemap struct {
	Kind       uint16      `json:"kind"`
	Flags      uint16      `json:"flags,omitempty"`
	ID         uint32      `json:"id"`
	Mode       uint32      `json:"mode"`
	UID        uint32      `json:"uid"`
	GID        uint32      `json:"gid"`
	Ino        uint64      `json:"ino"`
	Size       int64       `json:"size"`
	Path       jsonText    `json:"path,omitempty"`
	HandleType int32       `json:"handle_type,omitempty"`
	Handle     jsonText    `json:"handle,omitempty"`
	Chunks     []jsonChunk `json:"chunks,omitempty"`
}

type jsonChunk struct {
	Off  int64    `json:"off"`
	Data jsonText `json:"data"`
}

type jsonTable struct {
	Entries []jsonEntry `json:"entries,omitempty"`
}

type jsonEntry struct {
	FD      int32  `json:"fd"`
	FileRef uint32 `json:"fileref"`
}

type jsonTask struct {
	Name     jsonText `json:"name"`
	CredRef  uint32   `json:"credref"`
	FSRef    uint32   `json:"fsref"`
	TableRef uint32   `json:"tableref"`
}

// jsonText is bytes shown as a string when they are UTF-8.
type jsonText []byte

func (t jsonText) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var v any = string(t)
	if !utf8.Valid(t) {
		v = struct {
			Base64 []byte `json:"base64"`
		}{[]byte(t)}
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (t *jsonText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = jsonText(s)
		return nil
	}
	if len(b) > 0 && b[0] == '{' {
		var v struct {
			Base64 *[]byte `json:"base64"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if v.Base64 == nil {
			return fmt.Errorf(`want {"base64": "..."}, found %s`, b)
		}
		*t = jsonText(*v.Base64)
		return nil
	}
	return fmt.Errorf(`want a string or {"base64": "..."}, found %s`, b)
}

// JSON returns img as indented JSON, a newline at its end. Equal images
// give equal bytes.
func (img *Image) JSON() ([]byte, error) {
	if img == nil {
		return nil, fmt.Errorf("image: nil image")
	}
	j := jsonImage{Version: img.Version, Era: jsonText(img.Era), Strategy: jsonText(img.Strategy), CRID: img.CRID}
	for _, c := range img.Creds {
		j.Creds = append(j.Creds, jsonCred(c))
	}
	for _, f := range img.FSs {
		j.FSs = append(j.FSs, jsonFS{Root: jsonText(f.Root), Cwd: jsonText(f.Cwd), Umask: f.Umask})
	}
	for _, m := range img.Remaps {
		jm := jsonRemap{Kind: m.Kind, Flags: m.Flags, ID: m.ID, Mode: m.Mode, UID: m.UID, GID: m.GID, Ino: m.Ino, Size: m.Size,
			Path: jsonText(m.Path), HandleType: m.HandleType, Handle: jsonText(m.Handle)}
		for _, c := range m.Chunks {
			jm.Chunks = append(jm.Chunks, jsonChunk{Off: c.Off, Data: jsonText(c.Data)})
		}
		j.Remaps = append(j.Remaps, jm)
	}
	for _, f := range img.Files {
		j.Files = append(j.Files, jsonFile{
			Type: f.Type, Flags: f.Flags, Pos: f.Pos, Version: f.Version, CredRef: f.CredRef,
			RestartFlags: f.RestartFlags, Path: jsonText(f.Path), Relinked: jsonText(f.Relinked),
			FifoData: jsonText(f.FifoData), RemapRef: f.RemapRef, Checks: f.Checks, Mode: f.Mode, Size: f.Size,
		})
	}
	for _, t := range img.Tables {
		var jt jsonTable
		for _, e := range t.Entries {
			jt.Entries = append(jt.Entries, jsonEntry(e))
		}
		j.Tables = append(j.Tables, jt)
	}
	for _, t := range img.Tasks {
		j.Tasks = append(j.Tasks, jsonTask{Name: jsonText(t.Name), CredRef: t.CredRef, FSRef: t.FSRef, TableRef: t.TableRef})
	}
	for _, m := range img.Made {
		j.Made = append(j.Made, jsonText(m))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeJSON reads an image that JSON wrote. Unknown fields and anything
// after the image are errors, and the image must be one Encode accepts
// (Validate). Empty lists and empty fifo data come back nil, as from
// Decode.
func DecodeJSON(b []byte) (*Image, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j jsonImage
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("image JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("image JSON: data after the image at byte %d", dec.InputOffset())
	}
	img := &Image{Version: j.Version, Era: string(j.Era), Strategy: string(j.Strategy), CRID: j.CRID}
	for _, c := range j.Creds {
		img.Creds = append(img.Creds, Cred(c))
	}
	for _, f := range j.FSs {
		img.FSs = append(img.FSs, FSState{Root: string(f.Root), Cwd: string(f.Cwd), Umask: f.Umask})
	}
	for _, m := range j.Remaps {
		r := Remap{Kind: m.Kind, Flags: m.Flags, ID: m.ID, Mode: m.Mode, UID: m.UID, GID: m.GID, Ino: m.Ino, Size: m.Size,
			Path: string(m.Path), HandleType: m.HandleType}
		if len(m.Handle) > 0 {
			r.Handle = []byte(m.Handle)
		}
		for _, c := range m.Chunks {
			r.Chunks = append(r.Chunks, Chunk{Off: c.Off, Data: []byte(c.Data)})
		}
		img.Remaps = append(img.Remaps, r)
	}
	for _, f := range j.Files {
		fs := FileState{
			Type: f.Type, Flags: f.Flags, Pos: f.Pos, Version: f.Version, CredRef: f.CredRef,
			RestartFlags: f.RestartFlags, Path: string(f.Path), Relinked: string(f.Relinked),
			RemapRef: f.RemapRef, Checks: f.Checks, Mode: f.Mode, Size: f.Size,
		}
		if len(f.FifoData) > 0 {
			fs.FifoData = []byte(f.FifoData)
		}
		img.Files = append(img.Files, fs)
	}
	for _, t := range j.Tables {
		var ft FDTable
		for _, e := range t.Entries {
			ft.Entries = append(ft.Entries, FDEntry(e))
		}
		img.Tables = append(img.Tables, ft)
	}
	for _, t := range j.Tasks {
		img.Tasks = append(img.Tasks, TaskState{Name: string(t.Name), CredRef: t.CredRef, FSRef: t.FSRef, TableRef: t.TableRef})
	}
	for _, m := range j.Made {
		img.Made = append(img.Made, string(m))
	}
	if err := Validate(img); err != nil {
		return nil, err
	}
	return img, nil
}
