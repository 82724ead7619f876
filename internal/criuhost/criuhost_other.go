//go:build !linux

package criuhost

// MaybeVictim does nothing: there are no CRIU victims here.
func MaybeVictim() {}
