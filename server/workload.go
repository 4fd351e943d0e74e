package server

import "context"

// Workload is what a daemon runs once it holds its pidfile: the built-in HTTP server now, a
// supervised program later. The run loop (lock, handshake, signals, record) is the same for
// every workload.
type Workload interface {
	// Start makes the workload ready and returns the address it listens on ("" if it does
	// not listen). When Start returns an error, nothing of the workload is left running.
	Start(ctx context.Context) (listen string, err error)
	// Shutdown stops the workload gracefully: work in flight may finish until ctx is done,
	// then whatever remains is cut off. It returns when nothing of the workload runs; the
	// error says the drain was cut short or failed.
	Shutdown(ctx context.Context) error
	// Done delivers an error if the workload ends on its own after a successful Start. It
	// delivers nothing after Shutdown has been called.
	Done() <-chan error
}
