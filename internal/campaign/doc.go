// Package campaign lets a long property-based campaign run as n disjoint
// shards on n machines and merge back into one verdict. The campaigns are
// the kernel differential of package script (KernelDifferential) and the
// checkpoint/restart properties of package ckpt (CheckpointInvisible,
// CheckpointFaults); docs/campaigns.md says how to run each on one
// machine, as a Kubernetes Indexed Job and as a CI matrix.
//
// A campaign draws its sequences from one seed, sequence k from seed and
// k alone (rapid derives each check's seed from the first and the check's
// index), so shard i of n (RELINKSIM_SHARD=i/n) runs exactly the
// sequences whose index is i modulo n, and the n shards of a campaign
// together run exactly the sequences of the unsharded one. Each run ends
// with one summary line (Summary.Line: the counts, the outcomes tallied,
// the time on each side); Merge sums the lines of the shards of one
// campaign, refusing shards that overlap or miss, and Problems applies the
// campaign's own requirements to the whole: the facts it must exercise,
// the share of cuts with an open-unlinked file and the real kernel's
// steadiness (the differential), the shares a campaign declares on its
// counts (Share: the checkpoint properties' share of cut points with an
// open-unlinked file), and, for shards, that they ran every sequence.
// `relinksim merge-campaign LOG...` is its command line.
//
// The package has no dependencies beyond the standard library and holds
// no test code, so the command line can link it; the test half, which
// runs a rapid property as a shard and writes the summary, is
// internal/campaign/campaigntest.
package campaign
