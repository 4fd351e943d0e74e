package proc

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
// so: by its lock, as a pidfile's holder always is. It reads /proc/locks once, which
// costs the kernel an RCU grace period (see HoldsDeletedLock).
func DeletedLockHolder(path string) int {
	found := deletedLockHolders(func(link string) bool { return link == path })
	if len(found) == 0 {
		return 0
	}
	return found[0].pid
}

// DeletedLockHolders returns, for each deleted file of the directory dir (absolute and
// clean) that DeletedLockHolder would find by its path, dir/NAME, NAME and its holder's
// pid (the first /proc/locks lists): the daemons whose pidfiles went with dir, found by
// one read of /proc/locks for them all. nil if none, or that cannot be read.
func DeletedLockHolders(dir string) map[string]int {
	var found map[string]int
	for _, h := range deletedLockHolders(func(path string) bool { return filepath.Dir(path) == dir }) {
		if found == nil {
			found = map[string]int{}
		}
		if _, ok := found[filepath.Base(h.path)]; !ok {
			found[filepath.Base(h.path)] = h.pid
		}
	}
	return found
}

// held is a lock holder that deletedLockHolders found, and the path its file had.
type held struct {
	path string
	pid  int
}

// testHookReadLocks, when set by a test, is called at each read of /proc/locks.
var testHookReadLocks func()

// deletedLockHolders returns, in /proc/locks's order, each process that holds a POSIX
// write lock on the whole of a deleted file that names it (see DeletedLockHolder), with
// the path the file had, where want accepts that path.
func deletedLockHolders(want func(path string) bool) []held {
	if testHookReadLocks != nil {
		testHookReadLocks()
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return nil
	}
	// Each holder's descriptors are read once, however many locks it holds: a process
	// that holds thousands (byte ranges of a database) made a start take seconds.
	deleted := map[int][]deletedFile{}
	var mounts unix.Stat_t // this process's mount namespace
	if unix.Stat("/proc/self/ns/mnt", &mounts) != nil {
		return nil
	}
	var found []held
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		pid, id, ok := wholeFileLock(sc.Bytes())
		if !ok {
			continue
		}
		files, ok := deleted[pid]
		if !ok {
			files = deletedFiles(pid, want, mounts)
			deleted[pid] = files
		}
		for _, f := range files {
			if f.id == id {
				found = append(found, held{f.path, pid})
			}
		}
	}
	return found
}

// wholeFileLock parses a line of /proc/locks (or a "lock:" line of /proc/PID/fdinfo/N,
// after its tab), "1: POSIX  ADVISORY  WRITE 2244 00:19:1234 0 EOF" (major and minor in
// hex): the holder and the file of a POSIX write lock on the whole of a file; ok false for
// any other. A waiter's line has "->" after the number, and is not a lock held. A daemon's
// lock covers the whole file, 0 to EOF: one on a part of it is a cleaner's
// (pidfile.RemoveStale's, on byte 1), which holds it while it unlinks a stale pidfile.
func wholeFileLock(line []byte) (pid int, id fileID, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 8 || !bytes.Equal(f[1], []byte("POSIX")) || !bytes.Equal(f[3], []byte("WRITE")) ||
		!bytes.Equal(f[6], []byte("0")) || !bytes.Equal(f[7], []byte("EOF")) {
		return 0, fileID{}, false
	}
	pid, err := strconv.Atoi(string(f[4]))
	dev := bytes.Split(f[5], []byte(":"))
	if err != nil || pid < 2 || len(dev) != 3 {
		return 0, fileID{}, false
	}
	major, err1 := strconv.ParseUint(string(dev[0]), 16, 32)
	minor, err2 := strconv.ParseUint(string(dev[1]), 16, 32)
	ino, err3 := strconv.ParseUint(string(dev[2]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, fileID{}, false
	}
	return pid, fileID{unix.Mkdev(uint32(major), uint32(minor)), ino}, true
}

// HoldsDeletedLock reports whether pid holds a POSIX write lock on the whole of a deleted
// file that was at path and names it, as DeletedLockHolder finds it, read from pid's own
// descriptors alone (/proc/PID/fd and fdinfo): never /proc/locks, whose every read, from
// an idle start, waits for an RCU grace period (the kernel takes its file-lock semaphore
// for writing: 4-35 ms here, more on a loaded machine). It proves a holder that
// DeletedLockHolder found again, once a handle on it is open, at no such cost.
func HoldsDeletedLock(pid int, path string) bool {
	var mounts unix.Stat_t
	if pid < 2 || unix.Stat("/proc/self/ns/mnt", &mounts) != nil {
		return false
	}
	info := "/proc/" + strconv.Itoa(pid) + "/fdinfo/"
	for _, f := range deletedFiles(pid, func(link string) bool { return link == path }, mounts) {
		b, err := os.ReadFile(info + f.fd)
		if err != nil {
			continue
		}
		for line := range bytes.Lines(b) {
			if rest, ok := bytes.CutPrefix(line, []byte("lock:\t")); ok {
				if holder, id, ok := wholeFileLock(rest); ok && holder == pid && id == f.id {
					return true
				}
			}
		}
	}
	return false
}

// fileID is a file's device and inode number.
type fileID struct{ dev, ino uint64 }

// deletedFile is a deleted file a process has open: its descriptor, the path it had, and
// its device and inode.
type deletedFile struct {
	fd, path string
	id       fileID
}

// testHookReadFDs, when set by a test, is called with each pid whose descriptors
// deletedFiles reads.
var testHookReadFDs func(pid int)

// deletedFiles returns the files pid has open that were at a path want accepts and are
// deleted: no link left (a file there whose own name ends in " (deleted)" reads the same),
// and naming pid, as its daemon's pidfile does (namesHolder). None where pid is in another
// mount namespace than mounts names: its path names another file than this one's (a
// container's, a service's with PrivateTmp), whatever the two paths read.
func deletedFiles(pid int, want func(path string) bool, mounts unix.Stat_t) []deletedFile {
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
	var files []deletedFile
	for _, fd := range fds {
		target, err := os.Readlink(dir + fd.Name())
		path, cut := strings.CutSuffix(target, " (deleted)")
		if err != nil || !cut || !want(path) {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(dir+fd.Name(), &st) == nil && st.Nlink == 0 && namesHolder(pid, fd.Name()) {
			files = append(files, deletedFile{fd.Name(), path, fileID{uint64(st.Dev), st.Ino}})
		}
	}
	return files
}

// namesHolder reports whether the file pid has open as descriptor fd holds exactly pid,
// in decimal, optionally followed by one newline: what a daemon writes into its pidfile
// once it holds its lock, as this caller's pid namespace numbers it. A file that names
// another process, or none (a lock taken and nothing written yet; another program's lock
// file), is not that daemon's pidfile; nor is a daemon's in another pid namespace, whose
// pid there differs: the lookup fails closed, as stop must never signal on a guess.
//
// Another process's file is read through /proc/PID/fd/N, opened anew. This process's own
// is read through the descriptor it has: closing a second descriptor of a file lets go of
// every POSIX lock the process holds on it, and this process may be the daemon.
func namesHolder(pid int, fd string) bool {
	buf := make([]byte, 33) // a pidfile holds at most 32 bytes (pidfile.ParsePID)
	var n int
	if pid == os.Getpid() {
		num, err := strconv.Atoi(fd)
		if err != nil {
			return false
		}
		if n, err = unix.Pread(num, buf, 0); err != nil {
			return false
		}
	} else {
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fd/" + fd)
		if err != nil {
			return false
		}
		n, _ = f.ReadAt(buf, 0)
		f.Close()
	}
	want := strconv.Itoa(pid)
	got := string(buf[:n])
	return got == want || got == want+"\n"
}
