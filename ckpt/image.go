package ckpt

// Image is a checkpoint image as the checkpoint writes it and the restart
// reads it: the container's tasks, their descriptor tables, fs_structs,
// credentials and open files, shared objects referenced by objref (the
// index of the object in its list, plus one; 0 means none), as the seed's
// ckpt_hdr stream carries them. Encode and Decode turn it into bytes and
// back (see codec.go for the layout).
type Image struct {
	// Version is the image format's version (FormatVersion).
	Version uint32
	// Era and Strategy name the kernel era and the strategy that wrote it.
	Era, Strategy string
	// CRID is the checkpoint's id (ctx->crid): relinked files go to
	// <mount root>/<relink dir>/checkpoint-<CRID>/relinked-<n>.
	CRID  uint32
	Creds []Cred
	FSs   []FSState
	// Remaps are how the files their paths no longer reach come back
	// under the strategies that do not relink (criu, handle, copy):
	// link-remaps, ghosts, handles and copies, referenced by the files.
	Remaps []Remap
	Files  []FileState
	Tables []FDTable
	Tasks  []TaskState
	// Made lists the directories the checkpoint made for the relinked
	// files beyond their collection directories (the port makes a missing
	// relink directory), in the order it made them, from the
	// checkpointer's root: a successful restart removes them, last first.
	Made []string
}

// FormatVersion is the version Encode writes and Decode accepts (2: the
// remap, chunk, handle and stat records of the criu, handle and copy
// strategies).
const FormatVersion = 2

// Cred is a credential (ckpt_hdr_cred): ids and the effective capability
// set.
type Cred struct {
	UID, GID uint32
	Caps     uint64
}

// FSState is an fs_struct (ckpt_hdr_fs): root and working directory as
// paths from the checkpointer's root, and the umask.
type FSState struct {
	Root, Cwd string
	Umask     uint32
}

// File types (ckpt_hdr_file.f_type).
const (
	FileGeneric uint16 = 1 // CKPT_FILE_GENERIC: a regular file (or a symlink's target)
	FileFifo    uint16 = 2 // CKPT_FILE_FIFO
	FileDir     uint16 = 3 // a directory (the seed checkpoints it as generic)
)

// Restart flags (ckpt_hdr_file.f_restart_flags).
const (
	// FileUnlink is CKPT_RESTART_FILE_F_UNLINK (seed patch 04): the file
	// was unlinked at checkpoint; Relinked names where the checkpoint
	// linked it, restart opens that name and unlinks it once the whole
	// restart succeeded.
	FileUnlink uint32 = 1 << 0
	// FileLinkable marks an O_TMPFILE file that was still linkable
	// (I_LINKABLE) at checkpoint (relink-upstream only): restart makes it
	// linkable again.
	FileLinkable uint32 = 1 << 1
	// FileStat marks a file with a stat record (criu, handle, copy): the
	// remap it comes back through, and the size and mode the restart
	// checks (CRIU's reg_file_entry size and mode, validate_file).
	FileStat uint32 = 1 << 2
)

// Stat checks (FileState.Checks): what the restart compares with the
// opened file, as CRIU's open_path does.
const (
	CheckSize uint32 = 1 << 0 // st_size must be FileState.Size ("has bad size")
	CheckMode uint32 = 1 << 1 // st_mode must be FileState.Mode ("has bad mode")
)

// FileState is an open file (ckpt_hdr_file with its names): what restart
// needs to open it again with the same flags, position and credentials.
type FileState struct {
	Type         uint16
	Flags        uint32 // f_flags
	Pos          int64  // f_pos
	Version      uint64 // f_version
	CredRef      uint32 // objref into Creds
	RestartFlags uint32
	// Path is the file's name from the checkpointer's root (d_path), as
	// it was; for an unlinked file it ends in " (deleted)".
	Path string
	// Relinked is the name the checkpoint gave an unlinked file (set with
	// FileUnlink), from the checkpointer's root.
	Relinked string
	// FifoData is a fifo's buffered bytes (seed patch 05 carries them).
	FifoData []byte
	// With FileStat: RemapRef is the objref of the file's remap (0:
	// none, the file is opened by Path), Checks what the restart checks
	// of the opened file, Mode and Size the values it compares.
	RemapRef uint32
	Checks   uint32
	Mode     uint32
	Size     int64
}

// Remap kinds (Remap.Kind).
const (
	// RemapLinked is CRIU's link-remap (REMAP_TYPE__LINKED): a hard link
	// the dump made to a file that still has links but not the name it
	// was opened by; Path is that link, link_remap.<ID>.
	RemapLinked uint16 = 1
	// RemapGhost is CRIU's ghost file (REMAP_TYPE__GHOST): a file with no
	// link left, its contents in the image (Chunks); restart makes it
	// again at <path>.cr.<ID hex>.ghost (a directory: at the path itself).
	RemapGhost uint16 = 2
	// RemapHandle is a file handle (name_to_handle_at): Path is the root
	// of the file's mount, HandleType and Handle the handle.
	RemapHandle uint16 = 3
	// RemapCopy is the cover letter's first attempt: the whole contents
	// read into the image (holes as zeros), written into a new file at
	// restart.
	RemapCopy uint16 = 4
)

// RemapChunked is Remap.Flags' bit for a ghost saved as chunks (data
// extents) rather than raw (CRIU's ghost_file_entry.chunks).
const RemapChunked uint16 = 1 << 0

// Remap is how a file that its path no longer reaches comes back under
// the criu, handle and copy strategies.
type Remap struct {
	Kind  uint16
	Flags uint16
	// ID is CRIU's remap id: the link's link_remap.<ID>, the ghost's
	// <path>.cr.<ID hex>.ghost.
	ID uint32
	// Mode, UID, GID, Ino and Size are the file's at checkpoint (ghost,
	// copy: what the restart makes again; Ino only recorded).
	Mode     uint32
	UID, GID uint32
	Ino      uint64
	Size     int64
	// Path is the link (linked) or the mount's root (handle), from the
	// checkpointer's root; empty for a ghost or copy.
	Path string
	// HandleType and Handle are a handle remap's file handle.
	HandleType int32
	Handle     []byte
	// Chunks are a ghost's or copy's data: one chunk at offset 0 for a
	// raw ghost or a copy, the data extents (SEEK_DATA to SEEK_HOLE) of
	// a chunked ghost, each at most MaxChunk bytes.
	Chunks []Chunk
}

// Chunk is a run of a file's data at an offset (ghost_chunk_entry and
// its bytes).
type Chunk struct {
	Off  int64
	Data []byte
}

// DataBytes is the number of file data bytes r carries.
func (r Remap) DataBytes() uint64 {
	var n uint64
	for _, c := range r.Chunks {
		n += uint64(len(c.Data))
	}
	return n
}

// FDTable is a descriptor table (ckpt_hdr_file_table): its open
// descriptors in ascending order.
type FDTable struct {
	Entries []FDEntry
}

// FDEntry is one open descriptor and the file it holds.
type FDEntry struct {
	FD      int32
	FileRef uint32 // objref into Files
}

// TaskState is a task of the container (ckpt_hdr_task with the objrefs of
// what it holds): its name in the script, and its credentials, fs_struct
// and descriptor table, shared objects referenced once.
type TaskState struct {
	Name     string
	CredRef  uint32
	FSRef    uint32
	TableRef uint32
}
