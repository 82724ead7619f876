package ext4sim

import (
	"encoding/binary"
	"sort"

	"github.com/relinksim/relinksim/vfs"
)

// Directory hashing (fs/ext4/hash.c). An htree directory keys its entries
// by a hash of their names, and readdir returns them in hash order. The
// default hash is half-MD4 keyed by the superblock's s_hash_seed, which
// mkfs draws at random unless told (-E hash_seed=UUID); mkfs on x86, whose
// char is signed, sets the signed-hash flag, so the name's bytes are read
// as signed chars.

// DefaultHashSeedUUID is the directory hash seed this package's Mkfs
// writes unless told another, and that the repository's real-kernel
// harness passes to mkfs.ext4 (-E hash_seed=...), so that both list
// directories in the same order. (mkfs.ext4 draws one at random.)
const DefaultHashSeedUUID = "7b3c4d0e-5a61-4f2b-9c8d-1e2f3a4b5c6d"

// ParseHashSeed reads a hash seed written as a UUID, as mkfs.ext4 -E
// hash_seed= takes it, into s_hash_seed's four little-endian words.
func ParseHashSeed(uuid string) ([4]uint32, bool) {
	var b []byte
	for i := 0; i < len(uuid); i++ {
		c := uuid[i]
		if c == '-' {
			continue
		}
		v, ok := hexDigit(c)
		if !ok || i+1 >= len(uuid) {
			return [4]uint32{}, false
		}
		w, ok := hexDigit(uuid[i+1])
		if !ok {
			return [4]uint32{}, false
		}
		b = append(b, v<<4|w)
		i++
	}
	if len(b) != 16 {
		return [4]uint32{}, false
	}
	var seed [4]uint32
	for i := range seed {
		seed[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return seed, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// htreeEOF32 is EXT4_HTREE_EOF_32BIT.
const htreeEOF32 = 0x7fffffff

// dirHash models fs/ext4/hash.c:ext4fs_dirhash for DX_HASH_HALF_MD4 (and
// its unsigned twin): the name in 32-byte pieces, each turned into eight
// words and stirred into the seed by half-MD4; the major hash is the
// second word with its low bit cleared, the minor hash the third.
func dirHash(name string, seed [4]uint32, unsigned bool) (hash, minor uint32) {
	buf := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	if seed != [4]uint32{} {
		buf = seed
	}
	var in [8]uint32
	for p := name; len(p) > 0; {
		nameWords(p, in[:], unsigned)
		halfMD4(&buf, &in)
		if len(p) <= 32 {
			break
		}
		p = p[32:]
	}
	hash, minor = buf[1]&^1, buf[2]
	if hash == htreeEOF32<<1 {
		hash = (htreeEOF32 - 1) << 1
	}
	return hash, minor
}

// nameWords models str2hashbuf_signed/_unsigned: the first 4*len(out)
// bytes of msg packed four to a word (each byte shifted in from the
// right), padded with a word made of the length, the unused words all pad.
func nameWords(msg string, out []uint32, unsigned bool) {
	n := len(msg)
	pad := uint32(n) | uint32(n)<<8
	pad |= pad << 16
	if n > 4*len(out) {
		n = 4 * len(out)
	}
	val := pad
	k := 0
	for i := 0; i < n; i++ {
		if i%4 == 0 {
			val = pad
		}
		c := uint32(msg[i])
		if !unsigned {
			c = uint32(int32(int8(msg[i]))) // a signed char, sign-extended
		}
		val = c + val<<8
		if i%4 == 3 {
			out[k] = val
			k++
			val = pad
		}
	}
	if k < len(out) {
		out[k] = val
		k++
	}
	for ; k < len(out); k++ {
		out[k] = pad
	}
}

// halfMD4 models lib/halfmd4.c:half_md4_transform: MD4's three rounds
// over eight words instead of sixteen, added into buf.
func halfMD4(buf *[4]uint32, in *[8]uint32) {
	a, b, c, d := buf[0], buf[1], buf[2], buf[3]
	f := func(x, y, z uint32) uint32 { return z ^ (x & (y ^ z)) }
	g := func(x, y, z uint32) uint32 { return (x & y) + ((x ^ y) & z) }
	h := func(x, y, z uint32) uint32 { return x ^ y ^ z }
	rotl := func(x uint32, s uint) uint32 { return x<<s | x>>(32-s) }
	const k2, k3 = 0x5a827999, 0x6ed9eba1 // 013240474631 and 015666365641
	type step struct {
		w int
		s uint
	}
	round := func(fn func(x, y, z uint32) uint32, k uint32, steps [8]step) {
		for i, st := range steps {
			x := in[st.w] + k
			switch i % 4 {
			case 0:
				a = rotl(a+fn(b, c, d)+x, st.s)
			case 1:
				d = rotl(d+fn(a, b, c)+x, st.s)
			case 2:
				c = rotl(c+fn(d, a, b)+x, st.s)
			case 3:
				b = rotl(b+fn(c, d, a)+x, st.s)
			}
		}
	}
	round(f, 0, [8]step{{0, 3}, {1, 7}, {2, 11}, {3, 19}, {4, 3}, {5, 7}, {6, 11}, {7, 19}})
	round(g, k2, [8]step{{1, 3}, {3, 5}, {5, 9}, {7, 13}, {0, 3}, {2, 5}, {4, 9}, {6, 13}})
	round(h, k3, [8]step{{3, 3}, {7, 9}, {2, 11}, {6, 15}, {1, 3}, {5, 9}, {0, 11}, {4, 15}})
	buf[0] += a
	buf[1] += b
	buf[2] += c
	buf[3] += d
}

// hashed is a directory entry with its hash, as ext4_htree_fill_tree puts
// it in the readdir tree.
type hashed struct {
	e           dirent
	hash, minor uint32
}

// htreeEOF64 is EXT4_HTREE_EOF_64BIT: the position of an htree directory's
// end, and the largest one.
const htreeEOF64 = 0x7fffffffffffffff

// hash2pos models fs/ext4/dir.c:hash2pos for a 64-bit caller: the major
// hash (without its low bit) above the minor one.
func hash2pos(hash, minor uint32) int64 { return int64(uint64(hash>>1)<<32 | uint64(minor)) }

// dxReaddir models fs/ext4/dir.c:ext4_dx_readdir with
// fs/ext4/namei.c:ext4_htree_fill_tree: every entry with its hash, in
// (hash, minor hash) order, from position pos (a hash2pos cookie) on, each
// entry's Off the cookie of the next (or EXT4_HTREE_EOF_64BIT after the
// last). An indexed directory's "." and ".." come first, with the hashes 0
// and 2 the fill gives them; in a one-block directory (not indexed) they
// are hashed like any name. Leaves are read in index order, each in block
// order, and entries whose hashes collide keep the order
// ext4_htree_store_dirent chains them in: the first stored, then the
// later ones newest first.
func (fs *fsInfo) dxReaddir(d *diskDir, pos int64, emit func(vfs.Dirent) bool) error {
	list := d.hashOrder
	if list == nil {
		list = fs.hashOrder(d)
		d.hashOrder = list
	}
	// The first entry at or past pos (cookies ascend).
	for n := sort.Search(len(list), func(n int) bool { return list[n].cookie >= pos }); n < len(list); n++ {
		if !emit(list[n].Dirent) {
			return nil
		}
	}
	return nil
}

// ordered is an entry of a directory in readdir order: its own cookie and
// the Dirent getdents returns (Off: the next entry's cookie).
type ordered struct {
	cookie int64
	vfs.Dirent
}

// hashOrder lists d in dxReaddir's order. dxReaddir keeps the list in
// the directory until the directory changes (diskDir.changed), so a
// directory read in many getdents calls is sorted once, not once a call
// (Linux keeps the fill in the open file, with the same result while the
// directory does not change).
func (fs *fsInfo) hashOrder(d *diskDir) []ordered {
	seed, unsigned := fs.cur.sb.HashSeed, false // mkfs on x86: signed_directory_hash
	var all []hashed
	store := func(e dirent, hash, minor uint32) { all = append(all, hashed{e, hash, minor}) }
	if d.indexed() {
		store(d.blocks[0][0], 0, 0)
		store(d.blocks[0][1], 2, 0)
		// The leaves in index order (ext4_htree_next_block), each
		// in block order (htree_dirblock_to_tree).
		for _, leaf := range d.dx.leaves() {
			for _, e := range d.blocks[leaf.block] {
				if e.ino != 0 {
					h, m := dirHash(e.name, seed, unsigned)
					store(e, h, m)
				}
			}
		}
	} else {
		for _, e := range d.blocks[0] {
			if e.ino != 0 {
				h, m := dirHash(e.name, seed, unsigned)
				store(e, h, m)
			}
		}
	}
	// The rb-tree order, with each collision chain: first stored, then
	// the others newest first.
	seq := make(map[int]int, len(all)) // index -> rank within its chain
	first := map[[2]uint32]int{}
	for i, h := range all {
		k := [2]uint32{h.hash, h.minor}
		if _, ok := first[k]; !ok {
			first[k] = i
			seq[i] = 0
		} else {
			seq[i] = len(all) - i // later ones first
		}
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := all[idx[a]], all[idx[b]]
		if x.hash != y.hash {
			return x.hash < y.hash
		}
		if x.minor != y.minor {
			return x.minor < y.minor
		}
		return seq[idx[a]] < seq[idx[b]]
	})
	out := make([]ordered, len(idx))
	for n, i := range idx {
		h := all[i]
		next := int64(htreeEOF64)
		if n+1 < len(idx) {
			next = hash2pos(all[idx[n+1]].hash, all[idx[n+1]].minor)
		}
		out[n] = ordered{hash2pos(h.hash, h.minor), vfs.Dirent{Name: h.e.name, Ino: uint64(h.e.ino), Type: h.e.typ, Off: next}}
	}
	return out
}
