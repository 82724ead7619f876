// Package scripttest runs op-language transcripts: lab-notebook files in a
// package's testdata/ that show, op by op, what the simulated kernel
// answered (cockroachdb/datadriven; regenerate with -rewrite and review
// the diff). Every test of a filesystem or kernel era can keep its story
// there:
//
//	func TestTranscripts(t *testing.T) { scripttest.RunTranscripts(t, "testdata", "ext4") }
//
// The package imports testing and datadriven; it exists so that package
// script, the language itself, imports neither.
package scripttest
