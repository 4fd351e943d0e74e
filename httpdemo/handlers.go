package httpdemo

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/daemonkit/daemonkit/internal/http1"
)

// statusReply is the body of GET /status.
type statusReply struct {
	PID           int     `json:"pid"`
	Name          string  `json:"name"`
	Strategy      string  `json:"strategy"`
	StartedAt     string  `json:"started_at"` // RFC 3339, UTC
	UptimeSeconds float64 `json:"uptime_seconds"`
	Heartbeats    int64   `json:"heartbeats"` // heartbeat lines logged so far
	Listen        string  `json:"listen"`
}

const textPlain = "text/plain; charset=utf-8"

// route: GET (or HEAD) /healthz, /status and /work?d=DURATION; other paths 404, other
// methods 405.
func (b *demo) route(req *http1.Request) http1.Reply {
	var h func(*http1.Request) http1.Reply
	switch req.URL.Path {
	case "/healthz":
		h = func(*http1.Request) http1.Reply { return http1.Reply{ContentType: textPlain, Body: []byte("ok\n")} }
	case "/status":
		h = b.status
	case "/work":
		h = b.work
	default:
		return http1.Reply{Status: 404, ContentType: textPlain, Body: []byte("404 page not found\n")}
	}
	if req.Method != "GET" && req.Method != "HEAD" {
		return http1.Reply{Status: 405, ContentType: textPlain, Header: [][2]string{{"Allow", "GET, HEAD"}}, Body: []byte("Method Not Allowed\n")}
	}
	return h(req)
}

func (b *demo) status(*http1.Request) http1.Reply {
	body, err := json.Marshal(statusReply{
		PID:           os.Getpid(),
		Name:          b.cfg.Name,
		Strategy:      b.cfg.Strategy,
		StartedAt:     b.startedAt.UTC().Format(time.RFC3339),
		UptimeSeconds: time.Since(b.startedAt).Round(time.Millisecond).Seconds(),
		Heartbeats:    b.heartbeats.Load(),
		Listen:        b.listen,
	})
	if err != nil {
		return http1.Reply{Status: 500, ContentType: textPlain, Body: []byte(err.Error() + "\n")}
	}
	return http1.Reply{ContentType: "application/json", Body: append(body, '\n')}
}

// work answers after d (capped at maxWork), or gives up when the client goes away or its
// connection is closed; a graceful shutdown lets it finish.
func (b *demo) work(req *http1.Request) http1.Reply {
	d, err := time.ParseDuration(req.URL.Query().Get("d"))
	if err != nil || d < 0 {
		return http1.Reply{Status: 400, ContentType: textPlain, Body: []byte("want d=DURATION, a non-negative Go duration such as 300ms or 2s\n")}
	}
	d = min(d, maxWork)
	b.log.Debug("working", "duration", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		b.log.Debug("worked", "duration", d)
		return http1.Reply{ContentType: textPlain, Body: []byte(fmt.Sprintf("worked %s\n", d))}
	case <-req.Context().Done():
		b.log.Debug("work abandoned", "duration", d, "error", req.Context().Err())
		return http1.Reply{Status: 503}
	}
}
