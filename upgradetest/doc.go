// Package upgradetest proves daemonkit's zero-downtime upgrade end to end, under load: it
// builds the daemonkit binary once, runs its own test binary as the supervised server (a
// server that takes its socket by LISTEN_FDS and says READY=1 by sd_notify), and upgrades
// it while clients send a steady, bounded load; a plain restart under the same load is the
// control that shows the test can see a drop. Real programs (gunicorn) are upgraded the
// same way. It holds tests only.
package upgradetest
