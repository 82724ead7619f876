// Command flagclash is a program as a relinksim user might write one: it
// defines flags of its own — among them -rewrite, which datadriven
// registers, and -short, which testing does — imports every library
// package, parses its command line and runs a script. It must start and
// exit 0: a library that registers a flag of the same name on
// flag.CommandLine would make it panic at start-up ("flag redefined").
package main
