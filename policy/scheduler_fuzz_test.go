package policy

import (
	"fmt"
	"testing"
	"time"
)

// FuzzScheduler drives the scheduler with a random sequence of submissions, releases,
// cancellations, clock moves and capacity changes, and checks after every step what a user
// relies on: no queued job is past its latest start time, free capacity is never left idle
// while eligible work waits, and the counts agree with the jobs.
func FuzzScheduler(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 3, 1, 0, 2, 0, 4, 200, 5, 1, 2, 0, 3, 1})
	f.Add([]byte{5, 7, 0, 0, 0, 1, 0, 2, 6, 100, 6, 140, 4, 3, 2, 1, 2, 2, 5, 0, 4, 255, 4, 255})
	f.Add([]byte{5, 2, 0, 2, 0, 2, 0, 2, 1, 1, 3, 0, 3, 1, 4, 128, 5, 6, 2, 0, 2, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 400 {
			return
		}
		h := newHarness(t, SchedulerConfig{MaxQueuedPerKey: 8}, 2, false)
		windows := []Window{
			w15m,
			{Name: "1m", Deadline: time.Minute, Class: Deferrable},
			w24h,
			{Name: "flex", Deadline: time.Hour, Class: Flexible, BackgroundOnly: true},
		}
		var tickets []*Ticket
		next := func(i *int) byte {
			*i++
			if *i < len(ops) {
				return ops[*i]
			}
			return 0
		}
		for i := 0; i < len(ops); i++ {
			op := ops[i] % 7
			switch op {
			case 0, 1, 6:
				b := next(&i)
				j := Job{ID: fmt.Sprint(i), Key: fmt.Sprint("k", b%3), Model: []string{"m", "n"}[b>>7], Window: windows[(b>>2)%4]}
				if op == 1 {
					j.Window = wAsap
				}
				if op == 6 {
					j.Deadline = h.clk.Now().Add(time.Duration(int(next(&i))-128) * 10 * time.Second)
					j.Expected = time.Duration(b%5) * 20 * time.Second
				}
				if tk, err := h.s.Submit(j); err == nil {
					tickets = append(tickets, tk)
				}
			case 2, 3:
				if len(tickets) == 0 {
					continue
				}
				k := int(next(&i)) % len(tickets)
				if op == 2 {
					tickets[k].Release()
				} else {
					tickets[k].Cancel()
				}
				tickets = append(tickets[:k], tickets[k+1:]...)
			case 4:
				h.clk.Advance(time.Duration(next(&i)) * 7 * time.Second)
			case 5:
				b := next(&i)
				h.cap.set(int(b%4), b&4 != 0)
				h.s.Kick()
			}
			checkInvariants(t, h, tickets)
		}
	})
}

func checkInvariants(t *testing.T, h *harness, tickets []*Ticket) {
	t.Helper()
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := h.clk.Now()
	slots, flexOK := h.cap.Limit("")
	room := slots - s.reserveFor(slots)
	running := map[string]int{}
	queued := map[string]int{}
	for _, tk := range tickets {
		isReady := dispatched(tk)
		switch tk.state {
		case stateQueued:
			if isReady {
				t.Fatalf("%s: queued with Ready closed", tk.job.ID)
			}
			if !tk.lst.After(now) {
				t.Fatalf("%s: still queued %s after its latest start time", tk.job.ID, now.Sub(tk.lst))
			}
			queued[tk.job.Window.Name]++
		case stateRunning:
			if !isReady {
				t.Fatalf("%s: running with Ready open", tk.job.ID)
			}
			running[tk.job.Model]++
		default:
			t.Fatalf("%s: state %d for a ticket neither released nor cancelled", tk.job.ID, tk.state)
		}
	}
	for name, ms := range s.models {
		if ms.running != running[name] {
			t.Fatalf("model %s: running %d, jobs say %d", name, ms.running, running[name])
		}
		if ms.running < room {
			if tk := ms.pick(flexOK); tk != nil {
				iv, burst := s.paceFor(ms, slots)
				at := ms.paceAt(iv, burst)
				if !at.After(now) {
					t.Fatalf("model %s: %s waits while %d of %d slots run", name, tk.job.ID, ms.running, room)
				}
				if s.timer == nil || s.timerAt.After(at) {
					t.Fatalf("model %s: %s waits for its paced start at +%s with no timer", name, tk.job.ID, at.Sub(now))
				}
			}
		}
		n := 0
		for _, cq := range ms.classes {
			for _, kq := range cq.fair {
				n += len(kq.jobs)
			}
		}
		if n != len(ms.queued) {
			t.Fatalf("model %s: %d in key queues, %d in the model queue", name, n, len(ms.queued))
		}
	}
	for w, n := range s.queuedByWindow {
		if n != queued[w] {
			t.Fatalf("window %s: queue depth %d, jobs say %d", w, n, queued[w])
		}
	}
	if len(s.models) > 0 && len(tickets) > 0 {
		// a pending timer exists whenever some queued job still has slack
		for _, ms := range s.models {
			if len(ms.queued) > 0 && ms.queued[0].lst.After(now) && (s.timer == nil || s.timerAt.After(ms.queued[0].lst)) {
				t.Fatalf("model %s: no timer for the next promotion at +%s", ms.name, ms.queued[0].lst.Sub(now))
			}
		}
	}
}
