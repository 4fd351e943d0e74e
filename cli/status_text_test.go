package cli

import (
	"strings"
	"testing"
)

// statusText is what status prints of r.
func statusText(r statusReport) string {
	var b strings.Builder
	r.writeText(&b)
	return b.String()
}

// TestStatusProgramWithoutCopy: a running supervisor none of whose copies runs (the old
// copy died while an upgrade's new one started) shows its program without a copy, not
// "(pid 0)".
func TestStatusProgramWithoutCopy(t *testing.T) {
	r := statusReport{Name: "web", State: "running", PID: 42, Command: []string{"/srv/web", "--port", "80"}}
	if got := statusText(r); !strings.Contains(got, "program: /srv/web --port 80 (no copy of it runs now)") || strings.Contains(got, "pid 0") {
		t.Errorf("status of a supervisor with no copy:\n%s", got)
	}
	r.ChildPID = 43
	if got := statusText(r); !strings.Contains(got, "program: /srv/web --port 80 (pid 43)") {
		t.Errorf("status of a supervisor with a copy:\n%s", got)
	}
}

// TestStatusProgramUptime: a program restarted since its supervisor started shows its own
// uptime beside its pid; one as old as its supervisor does not repeat it.
func TestStatusProgramUptime(t *testing.T) {
	r := statusReport{Name: "web", State: "running", PID: 42, Command: []string{"web"}, ChildPID: 43,
		UptimeSeconds: 600, ChildUptimeSeconds: 4.5}
	if got := statusText(r); !strings.Contains(got, "program: web (pid 43, up 4s)") {
		t.Errorf("status of a restarted program:\n%s", got)
	}
	r.ChildUptimeSeconds = 599.8
	if got := statusText(r); !strings.Contains(got, "program: web (pid 43)\n") {
		t.Errorf("status of a program as old as its supervisor:\n%s", got)
	}
}
