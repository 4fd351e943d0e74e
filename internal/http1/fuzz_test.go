package http1

import (
	"bufio"
	"strings"
	"testing"
)

// FuzzReadRequest: whatever bytes a client sends, readRequest never panics, never reads a
// head past its limit, and what it accepts is a request the server can route: a token
// method, HTTP/1.0 or 1.1, a target that parsed, and no body.
func FuzzReadRequest(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /work?d=1s HTTP/1.0\r\n\r\n",
		"HEAD /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET http://x/a?b=c HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.1\nHost: x\n\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"\r\n",
	} {
		f.Add(seed)
	}
	const limit = 256
	f.Fuzz(func(t *testing.T, raw string) {
		r := &countingReader{r: strings.NewReader(raw)}
		req, err := readRequest(bufio.NewReaderSize(r, 16), limit)
		if err != nil {
			return
		}
		if !isToken(req.Method) || (req.Proto != "HTTP/1.0" && req.Proto != "HTTP/1.1") || req.URL == nil {
			t.Fatalf("accepted %q as %+v", raw, req)
		}
		if len(req.Header["Transfer-Encoding"]) > 0 {
			t.Fatalf("accepted a body: %q", raw)
		}
		if r.n > limit+16 { // what bufio read ahead, at most one buffer past the limit
			t.Fatalf("read %d bytes of a head limited to %d", r.n, limit)
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
