package server

import "context"

// Workload is what a daemon runs once it holds its pidfile: the built-in HTTP server, a
// supervised program, or an embedding program's own serve function. The runtime (lock,
// handshake, signals, log, record) is the same for every workload.
type Workload interface {
	// Serve runs the workload. It calls ready once it serves (at most once; addr is where
	// it listens, "" if it does not), then runs until ctx is cancelled (a stop: SIGTERM or
	// SIGINT), drains gracefully and returns nil. An error (or panic) before ready is why
	// the start failed; after ready, returning at all means the workload ended on its own.
	// ctx carries the daemon's logger (hclog.FromContext).
	Serve(ctx context.Context, ready ReadyFunc) error
}

// ReadyFunc says the workload is ready, and where it listens ("" if it does not).
type ReadyFunc = func(addr string)

// WorkloadFunc makes a serve function a Workload.
type WorkloadFunc func(ctx context.Context, ready ReadyFunc) error

// Serve calls f.
func (f WorkloadFunc) Serve(ctx context.Context, ready ReadyFunc) error { return f(ctx, ready) }

// Reloader is implemented by a workload that reloads its configuration on SIGHUP (after
// the log is reopened). Its error is logged; the daemon runs on.
type Reloader interface {
	Reload(ctx context.Context) error
}
