package policy

import (
	"reflect"
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	start := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	c := NewFakeClock(start)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(start).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	stopped := c.AfterFunc(2*time.Second, at("never"))
	c.AfterFunc(time.Second, func() {
		at("b")()
		c.AfterFunc(500*time.Millisecond, at("nested")) // due within the same Advance
	})
	c.AfterFunc(0, at("zero")) // not run inside AfterFunc
	if len(got) != 0 {
		t.Fatalf("AfterFunc ran a timer: %v", got)
	}
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop should report true once, then false")
	}
	if next, ok := c.NextTimer(); !ok || !next.Equal(start) {
		t.Errorf("NextTimer = %v, %v", next, ok)
	}
	c.Advance(2 * time.Second)
	want := []string{"zero@0s", "a@1s", "b@1s", "nested@1.5s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
	if c.Now() != start.Add(2*time.Second) || c.Pending() != 1 {
		t.Errorf("Now = %v, Pending = %d", c.Now(), c.Pending())
	}
	c.Advance(time.Second)
	if got[len(got)-1] != "c@3s" || c.Pending() != 0 {
		t.Errorf("fired %v, Pending = %d", got, c.Pending())
	}
}
