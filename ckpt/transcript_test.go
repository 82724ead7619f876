package ckpt_test

import (
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ckpt"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script/scripttest"
)

// The lab-notebook transcripts of checkpoint and restart, one directory per
// filesystem under test (scripttest boots one filesystem per directory).
// Regenerate them with go test ./ckpt -run TestTranscripts -rewrite and
// review the diff.

// TestTranscriptsExt4 runs testdata/ext4: the cover letter's program, an
// unlinked fifo, the capability check, failed checkpoints and restarts, and
// the eras side by side.
func TestTranscriptsExt4(t *testing.T) {
	scripttest.RunTranscripts(t, "testdata/ext4", "ext4")
}

// TestTranscriptsTmpfs runs testdata/tmpfs: a filesystem without
// lost+found, where the seed's relink directory does not exist.
func TestTranscriptsTmpfs(t *testing.T) {
	scripttest.RunTranscripts(t, "testdata/tmpfs", "tmpfs")
}

// TestTranscriptsBtrfs runs testdata/btrfs: snapshots and migration
// between checkpoint and restart.
func TestTranscriptsBtrfs(t *testing.T) {
	scripttest.RunTranscripts(t, "testdata/btrfs", "btrfs")
}
