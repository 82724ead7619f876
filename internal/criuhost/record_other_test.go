//go:build !linux

package criuhost_test

import "testing"

// TestRecordCRIU needs Linux: CRIU dumps and restores real processes.
func TestRecordCRIU(t *testing.T) {
	if *recordCRIU {
		t.Fatal("-record-criu needs Linux (and root): it runs the scenarios with real CRIU on the real kernel")
	}
	t.Skip("records with real CRIU: Linux only")
}
