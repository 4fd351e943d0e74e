// Package reliability is daemonkit's reliability suite: tests only (package
// reliability_test), which build the daemonkit binary once and drive it as a user would,
// many times over, checking real processes through /proc. They prove what the design
// promises under repetition and races rather than once: never two daemons for one name,
// nothing left behind by a stop (nor by a daemon killed with SIGKILL, once stopped), no
// descriptor leaked by a long-lived supervisor, no signal
// ever sent on the word of a hostile pidfile, and a stop that does not wait for a zombie to
// be reaped; and, in TestChaos, that every command run at once with the others on a few
// names, while their processes are killed or frozen and their files tampered with, leaves
// status and list telling what runs (CHAOS_SEED replays a run's batches, though not how
// the processes ran them; CHAOS_DURATION makes it longer than its 40s). They assert no
// timings but generous bounds (a command done within a minute; a daemon older than 12s
// whose record is gone is no start), and what they measure they log (go test -v).
//
// Run them with go test ./reliability/ (-short runs each loop a few times only; with
// -race, RELIABILITY_RACE=1 builds the daemonkit binary under test with -race as well).
package reliability
