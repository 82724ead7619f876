package criuhost

// Facts is what a recording knows beyond the steps, written beside
// NAME.FS.jsonl as NAME.FS.criu.json: for each checkpoint, what CRIU's
// image holds for the script's descriptors (read with crit) and what the
// dump left in the filesystem; for each restart, what it left and whether
// the descriptors came back on the same inodes. Everything in it is
// normalized as the steps are (no ids, inode numbers or real paths).
type Facts struct {
	// CRIU is `criu --version`'s version line ("4.2").
	CRIU   string  `json:"criu"`
	Events []Event `json:"events"`
}

// Event is one checkpoint or restart.
type Event struct {
	Line   int    `json:"line"`
	Op     string `json:"op"`
	Result string `json:"result"` // OK or the Reason
	// Files are the script's open descriptors at the checkpoint, in the
	// order the script opened them, as the image holds them (successful
	// checkpoints only).
	Files []File `json:"files,omitempty"`
	// Added are the paths (tree order, normalized) the dump added to the
	// filesystem (a checkpoint); Changed those that differ, after a
	// restart, from the listing before the dump (added, removed as
	// "-PATH", or of another type, inode or link count as "~PATH").
	Added   []string `json:"added,omitempty"`
	Changed []string `json:"changed,omitempty"`
	// FDs are the descriptors after a successful restart.
	FDs []FDAfter `json:"fds,omitempty"`
}

// File is one descriptor in a dump's image.
type File struct {
	FD string `json:"fd"`
	// File labels the image's file entry (f1, f2, ... by first
	// appearance): descriptors sharing an open file description share it.
	File string `json:"file"`
	Type string `json:"type"` // fdinfo's type: REG, FIFO, ...
	Path string `json:"path"` // the entry's name, normalized
	// Pos is the saved file position; Size the size the restore checks
	// (a regular file's, unless opened O_WRONLY|O_APPEND).
	Pos  int64  `json:"pos"`
	Size *int64 `json:"size,omitempty"`
	// Remap is remap-fpath's type for the file: LINKED, GHOST (or
	// PROCFS), or "none".
	Remap string `json:"remap"`
	// RemapPath is a LINKED file's link remap, normalized.
	RemapPath string `json:"remap_path,omitempty"`
	Ghost     *Ghost `json:"ghost,omitempty"`
	// PipeBytes are the bytes fifo-data holds for a fifo's pipe.
	PipeBytes *int64 `json:"pipe_bytes,omitempty"`
}

// Ghost is a ghost-file image.
type Ghost struct {
	// ID labels the ghost (g1, g2, ...): files sharing an inode share it.
	ID   string `json:"id"`
	Mode string `json:"mode"` // octal, type bits included
	// Chunked is the entry's chunks flag (a regular file of 12 KiB or
	// more); Chunks the number of ghost_chunk_entry records, Size the
	// entry's size.
	Chunked bool  `json:"chunked"`
	Chunks  int   `json:"chunks"`
	Size    int64 `json:"size,omitempty"`
	// DataBytes are the file data bytes the image holds (raw, or the sum
	// of the chunks' lengths).
	DataBytes int64 `json:"data_bytes"`
}

// FDAfter is a descriptor after a restart, against the same descriptor at
// the dump.
type FDAfter struct {
	FD string `json:"fd"`
	// SameInode: the same st_dev and st_ino as at the dump. Numbers,
	// not identity: on ext4 a ghost made again after the killed task's
	// orphan was freed gets the freed inode number back (true), where
	// tmpfs and btrfs give a new one (false).
	SameInode bool `json:"same_inode"`
	// Blocks are st_blocks at the dump and after the restart.
	BlocksBefore int64 `json:"blocks_before"`
	BlocksAfter  int64 `json:"blocks_after"`
}
