package supervisor

import (
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/notify"
)

// TestNotifyHeard: before any message, the status says none came and asks whether the
// program speaks sd_notify; then it names the fields that came, each once, and values of
// unknown fields cut short.
func TestNotifyHeard(t *testing.T) {
	h := notifyHeard{prog: "redis-server"}
	if got, want := h.String(), "no READY=1 ever arrived: it sent no sd_notify message; does redis-server support sd_notify (NOTIFY_SOCKET)?"; got != want {
		t.Errorf("nothing heard: %q, want %q", got, want)
	}
	speaker := notifyHeard{prog: "web", speaks: true} // daemonkit's own work child
	if got, want := speaker.String(), "no READY=1 ever arrived: it has not said it is ready"; got != want {
		t.Errorf("nothing heard from a program that speaks sd_notify: %q, want %q", got, want)
	}
	for _, datagram := range []string{"MAINPID=42\nWATCHDOG=1", "WATCHDOG=1", "READY=0\nX_LONG=" + strings.Repeat("v", 40)} {
		m, err := notify.Parse([]byte(datagram))
		if err != nil {
			t.Fatal(err)
		}
		h.add(m)
	}
	want := "no READY=1 ever arrived: it sent only MAINPID=42, WATCHDOG=1, READY=0, X_LONG=" + strings.Repeat("v", 32) + "..."
	if got := h.String(); got != want || h.status {
		t.Errorf("after three messages: %q (status %v), want %q", got, h.status, want)
	}
	m, _ := notify.Parse([]byte("STATUS=loading"))
	if h.add(m); !h.status {
		t.Error("STATUS= came, and status is false")
	}
}
