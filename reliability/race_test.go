//go:build race

package reliability_test

// raceEnabled: this test binary, and so the daemonkit binary it builds, runs under -race.
const raceEnabled = true
