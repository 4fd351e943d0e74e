package http1

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Get sends `GET rawURL` over HTTP/1.1 and returns the status code of the answer; it
// reads nothing past the status line and closes the connection. Only http URLs are
// accepted. ctx bounds the whole exchange. Errors are *url.Error, as net/http's are:
// `Get "http://127.0.0.1:8080/": dial tcp 127.0.0.1:8080: connect: connection refused`.
func Get(ctx context.Context, rawURL string) (int, error) {
	code, err := get(ctx, rawURL)
	if err != nil {
		return 0, &url.Error{Op: "Get", URL: rawURL, Err: err}
	}
	return code, nil
}

func get(ctx context.Context, rawURL string) (int, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return 0, errors.New("want an http://HOST[:PORT]/PATH URL")
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // then ctxErr reports ctx's error
	defer stop()

	var head strings.Builder
	head.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n")
	if u.User != nil {
		pass, _ := u.User.Password()
		head.WriteString("Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass)) + "\r\n")
	}
	head.WriteString("User-Agent: daemonkit\r\nAccept: */*\r\nConnection: close\r\n\r\n")
	if _, err := c.Write([]byte(head.String())); err != nil {
		return 0, ctxErr(ctx, err)
	}
	budget := 8 << 10
	line, err := readLine(bufio.NewReader(c), &budget)
	if err != nil {
		return 0, ctxErr(ctx, err)
	}
	proto, rest, _ := strings.Cut(line, " ")
	codeText, _, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if !strings.HasPrefix(proto, "HTTP/1.") || len(codeText) != 3 || err != nil || code < 100 {
		return 0, errors.New("malformed status line " + strconv.Quote(clip(line)))
	}
	return code, nil
}

// ctxErr prefers ctx's error to the one that closing the connection under it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
