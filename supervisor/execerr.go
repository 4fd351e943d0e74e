package supervisor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/daemonkit/daemonkit/launcher"
)

// explainExec adds to err, the error of executing path, why the kernel said "no such file
// or directory" of a file that exists: what it needs to run is missing. A script's #! line
// names an interpreter that is not there, or ends in a carriage return (a script saved
// with DOS line endings, whose interpreter is then "/bin/sh\r"); a binary needs a dynamic
// loader (its ELF interpreter) that this system does not have, as a binary built for
// glibc has none on Alpine. Of "permission denied" it says what the file's modes refuse
// the user it runs as, cred (nil: this process's): see deniedWhy. Of a name that the
// lookup found nowhere because PATH is unset or empty (env -i, a bare crontab or unit), it
// says so, and the fix. Of a limit that refused the start (fork's EAGAIN: ulimit -u; EMFILE:
// ulimit -n; ENFILE), which one, its value and how to raise it: launcher.ExplainLimit, the
// launcher's own. Any other error is returned as it is.
func explainExec(path string, err error, cred *syscall.Credential) error {
	uid := os.Getuid()
	if cred != nil {
		uid = int(cred.Uid) // the exec after the change of user is refused for that user's count
	}
	if explained := launcher.ExplainLimitAs(err, uid); explained != err {
		return explained
	}
	if errors.Is(err, exec.ErrNotFound) {
		return explainNoPATH(err, path, os.Getenv("PATH"))
	}
	if errors.Is(err, fs.ErrPermission) { // EACCES from exec(2), or exec.LookPath's own
		return explainDenied(path, err, cred)
	}
	if errors.Is(err, syscall.ENOEXEC) {
		return explainNoExec(path, err)
	}
	if !errors.Is(err, syscall.ENOENT) {
		return err
	}
	f, oerr := os.Open(path)
	if oerr != nil {
		return err // the file itself is missing
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("#!")):
		line, _, _ := bytes.Cut(head[2:], []byte("\n"))
		if bytes.HasSuffix(line, []byte("\r")) {
			return fmt.Errorf("%w: its #! line ends in a carriage return (the script has DOS line endings: convert it, as dos2unix does)", err)
		}
		if fields := strings.Fields(string(line)); len(fields) > 0 {
			return fmt.Errorf("%w: the interpreter its #! line names, %s, does not exist", err, fields[0])
		}
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		if interp := elfInterpreter(f); interp != "" {
			return fmt.Errorf("%w: the dynamic loader it needs, %s, does not exist here (a binary built for another system, or a missing package)", err, interp)
		}
	}
	return err
}

// explainNoPATH adds to err, a name not found in PATH, pathList, that PATH is empty, and
// the fix, when it is; any other err is returned as it is.
func explainNoPATH(err error, name, pathList string) error {
	if pathList != "" {
		return err
	}
	return fmt.Errorf("%w: PATH is not set in daemonkit's environment, so no program named without a slash is found: give its full path (/usr/bin/%s), or set PATH (PATH=/usr/bin:/bin before the command)", err, name)
}

// explainNoExec adds to err, the "exec format error" of executing path, what a text file
// lacks: a #! line naming its interpreter (a shell runs such a script with itself, exec(2)
// does not), or says it is a binary for another machine.
func explainNoExec(path string, err error) error {
	f, oerr := os.Open(path)
	if oerr != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	switch {
	case bytes.HasPrefix(head[:n], []byte("\x7fELF")):
		return fmt.Errorf("%w: a binary for another machine or system", err)
	case n > 0 && !bytes.HasPrefix(head[:n], []byte("#!")):
		return fmt.Errorf("%w: it has no #! line to name its interpreter: begin it with #!/bin/sh, or run it as sh %s", err, path)
	}
	return err
}

// elfInterpreter returns the path in an ELF file's PT_INTERP program header (its dynamic
// loader), up to its first NUL, or "" if it has none or cannot be read. A damaged file's
// headers are bounds-checked, never trusted.
func elfInterpreter(f io.ReaderAt) string {
	ident := make([]byte, 64)
	if _, err := f.ReadAt(ident, 0); err != nil {
		return ""
	}
	var order binary.ByteOrder = binary.LittleEndian
	if ident[5] == 2 { // EI_DATA: ELFDATA2MSB
		order = binary.BigEndian
	}
	var phoff uint64
	var phentsize, phnum, minPhentsize uint16
	switch ident[4] { // EI_CLASS
	case 1: // ELFCLASS32
		phoff, phentsize, phnum = uint64(order.Uint32(ident[28:])), order.Uint16(ident[42:]), order.Uint16(ident[44:])
		minPhentsize = 32 // sizeof(Elf32_Phdr)
	case 2: // ELFCLASS64
		phoff, phentsize, phnum = order.Uint64(ident[32:]), order.Uint16(ident[54:]), order.Uint16(ident[56:])
		minPhentsize = 56 // sizeof(Elf64_Phdr)
	default:
		return ""
	}
	if phentsize < minPhentsize || phnum > 256 {
		return ""
	}
	ph := make([]byte, phentsize)
	for i := range uint64(phnum) {
		if _, err := f.ReadAt(ph, int64(phoff+i*uint64(phentsize))); err != nil || order.Uint32(ph) != 3 { // PT_INTERP
			continue
		}
		var off, size uint64
		if ident[4] == 1 {
			off, size = uint64(order.Uint32(ph[4:])), uint64(order.Uint32(ph[16:]))
		} else {
			off, size = order.Uint64(ph[8:]), order.Uint64(ph[32:])
		}
		if size == 0 || size > 4096 {
			return ""
		}
		b := make([]byte, size)
		if _, err := f.ReadAt(b, int64(off)); err != nil {
			return ""
		}
		path, _, _ := bytes.Cut(b, []byte{0}) // the kernel reads it as a C string
		return string(path)
	}
	return ""
}
