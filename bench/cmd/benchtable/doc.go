// Command benchtable runs the benchmarks of package bench once (go test
// -bench with -count 5) and rewrites bench/README.md's tables from that
// one run: for every workload and backend, the median of the five
// measurements of each metric. Run it from bench/:
//
//	go run ./cmd/benchtable [-count 5] [-bench .] [-o README.md]
package main
