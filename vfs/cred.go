package vfs

import (
	"fmt"
	"strings"
)

// Capability is a Linux capability number (include/uapi/linux/capability.h).
type Capability uint8

// The capabilities the simulated VFS consults. Each is its own bit: holding
// CAP_DAC_OVERRIDE does not imply CAP_DAC_READ_SEARCH for linkat(AT_EMPTY_PATH)
// purposes, and so on, exactly as in Linux.
const (
	CAP_CHOWN           Capability = 0
	CAP_DAC_OVERRIDE    Capability = 1
	CAP_DAC_READ_SEARCH Capability = 2
	CAP_FOWNER          Capability = 3
	CAP_FSETID          Capability = 4
	CAP_SETGID          Capability = 6
	CAP_SETUID          Capability = 7
	CAP_LINUX_IMMUTABLE Capability = 9
	CAP_SYS_CHROOT      Capability = 18
	CAP_SYS_ADMIN       Capability = 21
	CAP_SYS_RESOURCE    Capability = 24
	CAP_MKNOD           Capability = 27
)

var capNames = map[Capability]string{
	CAP_CHOWN: "CAP_CHOWN", CAP_DAC_OVERRIDE: "CAP_DAC_OVERRIDE",
	CAP_DAC_READ_SEARCH: "CAP_DAC_READ_SEARCH", CAP_FOWNER: "CAP_FOWNER",
	CAP_FSETID: "CAP_FSETID", CAP_SETGID: "CAP_SETGID", CAP_SETUID: "CAP_SETUID",
	CAP_LINUX_IMMUTABLE: "CAP_LINUX_IMMUTABLE", CAP_SYS_CHROOT: "CAP_SYS_CHROOT",
	CAP_SYS_ADMIN: "CAP_SYS_ADMIN", CAP_SYS_RESOURCE: "CAP_SYS_RESOURCE", CAP_MKNOD: "CAP_MKNOD",
}

func (c Capability) String() string {
	if n, ok := capNames[c]; ok {
		return n
	}
	return fmt.Sprintf("CAP_%d", uint8(c))
}

// CapSet is a set of capabilities, one bit per Capability.
type CapSet uint64

// AllCaps is the full set root starts with.
const AllCaps CapSet = 1<<41 - 1

// Caps builds a CapSet.
func Caps(cs ...Capability) CapSet {
	var s CapSet
	for _, c := range cs {
		s |= 1 << c
	}
	return s
}

// Has reports whether c is in the set.
func (s CapSet) Has(c Capability) bool { return s&(1<<c) != 0 }

func (s CapSet) String() string {
	if s == AllCaps {
		return "all"
	}
	var names []string
	for c := Capability(0); c < 41; c++ {
		if s.Has(c) {
			names = append(names, c.String())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

// Cred is analogous to Linux's struct cred: the credentials a task acts with
// and an open file remembers (f_cred).
//
// Like the kernel's, a Cred is immutable once published: changing a task's
// identity installs a new Cred (commit_creds), never edits the old one. Cred
// identity is pointer identity, which linkat(AT_EMPTY_PATH) relies on: since
// 6.10 it allows a caller without CAP_DAC_READ_SEARCH to link a file only
// when the file's f_cred is the caller's current cred, the same object.
//
// Differences from Linux:
//   - there is one uid and one gid, used both as the real and the filesystem
//     ids (no separate euid/suid/fsuid);
//   - there are no user namespaces: every capability is a capability in the
//     initial user namespace.
type Cred struct {
	UID    uint32
	GID    uint32
	Groups []uint32
	Caps   CapSet
}

// RootCred returns a new root credential with every capability.
func RootCred() *Cred { return &Cred{Caps: AllCaps} }

// UserCred returns a new unprivileged credential.
func UserCred(uid, gid uint32, groups ...uint32) *Cred {
	return &Cred{UID: uid, GID: gid, Groups: append([]uint32(nil), groups...)}
}

// Capable reports whether the credential holds c (models
// kernel/capability.c:capable against the initial user namespace).
func (c *Cred) Capable(cap Capability) bool { return c.Caps.Has(cap) }

// InGroup reports whether gid is the credential's group or one of its
// supplementary groups (models kernel/groups.c:in_group_p).
func (c *Cred) InGroup(gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// WithCaps returns a copy of c holding exactly caps.
func (c *Cred) WithCaps(caps CapSet) *Cred {
	n := *c
	n.Groups = append([]uint32(nil), c.Groups...)
	n.Caps = caps
	return &n
}

func (c *Cred) String() string {
	return fmt.Sprintf("uid=%d gid=%d caps=%v", c.UID, c.GID, c.Caps)
}
