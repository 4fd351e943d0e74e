package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/daemonkit/daemonkit/instance"
)

// exactCommand is the record's command line as the program has it. The record keeps it as
// JSON strings, in which each byte that is not UTF-8 (a Latin-1 file name) became U+FFFD,
// so that status and list showed 'caf�' for an argument whose byte they would quote as
// $'caf\xe9'; the request the record keeps carries the words whole. It is rec.Command
// itself unless a word of it holds U+FFFD and the request's command is the same line but
// for those bytes (an upgrade's new command line, which the request does not have, never
// holds such bytes: upgrade refuses them).
func exactCommand(rec *instance.Record) []string {
	cmd := rec.Command
	if len(rec.Request) == 0 || !slices.ContainsFunc(cmd, func(w string) bool { return strings.ContainsRune(w, utf8.RuneError) }) {
		return cmd
	}
	var req struct {
		Supervise *struct {
			Command words `json:"command"`
		} `json:"supervise"`
	}
	if json.Unmarshal(rec.Request, &req) != nil || req.Supervise == nil || len(req.Supervise.Command) != len(cmd) {
		return cmd
	}
	for i, w := range req.Supervise.Command {
		if asJSON(w) != cmd[i] {
			return cmd
		}
	}
	return req.Supervise.Command
}

// asJSON is s as encoding/json keeps it: each byte that is not UTF-8 made U+FFFD.
func asJSON(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // utf8.RuneError for a byte that is not UTF-8
		i += size
	}
	return b.String()
}
