package httpdemo_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkHealthz is GET /healthz over keep-alive connections, from as many goroutines as
// GOMAXPROCS: what the built-in server's HTTP layer costs a request (docs/performance.md).
func BenchmarkHealthz(b *testing.B) {
	p := serve(b, testConfig())
	url := "http://" + p.addr + "/healthz"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
