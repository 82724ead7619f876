package vfs

import (
	"fmt"
	"strings"
)

// Era selects which kernel's link rules a Kernel follows. Several eras are
// modelled side by side so their differences, and the bugs of the older ones,
// can be reproduced on demand. Filesystems read the era too: ext4sim's
// ext4_link differs in each one.
//
// The names are the ones used on the command line (see ParseEra).
type Era uint8

const (
	// Upstream is today's kernel (modelled on 6.12–6.18): vfs_link refuses an
	// inode with nlink 0 with ENOENT unless it carries I_LINKABLE (an
	// O_TMPFILE opened without O_EXCL, before its first link);
	// linkat(AT_EMPTY_PATH) exists with the 6.10 credential rule;
	// fs.protected_hardlinks is honoured. This is the default.
	Upstream Era = iota

	// Pre2007 is the 2.6.18-era kernel of the link/unlink orphan race: no
	// nlink check anywhere. Linking an inode whose nlink is 0 succeeds and no
	// filesystem takes it off its orphan list. AT_EMPTY_PATH, O_TMPFILE,
	// renameat2 and protected_hardlinks do not exist yet.
	Pre2007

	// ENOENT2007 adds commit 2988a7740dc0 ("return ENOENT from ext3_link when
	// racing with unlink", January 2007): ext3 and ext4 refuse nlink 0 with
	// ENOENT themselves. The VFS still does not check, so filesystems without
	// their own check (tmpfs) still relink.
	ENOENT2007

	// SandeenRFC is Eric Sandeen's January 2007 RFC for ext3/ext4: ext4_link
	// takes the inode off the orphan list before adding the directory entry.
	// Amir Goldstein pointed out that a failing add_entry then leaks the
	// inode. Only ext4sim behaves differently under it; the VFS is as in
	// ENOENT2007.
	SandeenRFC

	// Relink2011 is Matt Helsley's 2011 checkpoint/restart relink series on
	// its 2.6.38 base: the VFS has no nlink check and no AT_EMPTY_PATH, and
	// vfs_link calls the filesystem's .relink operation where one exists
	// (seed patch 01), which takes the inode off the orphan list. A user
	// reaches it through linkat("/proc/self/fd/N", AT_SYMLINK_FOLLOW), the
	// checkpoint code through do_kern_linkat. Its relink= mount option
	// (seed patches 07 and 08) is parsed on every mount, overwriting the
	// superblock's string without freeing the old one, and shown without
	// escaping.
	Relink2011

	// Relink2011Fixed is relinksim's proposal: Relink2011 with its bugs
	// fixed, identical to it everywhere else (no VFS nlink check, the
	// .relink operation, ext4's relink). The relink= option is taken only
	// when the superblock is created (a second mount of the device ignores
	// it, as Linux ignores every other option), a remount may not change
	// it, it must be a non-empty relative path without "..", it is freed
	// with the superblock and shown escaped (docs/linux-semantics.md §6.3);
	// btrfs deletes an adopted inode's orphan item only after the new name
	// exists, as ext4's relink does.
	Relink2011Fixed
)

var eraNames = [...]string{
	Upstream:        "upstream",
	Pre2007:         "pre2007",
	ENOENT2007:      "enoent2007",
	SandeenRFC:      "sandeen-rfc",
	Relink2011:      "relink2011",
	Relink2011Fixed: "relink2011-fixed",
}

// Eras lists every era in chronological order, upstream last.
// Relink2011Fixed, a proposal rather than a kernel that shipped, follows
// the series it fixes.
var Eras = []Era{Pre2007, SandeenRFC, ENOENT2007, Relink2011, Relink2011Fixed, Upstream}

func (e Era) String() string {
	if int(e) < len(eraNames) {
		return eraNames[e]
	}
	return fmt.Sprintf("Era(%d)", uint8(e))
}

// ParseEra parses an era name as printed by Era.String.
func ParseEra(s string) (Era, error) {
	for i, n := range eraNames {
		if n == s {
			return Era(i), nil
		}
	}
	names := make([]string, len(Eras))
	for i, e := range Eras {
		names[i] = e.String()
	}
	return 0, fmt.Errorf("unknown kernel era %q (want one of %s)", s, strings.Join(names, ", "))
}

// VFSChecksNlink reports whether vfs_link itself refuses an inode whose nlink
// is 0 (aae8a97d3ec3, 2.6.39; I_LINKABLE exception since 3.11).
func (e Era) VFSChecksNlink() bool { return e == Upstream }

// HasAtEmptyPath reports whether linkat accepts AT_EMPTY_PATH (2.6.39+).
func (e Era) HasAtEmptyPath() bool { return e == Upstream }

// HasTmpfile reports whether open(2) knows O_TMPFILE (3.11+).
func (e Era) HasTmpfile() bool { return e == Upstream }

// HasRelinkOp reports whether vfs_link prefers the filesystem's .relink
// inode operation over .link (the 2011 series, seed patch 01, and its
// fixed version).
func (e Era) HasRelinkOp() bool { return e == Relink2011 || e == Relink2011Fixed }

// IsRelink2011 reports whether the era is the 2011 relink series, as posted
// (Relink2011) or fixed (Relink2011Fixed): everything that is not one of
// the series' bugs is the same in both.
func (e Era) IsRelink2011() bool { return e == Relink2011 || e == Relink2011Fixed }

// HasRenameat2 reports whether the renameat2 system call exists (3.15+).
func (e Era) HasRenameat2() bool { return e == Upstream }

// HasProtectedHardlinks reports whether may_linkat and the
// fs.protected_hardlinks sysctl exist (3.6+).
func (e Era) HasProtectedHardlinks() bool { return e == Upstream }

// ChecksMountBeforeCreate reports whether do_linkat compares the two
// vfsmounts (EXDEV) before looking up the new name. Before 3.x the EXDEV
// check came right after the parent lookup, so EXDEV beat EEXIST and EROFS;
// today filename_create runs first and EEXIST and EROFS win.
func (e Era) ChecksMountBeforeCreate() bool { return e != Upstream }
