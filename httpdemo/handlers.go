package httpdemo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
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

// routes: GET /healthz, GET /status, GET /work?d=DURATION; other paths 404, other methods
// 405 (ServeMux does both).
func (b *demo) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok\n")
	})
	mux.HandleFunc("GET /status", b.status)
	mux.HandleFunc("GET /work", b.work)
	return mux
}

func (b *demo) status(w http.ResponseWriter, _ *http.Request) {
	reply := statusReply{
		PID:           os.Getpid(),
		Name:          b.cfg.Name,
		Strategy:      b.cfg.Strategy,
		StartedAt:     b.startedAt.UTC().Format(time.RFC3339),
		UptimeSeconds: time.Since(b.startedAt).Round(time.Millisecond).Seconds(),
		Heartbeats:    b.heartbeats.Load(),
		Listen:        b.listen,
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(reply); err != nil {
		b.log.Debug("write status reply", "error", err)
	}
}

// work answers after d (capped at maxWork), or gives up when the client goes away or its
// connection is closed; a graceful shutdown lets it finish.
func (b *demo) work(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("d"))
	if err != nil || d < 0 {
		http.Error(w, "want d=DURATION, a non-negative Go duration such as 300ms or 2s", http.StatusBadRequest)
		return
	}
	d = min(d, maxWork)
	b.log.Debug("working", "duration", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "worked %s\n", d)
	case <-r.Context().Done():
		b.log.Debug("work abandoned", "duration", d, "error", r.Context().Err())
	}
}
