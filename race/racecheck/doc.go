// Package racecheck brings the race explorer (package race) to property
// tests with rapid (pgregory.net/rapid): the Rapid chooser draws each
// scheduling decision, so rapid shrinks a failing schedule together with
// the scenario's ops; Check is a scenario as a test. rapid reads its
// settings from the test binary's flags (-rapid.checks, -rapid.seed), and
// nothing here changes them. Outside a test, race.Explore's random
// strategy draws uniform random choices from a seed passed as a
// parameter. This package imports rapid and testing, so that package
// race, the scheduler itself, imports neither.
package racecheck
