// Package supervisor is the workload that runs another program under the daemon runtime
// (start -- CMD): daemonkit holds the instance's lock and log, and the program is its
// child.
//
// A Supervisor starts the program in the instance's process group with /dev/null as its
// stdin and its stdout and stderr relayed, line by line and each line whole, into the log;
// it says ready only when the program is, by the readiness protocol chosen (exec: still
// alive after a grace period; sd_notify's READY=1; a TCP port accepting; an HTTP GET
// answering 2xx; a check command exiting 0; for a program that daemonizes itself, its
// first process exiting 0 and its pidfile naming the daemon it forked, which is adopted as
// the program only if it is a child of the supervisor); it passes TERM, INT, QUIT, HUP and
// USR2 on to the program; it is a child subreaper (Linux) and reaps every orphan that lands
// on it; the program gets SIGKILL from the kernel if the supervisor dies first (Linux: a
// parent-death signal, from a thread that never exits); it restarts the program by
// policy, with back-off; and it ends with the program's status.
// When it returns, no process of the instance is left but itself: what remains of its
// process group, and every child it adopted, is killed and reaped.
package supervisor
