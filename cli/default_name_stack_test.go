package cli

import (
	"strings"
	"sync"
	"testing"
)

// TestMainFileOnAnyStackOneDump: main.main's file is found on the stacks of every
// goroutine with one dump of them (each stops the world, and formats every goroutine),
// however many goroutines the program has: the main goroutine's stack comes right after
// the asking goroutine's, so the first 64 KiB hold it, and no larger dump is taken.
func TestMainFileOnAnyStackOneDump(t *testing.T) {
	stop := make(chan struct{})
	var parked sync.WaitGroup
	for range 20000 {
		parked.Add(1)
		go func() { parked.Done(); <-stop }()
	}
	defer close(stop)
	parked.Wait()
	dumps := 0
	testHookStackDump = func() { dumps++ }
	defer func() { testHookStackDump = nil }()
	file := mainFileOnAnyStack()
	// a test binary's main.main is in the file go test generated, _testmain.go
	if !strings.HasSuffix(file, "_testmain.go") {
		t.Errorf("mainFileOnAnyStack() = %q, want the test binary's _testmain.go", file)
	}
	if dumps != 1 {
		t.Errorf("%d dumps of every goroutine's stack, want 1", dumps)
	}
}
