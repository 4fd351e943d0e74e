package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestRestoreProgramFlags: the daemon gets the program's own flags back as start recorded
// them, and a flag the record lacks (one a newer build added since: a restart once the
// binary was replaced) as a start without it would give it: its env:"" variable, else its
// default, a type:"path" one resolved where start ran; never its zero value. The daemon's
// working directory is left as it was.
func TestRestoreProgramFlags(t *testing.T) {
	type common struct {
		Verbose bool `default:"true"`
		Extra   int  `default:"7"`
	}
	type db struct {
		Host string `default:"localhost"`
		Port int    `default:"5432"`
	}
	type flags struct {
		common           // embedded: JSON flattens it
		DB      db       `embed:"" prefix:"db-"`
		Port    int      `default:"8080"`
		Workers int      `default:"4"`
		Mode    string   `default:"fast"`
		Region  string   `default:"eu" env:"${env_prefix}REGION"`
		Conf    string   `type:"path" default:"app.conf"`
		Tags    []string `default:"a,b"`
		// Recorded, so their defaults do not matter: an empty variable, a file that is
		// not there, a map the default would be merged into.
		Limit  int               `default:"5" env:"${env_prefix}LIMIT"`
		Config string            `type:"existingfile" default:"missing.conf"`
		Labels map[string]string `default:"a=1"`
	}
	startDir := t.TempDir()
	t.Setenv("RESTORE_REGION", "us")
	t.Setenv("RESTORE_LIMIT", "") // unset, as for start
	var got flags
	cfg := Config{Name: "restore", Flags: &got,
		Serve: func(context.Context, func(string)) error { return nil }}.withDefaults()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	if err := restoreProgramFlags(cfg, json.RawMessage(`{"Port":9,"Tags":["x"],"Verbose":false,"DB":{"Host":"db1"},"Limit":7,"Config":"/etc/hostname","Labels":{"b":"2"}}`), startDir); err != nil {
		t.Fatal(err)
	}
	want := flags{common: common{Verbose: false, Extra: 7}, DB: db{Host: "db1", Port: 5432}, Port: 9, Workers: 4, Mode: "fast", Region: "us", Conf: filepath.Join(startDir, "app.conf"), Tags: []string{"x"},
		Limit: 7, Config: "/etc/hostname", Labels: map[string]string{"b": "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("restored %+v, want %+v", got, want)
	}
	if now, _ := os.Getwd(); now != wd {
		t.Errorf("working directory %s after the restore, want %s as before", now, wd)
	}
}
