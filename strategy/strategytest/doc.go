// Package fakedaemon is the strategy packages' shared test helper: a test binary whose
// TestMain calls Main can play the daemon (the hidden command "_daemon"), the re-exec
// intermediate ("_reexec") and a launching process ("_launch") that runs Launch from a
// terminal, and the test side has what it needs to run and inspect them through /proc and
// to kill every process they started. It is Linux-only.
package fakedaemon
