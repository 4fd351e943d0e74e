// Command empty does nothing: bench/compare.sh times it as the floor of any Go program's
// start-up (the runtime, no package initialisation of its own), against which
// `daemonkit --version` is compared.
package main

func main() {}
