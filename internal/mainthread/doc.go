// Package mainthread runs a function on the process's main thread (the one whose thread
// id is the pid), for what must happen there: catching signals with os/signal, whose first
// Notify starts a thread that blocks most signals for good, and which must not be the main
// one, whose signal mask /proc/PID/status shows and a daemon clears.
package mainthread
