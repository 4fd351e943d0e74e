// Package strategytest checks a detaching strategy against what it promises, the way
// testing/fstest checks a file system: a strategy's test calls CheckTraits with the Traits
// its documentation gives, and its TestMain calls Main, so that the test binary can play the
// daemon (the hidden command "_fakedaemon", a fake that speaks the handshake), the re-exec
// intermediate ("_reexec") and a launching process ("_launch") that runs the launcher from
// a pseudo-terminal. Env, its fake daemon's flags and helpers serve tests of the launcher's
// failure paths. Every process a check starts is killed by pid when the test ends. It is
// Linux-only: it reads /proc.
package strategytest
