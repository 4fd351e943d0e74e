package cli_test

import (
	"bufio"
	"net"
	"os"
)

// fakeControl listens on path as a process that is not the instance's supervisor (another
// user's, who bound the control socket's path once the supervisor's was deleted), keeps
// what each client sends in path.got, and answers that the upgrade succeeded, until
// killed.
func fakeControl(path string) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		line, _ := bufio.NewReader(c).ReadBytes('\n')
		if f, err := os.OpenFile(path+".got", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			_, _ = f.Write(line)
			f.Close()
		}
		_, _ = c.Write([]byte(`{"ok":true,"pid":1,"generation":99,"old_pid":1}` + "\n"))
		c.Close()
	}
}
