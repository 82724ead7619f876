package criuhost_test

import (
	"flag"
	"os"
	"testing"

	"github.com/relinksim/relinksim/internal/criuhost"
)

var recordCRIU = flag.Bool("record-criu", false, "re-record ckpt/testdata/criu/NAME.{tmpfs,ext4,btrfs}.jsonl and NAME.FS.criu.json with real CRIU (Linux, root; criu from $"+criuhost.CRIUEnv+" or "+criuhost.DefaultCRIU+")")

var criuKeep = flag.String("criu-keep", "", "with -record-criu: keep each run's images, CRIU logs and victim results under this directory")

// scenarioDir holds the criu strategy's scenarios and their recordings.
const scenarioDir = "../../ckpt/testdata/criu"

// TestMain lets the test binary serve as the victim process CRIU dumps and
// restores (criuhost.Run re-executes it), and otherwise runs the tests.
func TestMain(m *testing.M) {
	criuhost.MaybeVictim()
	os.Exit(m.Run())
}
