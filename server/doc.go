// Package server is the daemon side of daemonkit: what runs after detaching, in every
// strategy, and in the foreground.
//
// [Run] takes the pidfile lock, tells the launcher its pid and then exactly one outcome
// (ready, already running, or why it failed) down the handshake pipe, runs a workload,
// reopens its log on SIGHUP or SIGUSR1, and on SIGTERM or SIGINT drains the workload
// gracefully, removes its record and its pidfile, and returns.
//
// The run loop does not know what the workload is: the built-in HTTP server (healthz,
// status, and a slow /work endpoint that makes a graceful drain visible) is one
// implementation of [Workload]; a supervised program will be another.
package server
