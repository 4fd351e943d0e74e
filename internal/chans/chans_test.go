package chans

import (
	"testing"
	"time"
)

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

// TestBy: a value that came by the deadline is taken, one already there when the deadline
// has passed too (both ready at once: it came in time), and none is none.
func TestBy(t *testing.T) {
	ch := make(chan int, 1)
	if v, ok := By(ch, time.Now().Add(time.Millisecond)); ok {
		t.Fatalf("By of an empty channel = %d, true: want nothing", v)
	}
	for i := range 100 {
		ch <- i
		if v, ok := By(ch, time.Now().Add(-time.Second)); !ok || v != i {
			t.Fatalf("By past its deadline, a value there = %d, %v: want %d, true", v, ok, i)
		}
	}
	go func() { ch <- 9 }()
	if v, ok := By(ch, time.Now().Add(time.Minute)); !ok || v != 9 {
		t.Fatalf("By = %d, %v: want 9, true", v, ok)
	}
}
