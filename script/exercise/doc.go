// Package exercise makes homework in the manner of OSTEP's vsfs.py: a short
// random op-language script on a fresh filesystem, and questions about what
// it did — which files sit on the orphan list after a step, the link count
// of a name, which step frees an inode, what a linkat returns under the
// kernel era. Every answer is computed by running the script on the
// simulator (script.Machine), never written down by hand.
//
// Everything random is drawn from the seed in Config (math/rand/v2's PCG):
// the same Config gives the same exercise, byte for byte. The package
// imports neither testing nor rapid.
//
//	ex, err := exercise.Generate(exercise.Config{FS: "ext4", Era: vfs.Upstream, Seed: 1})
//	fmt.Print(ex.Text(false)) // the script and the questions
//	fmt.Print(ex.Text(true))  // ... and the answers
package exercise
