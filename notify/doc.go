// Package notify is the manager's side of systemd's sd_notify protocol: a supervisor makes a
// Socket, starts a program with NOTIFY_SOCKET set to its Path, and learns from Receive when
// the program is ready (READY=1), what it says of itself (STATUS=, ERRNO=), which process is
// its main one (MAINPID=), and when it wants more time (EXTEND_TIMEOUT_USEC=).
//
//	s, err := notify.Listen(dir) // dir: private to the supervisor
//	cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+s.Path())
//	cmd.Start()
//	s.Accept = notify.Descendant(cmd.Process.Pid)
//	go func() { for { m, err := s.Receive(ctx); ...; msgs <- m } }() // select on msgs
//
// Guarantees, for each datagram received:
//
//   - It is delivered only if it carries the sender's credentials (the kernel attaches them
//     on Linux, as the socket has SO_PASSCRED), is at most MaxDatagram (4096) bytes, comes
//     from a pid that Accept accepts, and Parse does not reject it (a NUL byte inside).
//     Anything else is dropped, never delivered, and told to OnReject with the reason. A
//     datagram longer than MaxDatagram is dropped whole, never truncated.
//   - Its fields are parsed as systemd parses them (see Parse); a malformed value costs
//     only its own field and is reported in Message.Err.
//   - Every descriptor it carries is closed before Receive returns, whether it is delivered
//     or dropped: so `systemd-notify --ready`, which sends BARRIER=1 with a pipe after
//     READY=1 and waits for the manager to close it, returns at once. By then every
//     datagram queued before the barrier has been returned or dropped, as a barrier asks.
//     They are closed after the checks, as closing them releases a sender that may then
//     exit before Accept sees its pid.
//
// Keep calling Receive for as long as the program runs, not only until READY=1: a
// datagram waits in the socket until it is read, so an unread barrier keeps its sender
// (systemd-notify gives up after 5 seconds, and fails), and a full queue blocks senders.
//
// The pid is the kernel's word, with two limits. A process with CAP_SYS_ADMIN may name any
// pid: systemd-notify run as root names its parent (the shell that ran it), not itself. And
// a pid is read when the datagram is, so a sender that has exited by then cannot be shown to
// descend from the program (Descendant refuses it).
//
// Only Linux is supported; elsewhere Listen returns ErrUnsupported.
package notify
