package server

// SyncBuffer is syncBuffer, for the external tests: a log the test reads while the server
// writes.
type SyncBuffer = syncBuffer
