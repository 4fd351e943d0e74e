//go:build linux && race

package upgradetest

const raceEnabled = true
