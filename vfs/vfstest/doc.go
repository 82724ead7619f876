// Package vfstest holds test helpers for code built on package vfs: kernels
// whose invariants and leaks are checked when the test ends (NewKernel,
// Finish), and small assertions on errnos (WantErrno).
//
// Every test of the project ends with a leak check: a kernel made with
// NewKernel is shut down in the test's cleanup, and any object still alive
// afterwards — a reference somebody took and never dropped — fails the test
// by name.
package vfstest
