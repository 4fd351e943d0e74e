// Package http1 is the small part of HTTP/1.1 that daemonkit itself speaks: a server for
// the built-in demo (GET and HEAD of a few paths, keep-alive, a graceful drain) and a GET
// for readiness checks. It exists so that the daemonkit binary does not link net/http:
// net/http brings crypto/tls and some fifty packages whose initialisation and page faults
// every process of the binary paid, two or three times per `start -d`, for a server that
// answers three paths (docs/performance.md has the figures).
//
// What it does not do, on purpose: request bodies (a request that announces one is
// answered 413 or 501 and its connection closed), TLS, HTTP/2, trailers, 100-continue.
// Programs that need those link net/http themselves.
package http1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Request is one parsed request.
type Request struct {
	Method string     // "GET", "HEAD", ...
	Target string     // the request target as sent, e.g. "/work?d=1s"
	URL    *url.URL   // Target parsed; URL.Path is the path to route on
	Proto  string     // "HTTP/1.1" or "HTTP/1.0"
	Header url.Values // header fields by canonical name ("Content-Type"), in the order sent

	ctx       context.Context
	keepAlive bool // the client wants the connection kept open after the reply
}

// Context is cancelled when the client goes away, when its connection is closed, or when
// the server is closed.
func (r *Request) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// protocolError is a request the server answers with Status and then closes the
// connection.
type protocolError struct {
	Status int
	Reason string
}

func (e *protocolError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, statusText(e.Status), e.Reason)
}

func badRequest(format string, args ...any) error {
	return &protocolError{Status: 400, Reason: fmt.Sprintf(format, args...)}
}

// readRequest reads one request head (request line and header fields) from br, at most
// maxHeader bytes of it.
func readRequest(br *bufio.Reader, maxHeader int) (*Request, error) {
	budget := maxHeader
	line, err := readLine(br, &budget)
	if err != nil {
		return nil, err
	}
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || !isToken(method) || target == "" {
		return nil, badRequest("malformed request line %q", clip(line))
	}
	req := &Request{Method: method, Target: target, Proto: proto, Header: url.Values{}}
	switch proto {
	case "HTTP/1.1":
		req.keepAlive = true
	case "HTTP/1.0":
	default:
		if strings.HasPrefix(proto, "HTTP/") {
			return nil, &protocolError{Status: 505, Reason: "only HTTP/1.0 and HTTP/1.1"}
		}
		return nil, badRequest("malformed request line %q", clip(line))
	}
	if req.URL, err = url.ParseRequestURI(target); err != nil {
		return nil, badRequest("request target %q: %v", clip(target), err)
	}
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || !isToken(name) {
			return nil, badRequest("malformed header line %q", clip(line))
		}
		req.Header.Add(canonical(name), strings.Trim(value, " \t"))
	}
	return req, req.checkHead()
}

// checkHead applies what the header fields say about the connection and the body.
func (r *Request) checkHead() error {
	if r.Proto == "HTTP/1.1" && len(r.Header["Host"]) != 1 {
		return badRequest("an HTTP/1.1 request needs exactly one Host header")
	}
	for _, v := range r.Header["Connection"] {
		for _, opt := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(opt)) {
			case "close":
				r.keepAlive = false
			case "keep-alive":
				r.keepAlive = r.keepAlive || r.Proto == "HTTP/1.0"
			}
		}
	}
	if len(r.Header["Transfer-Encoding"]) > 0 {
		return &protocolError{Status: 501, Reason: "request bodies are not accepted"}
	}
	if cl := r.Header["Content-Length"]; len(cl) > 0 {
		n, err := strconv.ParseUint(cl[0], 10, 63)
		if len(cl) > 1 || err != nil {
			return badRequest("Content-Length %q", clip(strings.Join(cl, ",")))
		}
		if n > 0 {
			return &protocolError{Status: 413, Reason: "request bodies are not accepted"}
		}
	}
	return nil
}

// errHeaderTooLarge is a request head over the server's limit.
var errHeaderTooLarge = &protocolError{Status: 431, Reason: "request head too large"}

// readLine reads one CRLF- (or LF-) terminated line, charging it to budget.
func readLine(br *bufio.Reader, budget *int) (string, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		*budget -= len(frag)
		if *budget < 0 {
			return "", errHeaderTooLarge
		}
		line = append(line, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

// isToken: RFC 9110's token, the characters of methods and field names.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// canonical is a field name in the form net/http uses: "content-length" → "Content-Length".
func canonical(name string) string {
	b := []byte(name)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
	return string(b)
}

// clip keeps a quoted piece of a bad request short in an error.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// statusText is the reason phrase of the status codes this package sends.
func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 413:
		return "Content Too Large"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Status " + strconv.Itoa(code)
}
