package script_test

import (
	"os"
	"testing"

	"github.com/relinksim/relinksim/internal/hostkernel"
	// Namespace operations on every simulated machine, as on the real
	// kernel (the differential tests and the scenarios use them).
	_ "github.com/relinksim/relinksim/nsproxy"
)

// TestMain lets the test binary serve as a real-kernel worker process for
// the kernel-differential tests (hostkernel.Session re-executes it), and
// otherwise runs the tests.
func TestMain(m *testing.M) {
	hostkernel.MaybeWorker()
	os.Exit(m.Run())
}
