//go:build !race

package race

// raceEnabled: the race detector multiplies time; the reduction checks
// then run on fewer eras of the extra scenarios.
const raceEnabled = false
