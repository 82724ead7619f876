// Package scriptgen generates op-language sequences with rapid
// (pgregory.net/rapid) for property tests: Ops draws whole sequences, Gen
// one op at a time. Each op is drawn knowing the state the ones before it
// left on a shadow simulator, so most name what exists — open descriptors,
// unlinked-but-open inodes, names just reused — and some miss on purpose.
// A failing sequence shrinks, and prints as a script (script.Format) ready
// to paste into a testdata file.
//
// Every choice goes through a Source: RapidSource for rapid, BytesSource
// for a fuzzing engine's bytes (OpsFrom, Gen.NextFrom), so the same
// generator feeds go test -fuzz and libFuzzer without rapid in the loop.
//
// The package imports rapid (and through it package testing); it exists so
// that package script, the language itself, imports neither.
package scriptgen
