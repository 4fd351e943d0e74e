package cli_test

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/cli"
)

// TestWithInstance: Instance tells what WithInstance was given, and only that changes:
// the context's cancellation and its other values (the logger) are the caller's.
func TestWithInstance(t *testing.T) {
	if got := cli.Instance(context.Background()); got != (cli.InstanceInfo{}) {
		t.Fatalf("Instance(context.Background()) = %+v, want the zero InstanceInfo", got)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "test"})
	parent, cancel := context.WithCancel(hclog.WithContext(context.Background(), logger))
	info := cli.InstanceInfo{Name: "test", Strategy: "setsid", ShutdownTimeout: 3 * time.Second}
	ctx := cli.WithInstance(parent, info)
	if got := cli.Instance(ctx); got != info {
		t.Fatalf("Instance = %+v, want %+v", got, info)
	}
	if hclog.FromContext(ctx) != logger {
		t.Error("the parent's logger is lost")
	}
	cancel()
	if ctx.Err() == nil {
		t.Error("cancelling the parent does not cancel the context WithInstance made")
	}
}
