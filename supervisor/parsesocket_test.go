package supervisor

import (
	"errors"
	"testing"
)

// TestParseSocket: --socket's forms, and what is refused before anything runs (a bad port,
// options on a tcp socket, a blank) with ErrBadSocket.
func TestParseSocket(t *testing.T) {
	for _, tc := range []struct {
		in                     string
		name, network, address string // network "": refused
	}{
		{"tcp:127.0.0.1:8000", "tcp", "tcp", "127.0.0.1:8000"},
		{"api=tcp:127.0.0.1:0", "api", "tcp", "127.0.0.1:0"},
		{"tcp::8000", "tcp", "tcp", ":8000"},
		{"tcp:[::1]:8000", "tcp", "tcp", "[::1]:8000"},
		{"tcp:localhost:http", "tcp", "tcp", "localhost:http"}, // a service name, as net.Listen takes it
		{"unix:/run/x.sock,mode=0660", "unix", "unix", "/run/x.sock"},
		{"tcp:127.0.0.1:65535", "tcp", "tcp", "127.0.0.1:65535"},
		{"tcp:127.0.0.1:65536", "", "", ""},
		{"tcp:127.0.0.1:-1", "", "", ""},
		{"tcp:127.0.0.1:8000x", "", "", ""},
		{"tcp:127.0.0.1:99999", "", "", ""},
		{"tcp:127.0.0.1:", "", "", ""},
		{"tcp:127.0.0.1:8000,mode=0600", "", "", ""},
		{"tcp:127.0.0.1:8000 ", "", "", ""},
		{" tcp:127.0.0.1:8000", "", "", ""},
		{"unix:/run/x y.sock", "", "", ""},
		{"tcp:127.0.0.1", "", "", ""},
		{"udp:127.0.0.1:53", "", "", ""},
		{"unix:", "", "", ""},
		{"unix:/x.sock,mode=0444", "", "", ""},
	} {
		sk, err := ParseSocket(tc.in)
		switch {
		case tc.network == "" && !errors.Is(err, ErrBadSocket):
			t.Errorf("ParseSocket(%q) = %+v, %v; want ErrBadSocket", tc.in, sk, err)
		case tc.network != "" && (err != nil || sk.Name != tc.name || sk.Network != tc.network || sk.Address != tc.address):
			t.Errorf("ParseSocket(%q) = %+v, %v; want %s=%s:%s", tc.in, sk, err, tc.name, tc.network, tc.address)
		}
	}
}
