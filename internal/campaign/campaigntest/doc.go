// Package campaigntest runs a rapid property as a shard of a campaign
// (package campaign): the test-helper half, which imports testing and
// rapid so that package campaign, linked by the command line, does not.
//
// Property wraps a property so that it runs only the checks of one shard:
// rapid derives the seed of its k-th check from the first seed and k
// alone, so with one fixed seed (RAPID_SEED or -rapid.seed) and size
// (RAPID_CHECKS or -rapid.checks) shard i of n runs exactly the checks
// whose index is i modulo n, and the n shards run the whole campaign
// between them. Shard reads the shard a run is asked for from the
// environment (campaign.ShardFromEnv) and the seed and size from rapid's
// flags. Check puts both together for a campaign: it runs the property as
// the shard, and ends the run, however it ends, with the campaign's
// summary line (campaign.Summary.Line), which relinksim merge-campaign
// merges; an unsharded run judges the campaign's requirements itself
// (campaign.Summary.Problems), a shard only its own failures.
//
// With RELINKSIM_CAMPAIGN_TRACE=1, Check prints a line for every check a
// run makes: its index and a hash of what it drew. CheckPartition runs a
// campaign whole and as shards in child processes, and checks from those
// lines and the summaries that the shards ran exactly the whole's checks
// and merge into exactly its counts.
package campaigntest
