// Package server is the daemon side of daemonkit: what runs after detaching, in every
// strategy, and in the foreground, for whatever Workload it is given.
//
// [Run] takes the pidfile lock, tells the launcher its pid and then exactly one outcome
// (ready, already running, or why it failed) down the handshake pipe, runs the workload,
// reopens its log on SIGHUP or SIGUSR1, and on SIGTERM or SIGINT lets the workload drain,
// removes its record and its pidfile, and returns. It does not know how it was detached,
// nor what the workload is: the built-in HTTP server (package httpdemo), a supervised
// program and an embedding program's serve function are all one [Workload].
package server
