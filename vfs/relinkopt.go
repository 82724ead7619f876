package vfs

import (
	"fmt"
	"strconv"
	"strings"
)

// The relink= mount option of the 2011 checkpoint/restart series (seed
// patches 07 and 08): the directory, relative to the filesystem's root,
// where checkpoint gives open-unlinked files a name (lost+found when it is
// not set). It is a generic option: the VFS takes it out of the data string
// before the filesystem sees the rest, and keeps it in the superblock
// (s_relink_dir).
//
// Per era:
//
//	relink2011        as seed patch 08 wrote it (relinkOpt2011): every
//	                  mount, a second mount of a mounted device included,
//	                  sets s_relink_dir to the new string (or to none) and
//	                  the old string is never freed; /proc/mounts shows it
//	                  unescaped.
//	relink2011-fixed  relinksim's proposal (relinkOptFixed,
//	                  docs/linux-semantics.md §6.3): taken only when the
//	                  superblock is created, a remount may not change it,
//	                  only a non-empty relative path without ".." is
//	                  accepted, freed with the superblock, shown escaped.
//	other eras        relink= is an option like any other unknown one: it
//	                  reaches the filesystem, and ext4, btrfs and tmpfs
//	                  refuse it with EINVAL (checked on Linux 6.18).

// relinkParse is what the option parsers found in a mount's data string.
type relinkParse struct {
	// data is the data string with the option taken out: what the
	// filesystem gets.
	data string
	// dir is the value; "" means none.
	dir string
	// found: an option starting with "relink=" was taken out.
	found bool
	// overflow: the 2011 parser copied PATH_MAX bytes into its PATH_MAX
	// buffer, so its terminating NUL went one byte past the end.
	overflow bool
}

// parseRelinkOpt2011 models fs/super.c:parse_relink_opt of seed patch 08,
// quirks included, with a result buffer of maxLen bytes (vfs_kern_mount passes
// PATH_MAX):
//
//   - data is a C string: it ends at its first NUL byte;
//   - only the first option (comma-separated) that starts with "relink=" is
//     taken, and only the option's start is compared;
//   - a value both starting and ending with a double quote loses the two
//     quotes; a value that is a lone double quote is that one character at
//     both ends, so it loses "two" characters and its length becomes -1,
//     which the clamp turns into an empty result;
//   - at most maxLen bytes are copied; the option is erased from data together
//     with the comma after it (the comma before it stays when it was the
//     last option);
//   - the value is not checked at all (absolute paths, "..", commas inside
//     quotes split the option).
//
// The terminator is stored at result[len], so a value of maxLen bytes or more
// writes one byte past the buffer (overflow). Through mount(2) the data is
// one page, which keeps the value under PATH_MAX; an in-kernel caller's
// data is not bounded.
func parseRelinkOpt2011(data string, maxLen int) relinkParse {
	if i := strings.IndexByte(data, 0); i >= 0 {
		data = data[:i]
	}
	for s := 0; s < len(data); {
		var next, n int
		if c := strings.IndexByte(data[s:], ','); c < 0 {
			next = len(data)
			n = next - s
		} else {
			n = c
			next = s + c + 1
		}
		if !strings.HasPrefix(data[s:], "relink=") {
			s = next
			continue
		}
		optStart := s
		n -= len("relink=")
		s += len("relink=")
		// *s == '"' && s[len-1] == '"': a quote at s means n >= 1.
		if s < len(data) && data[s] == '"' && data[s+n-1] == '"' {
			s++
			n -= 2
		}
		n = max(min(n, maxLen), 0)
		return relinkParse{
			data:     data[:optStart] + data[next:],
			dir:      data[s : s+n],
			found:    true,
			overflow: n == maxLen,
		}
	}
	return relinkParse{data: data}
}

// parseRelinkOptFixed is relinksim's proposed parser (Relink2011Fixed):
// every option starting with "relink=" is taken out of data; the value
// loses one pair of surrounding double quotes, as in the 2011 parser.
//
// Errors:
//   - EINVAL: relink= given more than once; an empty value ("relink=",
//     `relink=""`); an absolute path (starting with "/"); a ".." component;
//     a NUL byte.
//   - ENAMETOOLONG: a value of PATH_MAX bytes or more.
func parseRelinkOptFixed(data string) (relinkParse, error) {
	var rest []string
	p := relinkParse{}
	for _, opt := range strings.Split(data, ",") {
		if !strings.HasPrefix(opt, "relink=") {
			rest = append(rest, opt)
			continue
		}
		if p.found {
			return relinkParse{}, EINVAL
		}
		p.found = true
		v := strings.TrimPrefix(opt, "relink=")
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if err := checkRelinkDir(v); err != nil {
			return relinkParse{}, err
		}
		p.dir = v
	}
	p.data = strings.Join(rest, ",")
	return p, nil
}

// checkRelinkDir checks a relink= value for Relink2011Fixed: a non-empty
// path relative to the filesystem's root that cannot climb out of it.
func checkRelinkDir(v string) error {
	switch {
	case v == "", strings.HasPrefix(v, "/"), strings.IndexByte(v, 0) >= 0:
		return EINVAL
	case len(v) >= PATH_MAX:
		return ENAMETOOLONG
	}
	for _, c := range strings.Split(v, "/") {
		if c == ".." {
			return EINVAL
		}
	}
	return nil
}

// relinkString is the kmalloc'd string s_relink_dir points to: a kernel
// allocation that the leak check accounts for like any other object (kind
// "relink_dir"), named by its text and the superblock it was set on.
type relinkString struct {
	kobj
	s     string
	owner string // "ext4 /dev/loop0"
}

func (r *relinkString) kind() string { return "relink_dir" }

func (r *relinkString) describe() string { return strconv.Quote(r.s) + " of " + r.owner }

// newRelinkString allocates the string for sb.
func (k *Kernel) newRelinkString(sb *Superblock, s string) *relinkString {
	r := &relinkString{s: s, owner: sb.fsType.Name() + " " + sb.source}
	r.refs = 1 // s_relink_dir's pointer
	k.register(r, &r.kobj)
	return r
}

// RelinkDir returns s_relink_dir, the directory (relative to the
// filesystem's root) where checkpoint relinks open-unlinked files, set by
// the relink= mount option in the relink eras; "" means none (lost+found).
func (sb *Superblock) RelinkDir() string {
	if sb.relinkDir == nil {
		return ""
	}
	return sb.relinkDir.s
}

// relinkMountOpt takes the relink= option out of a new mount's data in the
// relink eras (the part of seed patch 08's vfs_kern_mount before the
// filesystem's mount). Other eras leave data alone.
func (k *Kernel) relinkMountOpt(data string) (relinkParse, error) {
	switch k.opts.Era {
	case Relink2011:
		return parseRelinkOpt2011(data, PATH_MAX), nil
	case Relink2011Fixed:
		return parseRelinkOptFixed(data)
	}
	return relinkParse{data: data}, nil
}

// setRelinkDir stores a new mount's relink= value in its superblock; fresh
// says sget made the superblock for this mount.
//
// Relink2011: models the end of vfs_kern_mount in seed patch 08: whether
// the superblock is new or shared with earlier mounts, s_relink_dir is set
// to the new string, or to none when the option was absent or empty, and
// the string it pointed to is not freed: it leaks.
//
// Relink2011Fixed: only a fresh superblock takes the value (fact 23).
func (k *Kernel) setRelinkDir(sb *Superblock, p relinkParse, fresh bool) {
	switch k.opts.Era {
	case Relink2011:
		if p.overflow {
			k.Printk("parse_relink_opt: %d-byte relink= value: the terminating NUL is written one byte past the %d-byte buffer", PATH_MAX, PATH_MAX)
		}
		var r *relinkString
		if p.dir != "" {
			r = k.newRelinkString(sb, p.dir)
		}
		if k.Tracing() && sb.relinkDir != nil {
			k.Tracef("fs/super.c:vfs_kern_mount", "s_relink_dir of %s overwritten: %s is lost", sb.describe(), sb.relinkDir.describe())
		}
		sb.relinkDir = r
	case Relink2011Fixed:
		if fresh && p.dir != "" {
			sb.relinkDir = k.newRelinkString(sb, p.dir)
		}
	}
}

// remountRelinkOpt checks a remount's relink= option and takes it out of
// data. Under Relink2011Fixed the value may not change: giving the current
// value again is fine, anything else is EINVAL (as ext4 refuses to change
// a quota file name on remount). In the other eras, Relink2011 included
// (do_remount does not go through vfs_kern_mount), data reaches the
// filesystem unchanged.
func (k *Kernel) remountRelinkOpt(sb *Superblock, data string) (string, error) {
	if k.opts.Era != Relink2011Fixed {
		return data, nil
	}
	p, err := parseRelinkOptFixed(data)
	if err != nil {
		return "", err
	}
	if p.found && p.dir != sb.RelinkDir() {
		return "", EINVAL
	}
	return p.data, nil
}

// freeRelinkDir models the kfree(s->s_relink_dir) seed patch 08 adds to
// fs/super.c:destroy_super: the string the superblock points to at the end
// is freed (an overwritten one was lost before).
func (k *Kernel) freeRelinkDir(sb *Superblock) {
	if sb.relinkDir != nil {
		k.unregister(&sb.relinkDir.kobj)
		sb.relinkDir = nil
	}
}

// showRelinkDir is the relink= part of a mount's options in /proc/mounts.
// Relink2011 models seed patch 07's show_sb_opts: ",relink=" and the value
// with seq_puts, unescaped. Relink2011Fixed prints it as
// seq_show_option would (include/linux/seq_file.h): the value with double
// quote, comma, space, tab, newline and backslash escaped as \ooo.
func (sb *Superblock) showRelinkDir() string {
	if sb.relinkDir == nil {
		return ""
	}
	if sb.k.opts.Era == Relink2011 {
		return ",relink=" + sb.relinkDir.s
	}
	return ",relink=" + seqEscape(sb.relinkDir.s, "\", \t\n\\")
}

// seqEscape models fs/seq_file.c:seq_escape: every byte of s found in esc
// is written as a backslash and three octal digits.
func seqEscape(s, esc string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(esc, c) >= 0 {
			fmt.Fprintf(&b, "\\%03o", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
