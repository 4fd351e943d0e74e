// Package activation is the Go side of socket activation, as systemd and daemonkit's
// supervisor (start --socket) hand listening sockets to a program: one call that takes
// the inherited socket when there is one, and binds one itself when there is none, so the
// same program runs under daemonkit, under systemd, and by hand.
package activation

import (
	"net"
	"sync"
)

// inherited are the sockets this process was given, taken once.
var inherited struct {
	once   sync.Once
	mu     sync.Mutex
	byName map[string][]net.Listener
	all    []net.Listener
	next   int // the next one Listen hands out
}

// Listen returns the next inherited listening socket (descriptors 3 and up, when
// LISTEN_PID names this process and LISTEN_FDS counts them), in the order they were
// given; when none is left, it listens on network and address itself. The inherited
// sockets are taken once, and LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from
// the environment then, so that no child takes them for its own.
func Listen(network, address string) (net.Listener, error) {
	take()
	inherited.mu.Lock()
	defer inherited.mu.Unlock()
	if inherited.next < len(inherited.all) {
		ln := inherited.all[inherited.next]
		inherited.next++
		return ln, nil
	}
	return net.Listen(network, address)
}

// Remaining hands out every inherited listening socket that Listen has not handed out
// yet, in the order they were given, or none: a server that serves each socket it is
// given (start --socket, repeated) takes the first with Listen and the others here.
func Remaining() []net.Listener {
	take()
	inherited.mu.Lock()
	defer inherited.mu.Unlock()
	rest := inherited.all[inherited.next:]
	inherited.next = len(inherited.all)
	return rest
}

// Inherited reports whether this process was given listening sockets: then another
// process (a supervisor's next copy, after an upgrade) may accept on them too.
func Inherited() bool {
	take()
	inherited.mu.Lock()
	defer inherited.mu.Unlock()
	return len(inherited.all) > 0
}

// Named returns the inherited listening sockets given under name (LISTEN_FDNAMES, from
// --socket NAME=...), or none.
func Named(name string) []net.Listener {
	take()
	inherited.mu.Lock()
	defer inherited.mu.Unlock()
	return inherited.byName[name]
}

// take reads the inherited sockets, once.
func take() {
	inherited.once.Do(func() {
		inherited.byName = map[string][]net.Listener{}
		// Named from LISTEN_FDNAMES; LISTEN_* removed; close-on-exec from here on.
		for _, f := range files() {
			if ln, err := net.FileListener(f); err == nil {
				inherited.all = append(inherited.all, ln)
				inherited.byName[f.Name()] = append(inherited.byName[f.Name()], ln)
			}
			f.Close() // the listener holds its own descriptor
		}
	})
}
