package supervisor

import (
	"errors"
	"strings"
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
		{"tcp:127.0.0.1:abc", "", "", ""},
		{"=tcp:127.0.0.1:0", "", "", ""},
		{"a/b=tcp:127.0.0.1:0", "", "", ""},
		{"a\x01=tcp:127.0.0.1:0", "", "", ""},
		{"unix:/run/a=b.sock", "unix", "unix", "/run/a=b.sock"}, // a path's '=', not a name
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

// TestParseSocketNameMessage: a bad name is named, rather than the spec said to be
// neither tcp: nor unix:.
func TestParseSocketNameMessage(t *testing.T) {
	for in, want := range map[string]string{
		"a/b=tcp:127.0.0.1:0":  `invalid socket "a/b=tcp:127.0.0.1:0": the name "a/b" holds '/' or a control character: give a name without them`,
		"a:b=tcp:127.0.0.1:0":  `invalid socket "a:b=tcp:127.0.0.1:0": the name "a:b" holds ':': give a name without ':', '/' or a control character`,
		"a:b=unix:/x.sock":     `invalid socket "a:b=unix:/x.sock": the name "a:b" holds ':': give a name without ':', '/' or a control character`,
		"udp:127.0.0.1:53":     `invalid socket "udp:127.0.0.1:53": want [NAME=]tcp:HOST:PORT or [NAME=]unix:PATH[,mode=0660]`,
		"=tcp:127.0.0.1:0":     `invalid socket "=tcp:127.0.0.1:0": an empty name before '=': give one (api=tcp:127.0.0.1:0), or leave the '=' out for the default name (its network, tcp)`,
		"tcp:127.0.0.1:99999":  `invalid socket "tcp:127.0.0.1:99999": port 99999: want a port from 0 to 65535 (0: any free one)`,
		"api=tcp:127.0.0.1:-1": `invalid socket "api=tcp:127.0.0.1:-1": port -1: want a port from 0 to 65535 (0: any free one), or a service name (`,
	} {
		_, err := ParseSocket(in)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseSocket(%q) = %v; want %s", in, err, want)
		}
	}
}

// TestParseReadiness: --ready's forms, and what is refused before anything runs (a port
// out of range or 0 to probe, a target after exec or notify) with ErrBadReadiness.
func TestParseReadiness(t *testing.T) {
	for _, tc := range []struct {
		in           string
		kind, target string // kind "": refused
	}{
		{"exec", "exec", ""},
		{"notify", "notify", ""},
		{"tcp:127.0.0.1:8000", "tcp", "127.0.0.1:8000"},
		{"tcp:localhost:http", "tcp", "localhost:http"},
		{"http:http://127.0.0.1:8000/healthz", "http", "http://127.0.0.1:8000/healthz"},
		{"http:http://localhost/healthz", "http", "http://localhost/healthz"},
		{"cmd:pg_isready", "cmd", "pg_isready"},
		{"pidfile:/run/x.pid", "pidfile", "/run/x.pid"},
		{"exec:", "", ""},
		{"exec:x", "", ""},
		{"notify:", "", ""},
		{"notify:x", "", ""},
		{"tcp:127.0.0.1:99999", "", ""},
		{"tcp:127.0.0.1:65536", "", ""},
		{"tcp:127.0.0.1:-1", "", ""},
		{"tcp:127.0.0.1:abc", "", ""},
		{"tcp:127.0.0.1:0", "", ""},
		{"tcp:127.0.0.1:", "", ""},
		{"http:http://127.0.0.1:99999/", "", ""},
		{"http:http://127.0.0.1:0/", "", ""},
		{"http:http://127.0.0.1:/", "", ""},
		{"cmd:", "", ""},
		{"pidfile:x.pid", "", ""},
		{"bogus", "", ""},
	} {
		r, err := ParseReadiness(tc.in)
		switch {
		case tc.kind == "" && !errors.Is(err, ErrBadReadiness):
			t.Errorf("ParseReadiness(%q) = %+v, %v; want ErrBadReadiness", tc.in, r, err)
		case tc.kind != "" && (err != nil || r.Kind != tc.kind || r.Target != tc.target):
			t.Errorf("ParseReadiness(%q) = %+v, %v; want %s:%s", tc.in, r, err, tc.kind, tc.target)
		}
	}
	_, err := ParseReadiness("tcp:127.0.0.1:0")
	if want := `invalid readiness "tcp:127.0.0.1:0": port 0: want a port from 1 to 65535`; err == nil || err.Error() != want {
		t.Errorf("ParseReadiness(tcp:127.0.0.1:0) = %v; want %s", err, want)
	}
}
