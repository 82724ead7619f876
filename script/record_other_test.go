//go:build !linux

package script_test

import (
	"testing"

	"github.com/relinksim/relinksim/script"
)

// recordHost needs the real Linux kernel.
func recordHost(t *testing.T, ops []script.Op, out string) {
	t.Fatal("-record needs Linux: it runs the scenarios on the host kernel")
}
