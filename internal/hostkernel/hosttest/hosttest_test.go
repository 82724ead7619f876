package hosttest_test

import (
	"strings"
	"testing"

	"github.com/relinksim/relinksim/internal/hostkernel/hosttest"
)

// Without RELINKSIM_HOST_TESTS=1 every gate skips before it looks at the
// machine, whatever the machine is.
func TestGatesSkipUnlessEnabled(t *testing.T) {
	for _, v := range []string{"", "0", "true", "yes"} {
		t.Setenv(hosttest.EnvVar, v)
		for _, g := range []struct {
			name string
			gate func(testing.TB)
		}{
			{"Require", hosttest.Require},
			{"RequireExt4", hosttest.RequireExt4},
			{"RequireBtrfs", hosttest.RequireBtrfs},
		} {
			ran := false
			t.Run(g.name+"/"+v, func(t *testing.T) {
				g.gate(t)
				ran = true
			})
			if ran {
				t.Errorf("%s ran with %s=%q", g.name, hosttest.EnvVar, v)
			}
		}
	}
}

func TestHowToEnableSaysHow(t *testing.T) {
	if !strings.Contains(hosttest.HowToEnable, "set RELINKSIM_HOST_TESTS=1 (needs Linux and root) to run it") {
		t.Errorf("skip message %q does not say how to enable the host tests", hosttest.HowToEnable)
	}
}
