// Package racecheck brings the race explorer (package race) to property
// tests with rapid (pgregory.net/rapid): the Rapid chooser draws each
// scheduling decision, so rapid shrinks a failing schedule together with
// the scenario's ops; Check is a scenario as a test; Explore is rapid's
// exploration outside a test. It imports rapid and testing, so that
// package race, the scheduler itself, imports neither.
package racecheck
