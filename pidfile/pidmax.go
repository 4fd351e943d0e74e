package pidfile

import "sync"

var pidMaxOnce struct {
	once sync.Once
	v    int
}

// pidMax returns the largest pid the system can give, looked up once.
func pidMax() int {
	pidMaxOnce.once.Do(func() { pidMaxOnce.v = systemPidMax() })
	return pidMaxOnce.v
}
