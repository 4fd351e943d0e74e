package instance

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/pidfile"
)

// A log's claim tells which instance writes a log, so that a start of any other instance
// (another name, or the same name with its pidfile elsewhere) that would write it too can
// be refused without reading every record of the state directory. Each start records the
// claim in the state directory of the command, as small hidden files that name the
// instance (its name, pidfile, record) and its log: .log-<key>.claim, one keyed by the
// log's path, its directory resolved (symbolic links), and one keyed by its directory's
// device and inode and its base name once the directory exists (a bind mount, a directory
// reached through another mount), which stays the same when logrotate replaces the file,
// so that the claims are one or two files per log, not one per rotation. (A log with
// other hard links is refused by the daemon itself.) A claim is only a pointer:
// it counts while the instance it names runs, is ready, and writes that log (its record of
// the run says so), and is overwritten by the next start whose log it is; a claim left by
// a start that failed, a stopped instance, or an instance since started (or starting) with
// another log, says nothing.
//
// A start holds the flock of its log's claim files from its check to its daemon's
// readiness, so that two starts with one log (of two names, which hold two start locks)
// are decided one after the other: the second finds the first's daemon. The lock is on
// the claim files, never on the log itself: a program's own lock on its log, logrotate's
// copytruncate and tail tools are left alone. Lock order: a start lock first, then the
// claim of the path, then that of the directory's; the record lock last (see lockRecord).
//
// Instances of other state directories leave their claims there, and are not seen. The
// instances that a daemonkit without claims started are given theirs once, by the first
// claim in the state directory (migrateClaims); one it starts after that is not seen.

// LogWriter is an instance that writes a log, as its claim names it.
type LogWriter struct {
	Paths
	// PID is its daemon's; 0 if unknown.
	PID int `json:"-"`
}

// LogClaim is a log's claim, held by this process: its files, flocked, until Release.
type LogClaim struct {
	own      Paths
	stateDir string
	fds      []int
	paths    []string // the claim files of fds
	byDir    bool     // the claim keyed by the log's directory's identity is held or written
	recorded bool     // own is recorded as the log's writer: the claim was granted
}

// ErrLogClaimBusy is ClaimLog's error when another start with the log holds its claim
// past the wait.
var ErrLogClaimBusy = errors.New("another start with this log is under way")

// claimPoll bounds the wait between two tries of a claim's lock: a release wakes nobody.
const claimPoll = 10 * time.Millisecond

// ClaimLog takes the claim of p.Log in stateDir for the instance at p, waiting at most
// within (or until ctx ends) for another start that holds it. It returns the claim, held,
// with p recorded as its writer; or, taking nothing, the other instance that runs and
// writes that log (writer not nil): one that starts with that log holds its claim until
// it is ready, and is waited for. The error is only ErrLogClaimBusy (with
// the instance that the holder's claim names) or ctx's: a claim that cannot be made (no
// state directory, a read-only one, a claim file that is not this user's) is skipped, and
// the check is then made with what can be read. A log that is not a regular file
// (/dev/null, a FIFO, a terminal) has no claim: the claim is nil, and so is writer.
func ClaimLog(ctx context.Context, stateDir string, p Paths, within time.Duration) (claim *LogClaim, writer *LogWriter, err error) {
	if p.Log == "" || stateDir == "" {
		return nil, nil, nil
	}
	if fi, err := os.Stat(p.Log); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, nil
	}
	migrateClaims(stateDir)
	indexClaims(stateDir)
	c := &LogClaim{own: p, stateDir: stateDir}
	keys := claimKeys(p.Log)
	c.byDir = len(keys) > 1
	deadline := time.Now().Add(within)
	var stale []int // the claims that name another, or nobody: to write
	for _, key := range keys {
		fd, err := lockClaim(ctx, c.path(key), deadline)
		if err != nil {
			c.Release()
			return nil, nil, err
		}
		if fd < 0 {
			continue // a claim that cannot be made: the check goes on with the others
		}
		c.fds, c.paths = append(c.fds, fd), append(c.paths, c.path(key))
		was := readClaim(fd)
		if w := writerOf(was, p); w != nil {
			c.Release()
			return nil, w, nil
		}
		if was != claimOf(p) {
			stale = append(stale, fd)
		}
	}
	// Before the claim, so that a reader that finds it finds its marker; and even when the
	// claim is as it was, which an older daemonkit may have written without its marker.
	mark := markClaim(stateDir, claimOf(p))
	for _, fd := range stale {
		writeClaim(fd, p)
	}
	releaseMarker(mark)
	c.recorded = true
	return c, nil, nil
}

// Release records the claim keyed by the log's directory's identity, if the claim was
// granted and the directory exists now and did not (the daemon made it), and gives the
// claim's locks up; the files of a claim that was refused, which name nobody (made by
// this try), are removed. A nil claim, or one released already, is a no-op.
func (c *LogClaim) Release() {
	if c == nil {
		return
	}
	if c.recorded && !c.byDir {
		c.byDir = true
		if key, ok := dirKey(c.own.Log); ok {
			// Not waited for: only a start through another name of the directory made
			// just now could hold it.
			if fd, _ := lockClaim(context.Background(), c.path(key), time.Now()); fd >= 0 {
				mark := markClaim(c.stateDir, claimOf(c.own))
				writeClaim(fd, c.own)
				releaseMarker(mark)
				_ = unix.Close(fd)
			}
		}
	}
	for i, fd := range c.fds {
		if !c.recorded && readClaim(fd) == (claimed{}) {
			_ = os.Remove(c.paths[i]) // locked, and the file at the path (lockClaim)
		}
		_ = unix.Close(fd) // closing the only descriptor gives the flock up
	}
	c.fds, c.paths = nil, nil
}

// Forget gives the claim up, as Release does, and removes its files that name its
// instance (or nobody), for a start that failed of an instance that never ran and left
// no record: a mistyped start leaves nothing, not even claims that delete, finding no
// instance, would not remove. A nil claim, or one released already, is a no-op.
func (c *LogClaim) Forget() {
	if c == nil {
		return
	}
	for i, fd := range c.fds {
		if was := readClaim(fd); was == claimOf(c.own) || was == (claimed{}) {
			_ = os.Remove(c.paths[i]) // locked, and the file at the path (lockClaim)
		}
		_ = unix.Close(fd)
	}
	c.fds, c.paths = nil, nil
	c.recorded = false // nor does Release record it by the directory the daemon made
}

// RemoveLogClaims removes, from the state directory stateDir, the claim files that name
// the instance at p, for an instance whose record is gone for good (delete): those that
// name its pidfile, whatever log they are of (an earlier run's with another --log, a log
// directory made anew, whose keys its log no longer gives), and those of its name whose
// pidfile, another since (a state directory moved), nobody holds. A claim held by a start
// under way, one that names another instance or a running one (its own pidfile held: a
// start since delete's look), or one that is not this user's, stays. The marker of its name (markClaim) goes too, once no claim names an
// instance of that name whose pidfile is elsewhere (unmarkName).
func RemoveLogClaims(stateDir string, p Paths) {
	if stateDir == "" {
		return
	}
	claims, _ := filepath.Glob(claimFile(stateDir, "*"))
	for _, path := range claims {
		removeLocked(path, func(fd int) bool {
			was := readClaim(fd)
			if was.Name != p.Name {
				return false
			}
			st, err := pidfile.Probe(was.PIDFile)
			if was.PIDFile == p.PIDFile {
				return err != nil || st.State != pidfile.Running // held: a start meanwhile's
			}
			return err == nil && st.State != pidfile.Running
		})
	}
	unmarkName(stateDir, p.Name)
}

// path is the claim file of key in the state directory.
func (c *LogClaim) path(key string) string { return claimFile(c.stateDir, key) }

// claimFile is the claim file of key in stateDir; of key "*", the pattern of them all.
func claimFile(stateDir, key string) string {
	return filepath.Join(stateDir, ".log-"+key+".claim")
}

// pathKey keys a claim by the log's path, its directory's symbolic links resolved.
func pathKey(log string) string {
	return "p" + claimHash([]byte(resolvedPath(storedLog(log))))
}

// storedLog is log under the name its directory lists it by, where the file system folds
// case and log is there under another case (FL.log for fl.log on vfat): one file, one
// claim, whatever case each start gives. Elsewhere log as it is, for two lstat calls
// (otherCase reads the directory only where both cases answer).
func storedLog(log string) string {
	dir, file := filepath.Split(log)
	if stored := otherCase(dir, file, swapCase(file)); stored != "" {
		return filepath.Join(dir, stored)
	}
	return log
}

// dirKey keys a claim by the device and inode of the log's directory and the log's base
// name; false when the directory is not there (yet).
func dirKey(log string) (string, bool) {
	log = storedLog(log)
	fi, err := os.Stat(filepath.Dir(log))
	if err != nil {
		return "", false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return "d" + claimHash(fmt.Appendf(nil, "%d %d %s", st.Dev, st.Ino, filepath.Base(log))), true
}

// claimHash is b's FNV-1a 128-bit hash in hex: a claim file's name, short and the same in
// every process. Not crypto/sha256, which would link and initialise some thirty packages
// in every process of the binary for a name that needs no secrecy; two logs whose keys
// collided would share claim files, and each start would still compare the logs
// themselves (writerOf) before it refused anything.
func claimHash(b []byte) string {
	h := fnv.New128a()
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// resolvedPath is path with the symbolic links of its directory resolved, as far as they
// lead: where the directory does not exist yet (the daemon makes it), its longest
// existing ancestor is resolved, and a dangling link is followed to where it points, so
// that two starts naming one log that is not there yet, through a link and not, key its
// claim alike and are decided one after the other.
func resolvedPath(path string) string {
	path = filepath.Clean(path)
	dir, rest := filepath.Dir(path), filepath.Base(path)
	for hops := 0; hops < 40; hops++ { // as the kernel's bound on links in a path
		if resolved, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(resolved, rest)
		}
		if target, err := os.Readlink(dir); err == nil { // dangling: where it points
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(dir), target)
			}
			dir = filepath.Clean(target)
			continue
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir, rest = parent, filepath.Join(filepath.Base(dir), rest)
	}
	return path
}

// sameLog reports whether the logs a and b are one file: the same path, directories
// resolved, or the same device and inode.
func sameLog(a, b string) bool {
	if a == b || resolvedPath(a) == resolvedPath(b) {
		return true
	}
	ai, aerr := os.Stat(a)
	bi, berr := os.Stat(b)
	return aerr == nil && berr == nil && os.SameFile(ai, bi)
}

// lockClaim opens (making it if need be) the claim file at path and flocks it, trying
// again until deadline or ctx's end. It returns the descriptor, locked, of the file at the
// path (one removed meanwhile, by RemoveLogClaims, is given up and the path's taken
// anew); -1 and no error for a claim that cannot be made or is not this user's regular
// file; ErrLogClaimBusy, naming who the claim names, when it stays held.
func lockClaim(ctx context.Context, path string, deadline time.Time) (int, error) {
	for range maxRecordLockOpens {
		fd, err := lockClaimFile(ctx, path, deadline)
		if fd < 0 || isFileAt(fd, path) {
			return fd, err
		}
		_ = unix.Close(fd) // a removed file's lock, which nobody else looks for
	}
	return -1, nil
}

// lockClaimFile is lockClaim for the file it opens at path, whether or not it is still
// there once locked.
func lockClaimFile(ctx context.Context, path string, deadline time.Time) (int, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, nil
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || int(st.Uid) != os.Geteuid() || st.Mode&unix.S_IFMT != unix.S_IFREG {
		_ = unix.Close(fd)
		return -1, nil
	}
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return fd, nil
		case !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR):
			_ = unix.Close(fd)
			return -1, nil
		case ctx.Err() != nil || time.Now().After(deadline):
			w := readClaim(fd)
			_ = unix.Close(fd)
			if ctx.Err() != nil {
				return -1, context.Cause(ctx)
			}
			if w.Name != "" {
				return -1, fmt.Errorf("%w (instance %s, pidfile %s)", ErrLogClaimBusy, w.Name, w.PIDFile)
			}
			return -1, ErrLogClaimBusy
		}
		select {
		case <-ctx.Done():
		case <-time.After(claimPoll):
		}
	}
}

// claimed is a claim file's content.
type claimed struct {
	Name    string `json:"name"`
	PIDFile string `json:"pidfile"`
	Record  string `json:"record"`
	Log     string `json:"log"`
}

// readClaim reads the claim file fd; empty when it names nobody.
func readClaim(fd int) claimed {
	buf := make([]byte, 16<<10)
	n, _ := unix.Pread(fd, buf, 0)
	var c claimed
	if n <= 0 || json.Unmarshal(buf[:n], &c) != nil {
		return claimed{}
	}
	return c
}

// claimOf is the claim that names p as its log's writer.
func claimOf(p Paths) claimed {
	return claimed{Name: p.Name, PIDFile: p.PIDFile, Record: p.Record, Log: p.Log}
}

// writeClaim records p as the writer of its log in the claim file fd, in place (every
// reader holds the lock).
func writeClaim(fd int, p Paths) {
	b, err := json.Marshal(claimOf(p))
	if err != nil {
		return
	}
	if unix.Ftruncate(fd, 0) == nil {
		_, _ = unix.Pwrite(fd, append(b, '\n'), 0)
	}
}

// writerOf is the instance that the claim c names, when it is not own, runs and is ready,
// and writes own's log: its record of this run names that log (or, when the record cannot
// be read, the claim does). Otherwise nil.
//
// Its caller holds the claim's lock, and every start with a log (start -d, a foreground
// start with --log, a restart from before its stop) holds that log's claim from its check
// until its daemon is ready, with its record written: so no start with this log is under
// way. An instance that is starting, not ready yet, starts with another log, and what
// names this one (the claim, its previous run's record) is of a run that has ended.
func writerOf(c claimed, own Paths) *LogWriter {
	if c.PIDFile == "" || c.Name == "" || c.PIDFile == own.PIDFile || sameLog(c.PIDFile, own.PIDFile) {
		return nil
	}
	p := Paths{Name: c.Name, PIDFile: c.PIDFile, Record: c.Record, Log: c.Log}
	if p.Record == "" {
		p.Record = p.RecordBeside()
	}
	st, err := Inspect(p)
	if err != nil || !st.Running() || st.Starting {
		return nil
	}
	if st.Record != nil {
		p.Log = st.Record.Log
	}
	if p.Log == "" || !sameLog(p.Log, own.Log) {
		return nil
	}
	return &LogWriter{Paths: p, PID: st.PID()}
}

// claimsKept is the file, in a state directory, that says that every instance running
// there has its log's claims: the instances started before claims were kept were given
// theirs (migrateClaims), and every start since keeps its own.
const claimsKept = ".log-claims-kept"

// migrateClaims gives every running instance of the state directory dir that its log's
// claims do not name yet (one started by a daemonkit that kept no claims) its claims, once
// for the directory: it reads every record of dir, then leaves claimsKept, after which it
// reads nothing. A claim that names another running writer of the log (two instances that
// were started on one log before) is left as it is. In a directory this user cannot write
// (another user's, a read-only mount), where neither claims nor claimsKept can be made, it
// reads nothing either: every start would read every record again, for nothing.
func migrateClaims(dir string) {
	marker := filepath.Join(dir, claimsKept)
	if _, err := os.Lstat(marker); err == nil {
		return
	}
	if unix.Faccessat(unix.AT_FDCWD, dir, unix.W_OK, unix.AT_EACCESS) != nil {
		return
	}
	if testHookMigrating != nil {
		testHookMigrating()
	}
	entries, err := List(Layout{StateDir: dir})
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Err != nil || !e.Status.Running() || e.Status.Record == nil || e.Status.Record.Log == "" {
			continue
		}
		p := e.Paths
		p.Log = e.Status.Record.Log
		c := &LogClaim{own: p, stateDir: dir}
		for _, key := range claimKeys(p.Log) {
			fd, _ := lockClaim(context.Background(), c.path(key), time.Now()) // a start holds it: it claims
			if fd < 0 {
				continue
			}
			if was := readClaim(fd); writerOf(was, p) == nil && was != claimOf(p) {
				mark := markClaim(dir, claimOf(p))
				writeClaim(fd, p)
				releaseMarker(mark)
			}
			_ = unix.Close(fd)
		}
	}
	if fd, err := unix.Open(marker, unix.O_WRONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600); err == nil {
		_ = unix.Close(fd)
	}
}

// testHookMigrating, when set by a test, runs when migrateClaims is about to read the
// records of the state directory.
var testHookMigrating func()

// claimKeys are the keys of log's claims: by its path, and by its directory's identity
// when the directory is there.
func claimKeys(log string) []string {
	keys := []string{pathKey(log)}
	if key, ok := dirKey(log); ok {
		keys = append(keys, key)
	}
	return keys
}
