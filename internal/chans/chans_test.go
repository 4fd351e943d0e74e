package chans

import "testing"

func TestCame(t *testing.T) {
	ch := make(chan int, 1)
	if v, ok := Came(ch); ok {
		t.Fatalf("Came of an empty channel = %d, true: want nothing", v)
	}
	ch <- 7
	if v, ok := Came(ch); !ok || v != 7 {
		t.Fatalf("Came = %d, %v: want 7, true", v, ok)
	}
	close(ch)
	if _, ok := Came(ch); !ok {
		t.Fatal("Came of a closed channel: want it came")
	}
}
