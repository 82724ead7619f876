#!/bin/bash -eu
# Builds every native Go fuzz target of relinksim (func FuzzXxx(f *testing.F)
# in a _test.go file) as a fuzzer binary in $OUT, with OSS-Fuzz's
# compile_native_go_fuzzer: ClusterFuzzLite and OSS-Fuzz run this script
# unchanged. .ci/run runs it too, with a stand-in compile_native_go_fuzzer
# (.ci/compile_native_go_fuzzer) that builds each target with go test -c
# and checks the binary has it, and checks that the list below names every
# target in the repository.
#
# Each line: package, target, fuzzer name.
cd "$SRC/relinksim"
compile_native_go_fuzzer github.com/relinksim/relinksim/script FuzzParse fuzz_parse
compile_native_go_fuzzer github.com/relinksim/relinksim/script FuzzMountOptions fuzz_mount_options
compile_native_go_fuzzer github.com/relinksim/relinksim/script FuzzPathWalk fuzz_path_walk
compile_native_go_fuzzer github.com/relinksim/relinksim/script FuzzOps fuzz_ops
compile_native_go_fuzzer github.com/relinksim/relinksim/race FuzzReplay fuzz_replay
compile_native_go_fuzzer github.com/relinksim/relinksim/ckpt FuzzDecode fuzz_decode
compile_native_go_fuzzer github.com/relinksim/relinksim/vfs FuzzParseRelinkOpt fuzz_parse_relink_opt
