package cli

import "path/filepath"

// movedTo takes req's files that went with its record in the record's directory now, at
// record (the path the record was read at), where the directory was moved or copied since
// (mv, a backup restored, a container image's layer): the pidfile and, if it was beside
// them, the log. So the daemon restart starts is this directory's instance, the one status
// and stop then find, never one in the old directory, made again there. A record read where
// it was written, a directory named through another path (a symlink) included, is left as
// it is, and so are files that were elsewhere (--pidfile or --log in another directory).
func (req *request) movedTo(record string) {
	old, now := filepath.Dir(req.Record), filepath.Dir(record)
	if req.Record == "" || old == now || filepath.Base(req.Record) != filepath.Base(record) {
		return
	}
	if filepath.Dir(req.PIDFile) == old {
		req.PIDFile = filepath.Join(now, filepath.Base(req.PIDFile))
	}
	if req.Log != "" && filepath.Dir(req.Log) == old {
		req.Log = filepath.Join(now, filepath.Base(req.Log))
	}
	req.Record = record
}
