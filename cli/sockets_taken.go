package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// socketsLeft says whether this process holds listening sockets handed to it (start
// --socket: LISTEN_PID names it, LISTEN_FDS counts them) that the program has not taken.
// Package activation removes both variables the moment the program takes its sockets
// (Listen, Remaining, Named or Inherited), so that, still set when the work says ready,
// they say it never did.
func socketsLeft() bool {
	return os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) && os.Getenv("LISTEN_FDS") != ""
}

// untakenSockets is the error of a work that said ready without taking the sockets start
// --socket handed it (sockets, as start was given them): they accept connections that
// nothing would ever serve. It names the fix.
func untakenSockets(sockets []string) error {
	return fmt.Errorf("the serve function said ready without taking the socket(s) that start --socket handed it (%s), "+
		"so nothing would serve their connections: listen with activation.Listen "+
		"(package github.com/daemonkit/daemonkit/activation), which takes a handed socket and binds its own "+
		"when none is handed, in place of net.Listen", strings.Join(sockets, ", "))
}
