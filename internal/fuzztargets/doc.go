// Package fuzztargets holds the native fuzz targets (go test -fuzz) of the
// inputs a user or a file gives relinksim through the op language and the
// race explorer: scripts, mount options, paths, whole op sequences on
// every filesystem and era, and replay schedules (fuzz_test.go; this
// comment does not name them, for the reason below). The image decoder's
// target is in package ckpt and the relink= parsers' in package vfs, next
// to the unexported code they reach.
//
// The package has no code of its own: it exists so that the targets build
// unchanged for a fuzzing service. ClusterFuzzLite and OSS-Fuzz build a
// Go target with compile_native_go_fuzzer, which finds the file naming the
// target (grep -r -l NAME in the package's directory: exactly one file may
// name it), compiles that one file into the package as if it were not a
// test file, with package testing swapped for go-118-fuzz-build's, and
// links it with libFuzzer. So each file holding targets is in the package
// itself (not package X_test), uses nothing from other test files, passes
// no *testing.T to code that expects the standard library's, and draws
// with scriptgen.BytesSource rather than rapid (rapid needs a real
// *testing.T). Each body also calls ran(), which creates the file
// RELINKSIM_FUZZ_RAN names, if any.
//
// .ci/libfuzzer builds every target that way, with the real
// go-118-fuzz-build and clang's libFuzzer, and runs each binary for a
// thousand inputs: a target fails there when it does not build, crashes,
// fails a check or never enters its body. CI also fuzzes each target for
// 60 s with go test -fuzz. TestTargetsBuildAlone checks the rules above
// for every target of the repository without clang.
//
// Seeds are in testdata/fuzz/NAME; a crasher go test -fuzz finds is
// written there too and then runs as a regression with every go test.
package fuzztargets
