// Package campaign lets a long property-based campaign (the kernel
// differential of package script) run as n disjoint shards on n machines
// and merge back into one verdict.
//
// A campaign draws its sequences from one seed, sequence k from seed and
// k alone (rapid derives each check's seed from the first and the check's
// index), so shard i of n (RELINKSIM_SHARD=i/n) runs exactly the
// sequences whose index is i modulo n, and the n shards of a campaign
// together run exactly the sequences of the unsharded one. Each run ends
// with one summary line (Summary.Line: the counts, the outcomes tallied,
// the time on each side); Merge sums the lines of the shards of one
// campaign, refusing shards that overlap or miss, and Problems applies the
// campaign's own requirements (the facts it must exercise, the share of
// cuts with an open-unlinked file, the real kernel's steadiness) to the
// whole. `relinksim merge-campaign LOG...` is its command line.
//
// The package has no dependencies beyond the standard library and holds
// no test code, so the command line can link it.
package campaign
