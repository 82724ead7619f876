package criuhost

import (
	"fmt"
	"os"
)

// DefaultCRIU is where ../shared/oracle/criu/build.sh leaves the binary.
const DefaultCRIU = "/tmp/criu-src/criu/criu"

// CRIUEnv names a criu binary to use instead of DefaultCRIU. crit is
// taken from the same source tree (the binary's ../lib and ../crit).
const CRIUEnv = "RELINKSIM_CRIU"

// Python is the interpreter crit runs with (Debian's: it has
// google.protobuf).
const Python = "/usr/bin/python3"

// FindCRIU returns the criu binary to use ($RELINKSIM_CRIU, else
// DefaultCRIU), or an error saying why there is none.
func FindCRIU() (string, error) {
	p := os.Getenv(CRIUEnv)
	if p == "" {
		p = DefaultCRIU
	}
	st, err := os.Stat(p)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("no criu binary at %s (set %s, or build CRIU 4.2 with ../shared/oracle/criu/build.sh)", p, CRIUEnv)
	}
	return p, nil
}
