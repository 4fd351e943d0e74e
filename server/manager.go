package server

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// manager tells the service manager that runs this process in the foreground (systemd,
// through $NOTIFY_SOCKET, when Options.NotifyManager is set) how the run goes: READY=1 once
// the workload is ready, RELOADING=1 and READY=1 around a reload, STOPPING=1 on a stop,
// and WATCHDOG=1 every half of $WATCHDOG_USEC while the run loop is alive.
type manager struct {
	enabled bool
	ready   atomic.Bool // READY=1 was said: the start job is over
}

type managerKey struct{}

// NotifyManager passes state (sd_notify assignments, such as "STATUS=loading") on to the
// service manager of the run that ctx (a Workload's Serve context) belongs to, if it runs
// under one in the foreground; otherwise it does nothing. A supervisor passes its
// program's STATUS= this way.
func NotifyManager(ctx context.Context, state string) {
	if m, _ := ctx.Value(managerKey{}).(*manager); m != nil {
		m.send(state)
	}
}

func (m *manager) send(state string) {
	if m != nil && m.enabled {
		_, _ = daemon.SdNotify(false, state) // nobody to tell if it fails
	}
}

// readyNow says READY=1, the end of the start job.
func (m *manager) readyNow() {
	m.ready.Store(true)
	m.send("READY=1")
}

// extendStart asks for d more for the start, and ManagerStartGrace: so that the daemon, not the
// manager, gives up first, as the unit's TimeoutStartSec is --ready-timeout and that grace.
// Once the start job is over it says nothing: systemd would take it to extend whatever
// runs then (RuntimeMaxSec=, a stop).
func (m *manager) extendStart(d time.Duration) {
	if m != nil && !m.ready.Load() {
		m.send(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", min(d, math.MaxInt64-ManagerStartGrace).Microseconds()+ManagerStartGrace.Microseconds()))
	}
}

// ManagerStartGrace is how much longer than the daemon a service manager is given for a
// start: the daemon's own start-up before it waits, so that the manager's kill never
// comes before the daemon's answer. A unit's TimeoutStartSec is --ready-timeout and this;
// an extension (EXTEND_TIMEOUT_USEC=) is passed on with it too.
const ManagerStartGrace = 5 * time.Second

// reloading says a reload began, with the monotonic time systemd's Type=notify-reload asks
// for.
func (m *manager) reloading() {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	m.send(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", ts.Nano()/1000))
}

// watchdog returns how often to send WATCHDOG=1 (half of $WATCHDOG_USEC), or 0.
func (m *manager) watchdog() time.Duration {
	if m == nil || !m.enabled {
		return 0
	}
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 2
}
