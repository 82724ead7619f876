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
	CRID   uint32
	Creds  []Cred
	FSs    []FSState
	Files  []FileState
	Tables []FDTable
	Tasks  []TaskState
	// Made lists the directories the checkpoint made for the relinked
	// files beyond their collection directories (the port makes a missing
	// relink directory), in the order it made them, from the
	// checkpointer's root: a successful restart removes them, last first.
	Made []string
}

// FormatVersion is the version Encode writes and Decode accepts.
const FormatVersion = 1

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
