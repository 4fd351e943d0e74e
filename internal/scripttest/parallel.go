//go:build linux

package scripttest

import (
	"flag"
	"runtime"
	"strconv"
	"testing"
)

// scriptsPerCPU is how many scripts run at once for each CPU the tests may use, unless
// -parallel says otherwise. A script spends most of its time waiting on the daemons it
// starts (a ready check, a drain, a timeout that is its point), not computing: the whole
// suite used half of two cores when it ran two scripts at once, the testing package's
// default, and took half the time with four (381 against 202 s under -race, with other
// work on the machine; no script failed).
const scriptsPerCPU = 2

// moreScriptsAtOnce is a suite's testing.M, whose Run first raises -parallel to
// scriptsPerCPU times GOMAXPROCS where the command line did not set it. It runs only in
// the top-level test binary: a command the scripts run under this binary's name never
// reaches it, so its arguments are never parsed as test flags.
type moreScriptsAtOnce struct{ m *testing.M }

// Run parses the test flags, raises -parallel unless it was given, and runs the tests.
func (s moreScriptsAtOnce) Run() int {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", strconv.Itoa(scriptsPerCPU*runtime.GOMAXPROCS(0)))
	}
	return s.m.Run()
}

// ScriptsAtOnce is how many scripts Main's tests run at once: -parallel's value.
func ScriptsAtOnce() int {
	n, _ := strconv.Atoi(flag.Lookup("test.parallel").Value.String())
	return n
}
