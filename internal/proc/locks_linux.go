package proc

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// HoldsPOSIXLock reports whether pid holds a POSIX record lock (fcntl F_SETLK) on any file,
// as /proc/locks lists them; ok is false when that cannot be read. A daemon holds one on
// its pidfile for its whole life, even once the file is deleted or replaced, and lets it
// go only as it exits, after its last thread has closed its descriptors and before its
// leader shows as a zombie: a process that holds none is no working daemon.
func HoldsPOSIXLock(pid int) (holds, ok bool) {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false, false
	}
	want := []byte(strconv.Itoa(pid))
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// "1: POSIX  ADVISORY  WRITE 2244 00:19:1234 0 EOF"; a waiter's line has "->" after
		// the number, and is not a lock held.
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 5 && bytes.Equal(f[1], []byte("POSIX")) && bytes.Equal(f[4], want) {
			return true, true
		}
	}
	return false, true
}

// DeletedLockHolder returns the pid of the process that holds a POSIX write lock on the
// whole of a file that was at path and is deleted now (its descriptor's link in
// /proc/PID/fd reads "path (deleted)": the file removed, or replaced by another, alone or
// with its whole directory), and that names it, as a daemon's pidfile names its daemon; 0
// if none does, or that cannot be read (another user's process, to a caller not root, or
// one in another mount namespace, where the same path names another file). A daemon whose
// pidfile and record went with their directory, which it could not make again, is found
// so: by its lock, as a pidfile's holder always is.
func DeletedLockHolder(path string) int {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	// Each holder's descriptors are read once, however many locks it holds: a process
	// that holds thousands (byte ranges of a database) made a start take seconds.
	deleted := map[int][]fileID{}
	var mounts unix.Stat_t // this process's mount namespace
	if unix.Stat("/proc/self/ns/mnt", &mounts) != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// "1: POSIX  ADVISORY  WRITE 2244 00:19:1234 0 EOF": major and minor in hex; a
		// waiter's line has "->" after the number, and is not a lock held. A daemon's lock
		// covers the whole file, 0 to EOF: one on a part of it is a cleaner's
		// (pidfile.RemoveStale's, on byte 1), which holds it while it unlinks a stale pidfile.
		f := bytes.Fields(sc.Bytes())
		if len(f) < 8 || !bytes.Equal(f[1], []byte("POSIX")) || !bytes.Equal(f[3], []byte("WRITE")) ||
			!bytes.Equal(f[6], []byte("0")) || !bytes.Equal(f[7], []byte("EOF")) {
			continue
		}
		pid, err := strconv.Atoi(string(f[4]))
		id := bytes.Split(f[5], []byte(":"))
		if err != nil || pid < 2 || len(id) != 3 {
			continue
		}
		major, err1 := strconv.ParseUint(string(id[0]), 16, 32)
		minor, err2 := strconv.ParseUint(string(id[1]), 16, 32)
		ino, err3 := strconv.ParseUint(string(id[2]), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		files, ok := deleted[pid]
		if !ok {
			files = deletedFiles(pid, path, mounts)
			deleted[pid] = files
		}
		if slices.Contains(files, fileID{unix.Mkdev(uint32(major), uint32(minor)), ino}) {
			return pid
		}
	}
	return 0
}

// fileID is a file's device and inode number.
type fileID struct{ dev, ino uint64 }

// testHookReadFDs, when set by a test, is called with each pid whose descriptors
// deletedFiles reads.
var testHookReadFDs func(pid int)

// deletedFiles returns the files pid has open that were at path and are deleted: no link
// left (a file there whose own name ends in " (deleted)" reads the same), and naming pid,
// as its daemon's pidfile does (namesHolder). None where pid
// is in another mount namespace than mounts names: its path names another file than this
// one's (a container's, a service's with PrivateTmp), whatever the two paths read.
func deletedFiles(pid int, path string, mounts unix.Stat_t) []fileID {
	if testHookReadFDs != nil {
		testHookReadFDs(pid)
	}
	var ns unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/mnt", &ns) != nil || ns.Ino != mounts.Ino || ns.Dev != mounts.Dev {
		return nil
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var files []fileID
	for _, fd := range fds {
		if target, err := os.Readlink(dir + fd.Name()); err != nil || target != path+" (deleted)" {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(dir+fd.Name(), &st) == nil && st.Nlink == 0 && namesHolder(dir+fd.Name(), pid) {
			files = append(files, fileID{uint64(st.Dev), st.Ino})
		}
	}
	return files
}

// namesHolder reports whether the file open as fdPath (/proc/PID/fd/N) holds exactly pid,
// in decimal, optionally followed by one newline: what a daemon writes into its pidfile
// once it holds its lock, as this caller's pid namespace numbers it. A file that names
// another process, or none (a lock taken and nothing written yet; another program's lock
// file), is not that daemon's pidfile; nor is a daemon's in another pid namespace, whose
// pid there differs: the lookup fails closed, as stop must never signal on a guess.
func namesHolder(fdPath string, pid int) bool {
	f, err := os.Open(fdPath)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 33) // a pidfile holds at most 32 bytes (pidfile.ParsePID)
	n, _ := f.ReadAt(buf, 0)
	want := strconv.Itoa(pid)
	got := string(buf[:n])
	return got == want || got == want+"\n"
}
