#!/bin/bash -eu
# Builds every native Go fuzz target of relinksim (func FuzzXxx(f *testing.F)
# in a _test.go file) as a libFuzzer binary in $OUT, with OSS-Fuzz's
# compile_native_go_fuzzer: ClusterFuzzLite and OSS-Fuzz run this script
# unchanged. The rules a target must follow for that build are in package
# internal/fuzztargets' documentation; TestTargetsBuildAlone checks them.
# .ci/libfuzzer runs this script outside the image, with the same tools
# (go-118-fuzz-build, clang's libFuzzer, and a compile_native_go_fuzzer
# taking the image's steps), runs every binary it builds, and checks that
# the list below names every target in the repository.
cd "$SRC/relinksim"
# go-118-fuzz-build's stand-in for package testing must be a dependency.
go get github.com/AdamKorcz/go-118-fuzz-build/testing@v0.0.0-20250520111509-a70c2aa677fa
# Each line: package, target, fuzzer name.
compile_native_go_fuzzer github.com/relinksim/relinksim/internal/fuzztargets FuzzParse fuzz_parse
compile_native_go_fuzzer github.com/relinksim/relinksim/internal/fuzztargets FuzzMountOptions fuzz_mount_options
compile_native_go_fuzzer github.com/relinksim/relinksim/internal/fuzztargets FuzzPathWalk fuzz_path_walk
compile_native_go_fuzzer github.com/relinksim/relinksim/internal/fuzztargets FuzzOps fuzz_ops
compile_native_go_fuzzer github.com/relinksim/relinksim/internal/fuzztargets FuzzReplay fuzz_replay
compile_native_go_fuzzer github.com/relinksim/relinksim/ckpt FuzzDecode fuzz_decode
compile_native_go_fuzzer github.com/relinksim/relinksim/vfs FuzzParseRelinkOpt fuzz_parse_relink_opt
