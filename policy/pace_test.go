package policy

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestPacedStarts: a backlog landing on idle capacity starts a burst at once and the rest at
// the rate a full batch turns over (estimated service time / limit), driven by the clock; a
// finished job's slot is refilled at once, and promotion ignores pacing.
func TestPacedStarts(t *testing.T) {
	const slots = 20 // reserve 2 and burst 2 by default
	setup := func(t *testing.T, cfg SchedulerConfig) (*harness, []*Ticket) {
		h := newHarness(t, cfg, slots, true)
		warm := h.submit("warm", "w", wAsap) // teaches the estimate: 2 s, so one start per 100 ms
		h.clk.Advance(2 * time.Second)
		warm.Release()
		var q []*Ticket
		for i := range 10 {
			q = append(q, h.submit(fmt.Sprint(i), fmt.Sprint("k", i), w15m))
		}
		return h, q
	}
	running := func(h *harness) int { return h.s.Stats().Running[model] }

	t.Run("burst then one per interval", func(t *testing.T) {
		h, q := setup(t, SchedulerConfig{})
		h.mustBeDispatched(ReasonFree, q[:2]...)
		h.mustBeQueued(q[2:]...)
		for want := 3; want <= 10; want++ {
			h.clk.Advance(99 * time.Millisecond)
			if got := running(h); got != want-1 {
				t.Fatalf("after 99 ms more: running %d, want %d", got, want-1)
			}
			h.clk.Advance(time.Millisecond)
			if got := running(h); got != want {
				t.Fatalf("at the interval: running %d, want %d", got, want)
			}
		}
	})

	t.Run("a finished job's slot is refilled at once", func(t *testing.T) {
		h, q := setup(t, SchedulerConfig{}) // two running, eight waiting for their paced turn
		q[0].Release()                      // however quickly it finished
		h.mustBeDispatched(ReasonFree, q[2])
		h.mustBeQueued(q[3:]...)
		// Growth goes on at the paced rate, one per 75 ms now: the zero-length job pulled the
		// estimate to 1.5 s.
		h.clk.Advance(125 * time.Millisecond)
		h.mustBeDispatched(ReasonFree, q[3])
		h.mustBeQueued(q[4:]...)
	})

	t.Run("promotion ignores pacing", func(t *testing.T) {
		h, _ := setup(t, SchedulerConfig{}) // the next paced start is due at +100 ms
		soon := h.submitJob(Job{ID: "soon", Key: "s", Model: model, Window: w15m,
			Deadline: h.clk.Now().Add(2050 * time.Millisecond), Expected: 2 * time.Second})
		h.mustBeQueued(soon)
		h.clk.Advance(50 * time.Millisecond)
		h.mustBeDispatched(ReasonPromoted, soon)
	})

	t.Run("negative burst disables pacing", func(t *testing.T) {
		_, q := setup(t, SchedulerConfig{StartBurst: -1})
		for _, tk := range q {
			if !dispatched(tk) {
				t.Fatalf("%s queued with pacing off and free slots", tk.Job().ID)
			}
		}
	})
}

// TestPacingKeepsVariableWorkBusy: with service times as uneven as LLM replies (exponential,
// mean 20 s) and a deep queue, pacing costs no utilisation, because the slot a finished job frees
// is refilled at once. (Pacing every start instead fails it: 83% at 4 slots.)
func TestPacingKeepsVariableWorkBusy(t *testing.T) {
	for _, limit := range []int{4, 32} {
		t.Run(fmt.Sprint(limit, " slots"), func(t *testing.T) {
			h := newHarness(t, SchedulerConfig{AsapReserve: -1}, limit, true)
			rng := rand.New(rand.NewPCG(1, 2))
			var waiting []*Ticket
			for i := range 3000 {
				waiting = append(waiting, h.submit(fmt.Sprint(i), fmt.Sprint("k", i%7), w24h))
			}
			type job struct {
				tk  *Ticket
				end time.Time
			}
			var running []job
			const step = 100 * time.Millisecond
			var busy, total float64
			for range 5000 { // 500 s
				rest := waiting[:0]
				for _, tk := range waiting {
					if dispatched(tk) {
						d := time.Duration(rng.ExpFloat64() * float64(20*time.Second))
						running = append(running, job{tk, h.clk.Now().Add(d)})
					} else {
						rest = append(rest, tk)
					}
				}
				waiting = rest
				busy += float64(len(running))
				total += float64(limit)
				h.clk.Advance(step)
				keep := running[:0]
				for _, j := range running {
					if j.end.After(h.clk.Now()) {
						keep = append(keep, j)
					} else {
						j.tk.Release()
					}
				}
				running = keep
			}
			if u := busy / total; u < 0.99 {
				t.Fatalf("utilisation %.1f%% with a deep queue, want ≥ 99%%", 100*u)
			}
		})
	}
}
