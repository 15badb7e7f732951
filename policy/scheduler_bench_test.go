package policy

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkAcquireImmediate(b *testing.B) {
	s := NewScheduler(SchedulerConfig{}, &fakeCap{slots: 8}, RealClock())
	ctx := context.Background()
	j := Job{ID: "j", Key: "k", Model: model, Window: wAsap}
	b.ReportAllocs()
	for b.Loop() {
		release, err := s.Acquire(ctx, j)
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
}

// BenchmarkAcquireDeferred measures one deferrable job's whole path through a full model:
// enqueue behind `depth` other queued jobs, dispatch when the running job releases, release.
func BenchmarkAcquireDeferred(b *testing.B) {
	for _, depth := range []int{0, 1000} {
		b.Run(fmt.Sprintf("queue=%d", depth), func(b *testing.B) {
			s := NewScheduler(SchedulerConfig{AsapReserve: -1}, &fakeCap{slots: 1}, RealClock())
			running, err := s.Submit(Job{ID: "first", Key: "k", Model: model, Window: w15m})
			if err != nil {
				b.Fatal(err)
			}
			// Background load of the same key and class with later deadlines, which the measured
			// jobs overtake by EDF.
			for range depth {
				w := Window{Name: "24h", Deadline: 24 * time.Hour, Class: Deferrable}
				if _, err := s.Submit(Job{ID: "bg", Key: "k", Model: model, Window: w}); err != nil {
					b.Fatal(err)
				}
			}
			j := Job{ID: "j", Key: "k", Model: model, Window: w15m}
			b.ReportAllocs()
			for b.Loop() {
				next, err := s.Submit(j)
				if err != nil {
					b.Fatal(err)
				}
				running.Release()
				select {
				case <-next.Ready():
				default:
					b.Fatal("next job not dispatched on release")
				}
				running = next
			}
		})
	}
}
