package btrfssim

// Every test checks that commits share only unchanged trees.
func init() { verifyCommits = true }

// SetVerifyCommits turns the check off for benchmarks (it compares every
// shared tree at every commit) and back on.
func SetVerifyCommits(v bool) { verifyCommits = v }
