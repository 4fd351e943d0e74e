//go:build linux

package scripttest

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// notifierMain is the `notifier [-delay D] [-status S] [-errno N] [-extend D] [-never]
// [-mainpid PID]` program: a daemon that speaks sd_notify to $NOTIFY_SOCKET. It sends
// STATUS= and, after -delay, READY=1 (or ERRNO=N, or nothing with -never; EXTEND_TIMEOUT_USEC=
// first with -extend; MAINPID=PID with it, with -mainpid), prints what it sent, and runs
// until SIGTERM, which it answers with STOPPING=1 and exit 0.
func notifierMain() {
	delay := flag.Duration("delay", 0, "")
	status := flag.String("status", "", "")
	errno := flag.Int("errno", 0, "")
	extend := flag.Duration("extend", 0, "")
	never := flag.Bool("never", false, "")
	mainpid := flag.Int("mainpid", 0, "")
	flag.Parse()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	send := func(msg string) {
		conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "notifier:", err)
			os.Exit(1)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte(msg)); err != nil {
			fmt.Fprintln(os.Stderr, "notifier:", err)
			os.Exit(1)
		}
		fmt.Println("notifier sent", strings.ReplaceAll(msg, "\n", " "))
	}
	if *status != "" {
		send("STATUS=" + *status)
	}
	if *extend > 0 {
		send(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", extend.Microseconds()))
	}
	select {
	case <-time.After(*delay):
	case <-term:
		os.Exit(0)
	}
	switch {
	case *errno != 0:
		send(fmt.Sprintf("ERRNO=%d", *errno))
	case !*never && *mainpid > 0:
		send(fmt.Sprintf("READY=1\nSTATUS=serving\nMAINPID=%d", *mainpid))
	case !*never:
		send("READY=1\nSTATUS=serving")
	}
	<-term
	send("STOPPING=1")
	os.Exit(0)
}

// httpServeMain is the `httpserve ADDR` program: an HTTP server that answers every GET
// with 200 "hello", until SIGTERM.
func httpServeMain() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: httpserve ADDR")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpserve:", err)
		os.Exit(1)
	}
	fmt.Println("httpserve listening on", ln.Addr())
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	}()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	<-term
}
