package supervisor

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/server"
)

// A stop by SIGTERM, or by no signal, sends the program its own stop signal; a stop by
// SIGINT or SIGQUIT (stop --signal, Ctrl-C) passes that on as it came. A stop by SIGHUP
// (the hangup of a foreground start's terminal) sends the stop signal too: the program
// had the hangup already, and takes a SIGHUP it catches for a reload.
func TestStopSignal(t *testing.T) {
	for _, tc := range []struct {
		cause          error
		received, sent syscall.Signal
	}{
		{server.Stopped{Signal: syscall.SIGTERM}, syscall.SIGTERM, syscall.SIGQUIT},
		{server.Stopped{Signal: syscall.SIGINT}, syscall.SIGINT, syscall.SIGINT},
		{server.Stopped{Signal: syscall.SIGQUIT}, syscall.SIGQUIT, syscall.SIGQUIT},
		{server.Stopped{Signal: syscall.SIGHUP}, syscall.SIGHUP, syscall.SIGQUIT},
		{context.Canceled, syscall.SIGTERM, syscall.SIGQUIT},
		{errors.Join(errors.New("stopping"), server.Stopped{Signal: syscall.SIGTERM}), syscall.SIGTERM, syscall.SIGQUIT},
	} {
		received, sent := stopSignal(tc.cause, syscall.SIGQUIT)
		if received != tc.received || sent != tc.sent {
			t.Errorf("stopSignal(%v, SIGQUIT) = %v, %v; want %v, %v", tc.cause, received, sent, tc.received, tc.sent)
		}
	}
	if _, sent := stopSignal(server.Stopped{Signal: syscall.SIGTERM}, Config{}.withDefaults().StopSignal); sent != syscall.SIGTERM {
		t.Errorf("the default stop signal sends %v; want SIGTERM", sent)
	}
}
