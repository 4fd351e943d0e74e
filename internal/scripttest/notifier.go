//go:build linux

package scripttest

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// notifierMain is the `notifier [-delay D] [-status S] [-errno N] [-extend D] [-never]
// [-mainpid PID] [-fork [-forward]] [-linger D] [-hup]` program: a daemon that speaks sd_notify to
// $NOTIFY_SOCKET. It sends STATUS= and, after -delay, READY=1 (or ERRNO=N, or nothing with
// -never; EXTEND_TIMEOUT_USEC= first with -extend; MAINPID=PID with it, with -mainpid, its
// own pid for -mainpid -1, and alone with -never), prints what it sent, and runs until SIGTERM, which it answers,
// after -linger, with STOPPING=1 and exit 0; a second SIGTERM in that time ends it at once
// (as many a server gives its drain up), and it says so. With -hup it prints each SIGHUP it
// gets. With -fork, it runs all that as a child (its pid printed) and exits 0 at SIGTERM,
// at once; with -forward too, it passes the SIGTERM on to the child and exits once the
// child has, as a wrapper does.
func notifierMain() {
	delay := flag.Duration("delay", 0, "")
	status := flag.String("status", "", "")
	errno := flag.Int("errno", 0, "")
	extend := flag.Duration("extend", 0, "")
	never := flag.Bool("never", false, "")
	mainpid := flag.Int("mainpid", 0, "")
	fork := flag.Bool("fork", false, "")
	linger := flag.Duration("linger", 0, "")
	hup := flag.Bool("hup", false, "")
	forward := flag.Bool("forward", false, "")
	flag.Parse()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	if *fork {
		var args []string
		for _, a := range os.Args[1:] {
			if a != "-fork" && a != "-forward" {
				args = append(args, a)
			}
		}
		child := exec.Command(os.Args[0], args...)
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "notifier:", err)
			os.Exit(1)
		}
		fmt.Println("notifier forked", child.Process.Pid)
		<-term
		fmt.Println("notifier parent got TERM")
		if *forward {
			_ = child.Process.Signal(syscall.SIGTERM)
			_ = child.Wait()
		}
		os.Exit(0)
	}
	if *mainpid == -1 {
		*mainpid = os.Getpid()
	}
	if *hup {
		hups := make(chan os.Signal, 1)
		signal.Notify(hups, syscall.SIGHUP)
		go func() {
			for range hups {
				fmt.Println("notifier got HUP, pid", os.Getpid())
			}
		}()
	}
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
	case *mainpid > 0:
		send(fmt.Sprintf("MAINPID=%d", *mainpid)) // names its main process, and is never ready
	}
	<-term
	fmt.Println("notifier got TERM, pid", os.Getpid())
	select {
	case <-time.After(*linger): // a drain that takes its time
	case <-term:
		fmt.Println("notifier got TERM again, pid", os.Getpid(), ": drain given up")
		os.Exit(0)
	}
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
