package ext4sim

import (
	"slices"
	"sort"

	"github.com/relinksim/relinksim/vfs"
)

// The journal models jbd2 in ordered mode, at the level the orphan story
// needs:
//
//	handle      a filesystem operation's share of a transaction
//	            (jbd2__journal_start .. jbd2_journal_stop), with credits;
//	running     the transaction handles join: the set of metadata buffers
//	            they got write access to;
//	commit      makes the running transaction durable: the file data of
//	            ordered inodes is written home first, then a snapshot of
//	            each logged buffer is appended to the device's log;
//	checkpoint  writes logged buffers to their home locations and empties
//	            the log;
//	recovery    at mount, replays the log onto the home locations.
//
// A crash keeps the home locations and the log and loses the running
// transaction and every unwritten data page. Commits happen on sync (and at
// unmount), when the running transaction's credits run out, and — with the
// mount option commit=handle — at every handle stop, which lets tests crash
// between any two handles.
type journal struct {
	fs       *fsInfo
	tid      uint64
	keys     map[bufKey]bool
	order    []bufKey // keys in the order they joined the transaction
	credits  int      // credits used by the running transaction
	ordered  map[uint32]bool
	handles  int
	maxTrans int
	// commits and the events below feed crash-point enumeration.
	commits int
	// free holds stopped handles for start to reuse, as jbd2 takes its
	// handles from a slab cache (jbd2_handle_cache): a handle costs no
	// allocation once the journal has had as many open at once.
	free []*handle
}

// txn is a committed transaction in the device's log: buffer snapshots in
// the order they were logged.
type txn struct {
	tid  uint64
	keys []bufKey
	bufs []any
}

// handle is a jbd2 handle (handle_t).
type handle struct {
	j       *journal
	fn      string
	credits int
	// used lists the buffers the handle charged (a handle's credits are a
	// few dozen at most: a list, searched, costs less than a map).
	used    []bufKey
	usedBuf [16]bufKey
	stopped bool // back in the journal's free list
}

// start models fs/ext4/ext4_jbd2.c:__ext4_journal_start: a handle for fn
// with the given credits. It fails with ENOSPC when fault injection says so
// (as jbd2 does when the journal cannot make room) and with EROFS on a
// read-only or aborted filesystem.
func (j *journal) start(fn string, credits int) (*handle, error) {
	fs := j.fs
	fs.k.PreemptPointIn("jbd2__journal_start", fn)
	if fs.sb.ReadOnly() && !fs.cleanupRW || fs.aborted {
		return nil, vfs.EROFS
	}
	if fs.faults.JournalStartENOSPC > 0 {
		fs.faults.JournalStartENOSPC--
		fs.trace("jbd2__journal_start", "%s: ENOSPC (injected)", fn)
		return nil, vfs.ENOSPC
	}
	if j.credits+credits > j.maxTrans && j.handles == 0 {
		j.commit()
	}
	j.handles++
	var h *handle
	if n := len(j.free); n > 0 {
		h, j.free = j.free[n-1], j.free[:n-1]
	} else {
		h = new(handle)
	}
	*h = handle{j: j, fn: fn, credits: credits}
	h.used = h.usedBuf[:0]
	return h, nil
}

// access models fs/ext4/ext4_jbd2.c:__ext4_journal_get_write_access (and
// fs/ext4/inode.c:ext4_reserve_inode_write) on buffer k: the buffer joins
// the running transaction, charged against the handle's credits.
func (h *handle) access(k bufKey) {
	if h == nil {
		return
	}
	if h.stopped {
		vfs.Bug("ext4sim: journal handle of %s used after its stop", h.fn)
	}
	if !slices.Contains(h.used, k) {
		h.used = append(h.used, k)
		if len(h.used) > h.credits {
			vfs.Bug("ext4sim: %s used %d buffers with %d credits", h.fn, len(h.used), h.credits)
		}
	}
	j := h.j
	if !j.keys[k] {
		j.keys[k] = true
		j.order = append(j.order, k)
		j.credits++
	}
}

// orderedData records that inode ino's data must reach the disk before the
// running transaction commits (jbd2_journal_inode_ranged_write).
func (h *handle) orderedData(ino uint32) {
	if h != nil {
		if h.stopped {
			vfs.Bug("ext4sim: journal handle of %s used after its stop", h.fn)
		}
		h.j.ordered[ino] = true
	}
}

// stop models fs/ext4/ext4_jbd2.c:__ext4_journal_stop (the
// ext4_journal_stop macro).
func (h *handle) stop() {
	j := h.j
	if h.stopped {
		vfs.Bug("ext4sim: journal handle stopped twice (%s)", h.fn)
	}
	j.handles--
	if j.handles < 0 {
		vfs.Bug("ext4sim: journal handle stopped twice (%s)", h.fn)
	}
	j.fs.k.PreemptPointIn("jbd2_journal_stop", h.fn)
	if j.handles == 0 && (j.fs.opts.commitEveryHandle || j.credits >= j.maxTrans) {
		j.commit()
	}
	h.stopped = true
	j.free = append(j.free, h)
}

// commit models fs/jbd2/commit.c:jbd2_journal_commit_transaction: ordered
// data first, then the transaction's buffers to the log.
func (j *journal) commit() {
	fs := j.fs
	if j.handles != 0 {
		vfs.Bug("ext4sim: commit with %d handles open", j.handles)
	}
	inos := make([]uint32, 0, len(j.ordered))
	for ino := range j.ordered {
		inos = append(inos, ino)
	}
	sort.Slice(inos, func(a, b int) bool { return inos[a] < inos[b] })
	for _, ino := range inos {
		fs.writeData(ino)
	}
	j.ordered = map[uint32]bool{}
	if len(j.order) == 0 {
		return
	}
	j.tid++
	t := txn{tid: j.tid, keys: j.order}
	for _, k := range j.order {
		t.bufs = append(t.bufs, fs.cur.snapshot(k))
	}
	fs.dev.log = append(fs.dev.log, t)
	fs.trace("jbd2_journal_commit_transaction", "transaction %d: %d buffers", t.tid, len(t.keys))
	j.keys = map[bufKey]bool{}
	j.order = nil
	j.credits = 0
	j.commits++
	fs.dev.events++
	if fs.dev.OnCommit != nil {
		fs.dev.OnCommit(fs.dev)
	}
}

// checkpoint models fs/jbd2/checkpoint.c:jbd2_log_do_checkpoint for the whole
// log: every logged buffer is written to its home location.
func (d *Device) checkpoint() {
	for _, t := range d.log {
		for i, k := range t.keys {
			d.home.restore(k, t.bufs[i])
		}
	}
	d.log = nil
}

// recover models fs/jbd2/recovery.c:jbd2_journal_recover: replay the log onto
// the home locations. It returns how many transactions were replayed.
func (d *Device) recover() int {
	n := len(d.log)
	d.checkpoint()
	return n
}
