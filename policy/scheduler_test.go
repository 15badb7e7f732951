package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sailshim/apierr"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

const model = "m"

// fakeCap is a Capacity whose answers the test sets.
type fakeCap struct {
	mu     sync.Mutex
	slots  int
	flexOK bool
}

func (c *fakeCap) Limit(string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slots, c.flexOK
}

func (c *fakeCap) set(slots int, flexOK bool) {
	c.mu.Lock()
	c.slots, c.flexOK = slots, flexOK
	c.mu.Unlock()
}

var (
	wAsap = Window{Name: "asap", Class: Immediate}
	w15m  = Window{Name: "15m", Deadline: 15 * time.Minute, Class: Deferrable, BatchAllowed: true}
	w24h  = Window{Name: "24h", Deadline: 24 * time.Hour, Class: Flexible, BatchAllowed: true}
)

type harness struct {
	t   *testing.T
	s   *Scheduler
	clk *FakeClock
	cap *fakeCap
	reg *prometheus.Registry
	log *bytes.Buffer
}

func newHarness(t *testing.T, cfg SchedulerConfig, slots int, flexOK bool) *harness {
	h := &harness{t: t, clk: NewFakeClock(t0), cap: &fakeCap{slots: slots, flexOK: flexOK},
		reg: prometheus.NewRegistry(), log: new(bytes.Buffer)}
	cfg.Registerer = h.reg
	cfg.Logger = slog.New(slog.NewTextHandler(h.log, nil))
	h.s = NewScheduler(cfg, h.cap, h.clk)
	return h
}

func (h *harness) submit(id, key string, w Window) *Ticket {
	h.t.Helper()
	return h.submitJob(Job{ID: id, Key: key, Model: model, Window: w})
}

func (h *harness) submitJob(j Job) *Ticket {
	h.t.Helper()
	tk, err := h.s.Submit(j)
	if err != nil {
		h.t.Fatalf("Submit(%s): %v", j.ID, err)
	}
	return tk
}

func dispatched(tk *Ticket) bool {
	select {
	case <-tk.Ready():
		return true
	default:
		return false
	}
}

func (h *harness) mustBeQueued(tks ...*Ticket) {
	h.t.Helper()
	for _, tk := range tks {
		if dispatched(tk) {
			h.t.Fatalf("%s dispatched (%s) at +%s, want it queued", tk.Job().ID, tk.Reason(), h.clk.Now().Sub(t0))
		}
	}
}

func (h *harness) mustBeDispatched(why Reason, tks ...*Ticket) {
	h.t.Helper()
	for _, tk := range tks {
		if !dispatched(tk) {
			h.t.Fatalf("%s still queued at +%s", tk.Job().ID, h.clk.Now().Sub(t0))
		}
		if tk.Reason() != why {
			h.t.Fatalf("%s dispatched as %q, want %q", tk.Job().ID, tk.Reason(), why)
		}
	}
}

// drain releases running tickets one at a time, oldest first, and returns the IDs of pending
// tickets in the order they were dispatched.
func drain(running []*Ticket, pending []*Ticket) []string {
	var order []string
	for len(running) > 0 {
		running[0].Release()
		running = running[1:]
		rest := pending[:0]
		for _, tk := range pending {
			if dispatched(tk) {
				order = append(order, tk.Job().ID)
				running = append(running, tk)
			} else {
				rest = append(rest, tk)
			}
		}
		pending = rest
	}
	return order
}

func TestEDFOrder(t *testing.T) {
	type sub struct {
		id, key  string
		w        Window
		expected time.Duration
		deadline time.Duration // from now; 0 → the window's
	}
	w5m := Window{Name: "5m", Deadline: 5 * time.Minute, Class: Deferrable}
	w10m := Window{Name: "10m", Deadline: 10 * time.Minute, Class: Deferrable}
	tests := []struct {
		name string
		subs []sub
		want string
	}{
		{
			name: "by deadline",
			subs: []sub{{id: "10m", w: w10m}, {id: "5m", w: w5m}, {id: "15m", w: w15m}},
			want: "5m 10m 15m",
		},
		{
			name: "by latest start time, not deadline",
			subs: []sub{{id: "5m", w: w5m}, {id: "15m-long", w: w15m, expected: 12 * time.Minute}, {id: "10m", w: w10m}},
			want: "15m-long 5m 10m",
		},
		{
			name: "recovered deadline and flexible work interleave by latest start",
			subs: []sub{
				{id: "24h", w: w24h},
				{id: "24h-recovered", w: w24h, deadline: 7 * time.Minute},
				{id: "15m", w: w15m},
				{id: "5m", w: w5m},
			},
			want: "5m 24h-recovered 15m 24h",
		},
		{
			name: "across keys with equal running, EDF",
			subs: []sub{{id: "a15m", key: "a", w: w15m}, {id: "b10m", key: "b", w: w10m}, {id: "c5m", key: "c", w: w5m}},
			want: "c5m b10m a15m",
		},
		{
			name: "ties in submission order",
			subs: []sub{{id: "x", w: w15m}, {id: "y", w: w15m}, {id: "z", w: w15m}},
			want: "x y z",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, SchedulerConfig{}, 1, true)
			hold := h.submit("hold", "h", w15m)
			h.mustBeDispatched(ReasonFree, hold)
			var pending []*Ticket
			for _, s := range tc.subs {
				j := Job{ID: s.id, Key: s.key, Model: model, Window: s.w, Expected: s.expected}
				if s.deadline > 0 {
					j.Deadline = h.clk.Now().Add(s.deadline)
				}
				pending = append(pending, h.submitJob(j))
			}
			h.mustBeQueued(pending...)
			if got := strings.Join(drain([]*Ticket{hold}, pending), " "); got != tc.want {
				t.Errorf("dispatch order %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPromotion(t *testing.T) {
	tests := []struct {
		name      string
		w         Window
		expected  time.Duration // 0 → the 1s floor
		promoteAt time.Duration
	}{
		{name: "15m default estimate", w: w15m, promoteAt: 15*time.Minute - time.Second},
		{name: "15m long job", w: w15m, expected: 90 * time.Second, promoteAt: 13*time.Minute + 30*time.Second},
		{name: "24h flexible while engines are busy", w: w24h, expected: time.Minute, promoteAt: 24*time.Hour - time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, SchedulerConfig{}, 1, false)
			busy := h.submit("busy", "a", wAsap) // holds the only slot for the whole test
			j := h.submitJob(Job{ID: "j", Key: "b", Model: model, Window: tc.w, Expected: tc.expected})
			h.clk.Advance(tc.promoteAt - time.Millisecond)
			h.mustBeQueued(j)
			h.clk.Advance(time.Millisecond)
			h.mustBeDispatched(ReasonPromoted, j)
			if !h.clk.Now().Before(j.Job().Deadline) {
				t.Errorf("promoted at %s, not before the deadline %s", h.clk.Now(), j.Job().Deadline)
			}
			if st := h.s.Stats(); st.Running[model] != 2 || st.Dispatched.Promoted != 1 {
				t.Errorf("stats %+v: want 2 running (over the limit of 1) and one promotion", st)
			}
			busy.Release()
			j.Release()
			if h.s.Stats().Misses != 0 {
				t.Error("a promoted job released on time counted as a miss")
			}
		})
	}
}

func TestPromotionTimerFollowsQueue(t *testing.T) {
	h := newHarness(t, SchedulerConfig{}, 0, true)
	late := h.submit("late", "a", w15m)
	early := h.submitJob(Job{ID: "early", Key: "a", Model: model, Window: w15m, Deadline: t0.Add(time.Minute)})
	if at, _ := h.clk.NextTimer(); !at.Equal(t0.Add(59 * time.Second)) {
		t.Fatalf("timer at +%s, want +59s (the earlier job's latest start)", at.Sub(t0))
	}
	early.Cancel() // its timer fires for nothing and re-arms for the other job
	h.clk.Advance(time.Minute)
	h.mustBeQueued(late)
	h.clk.Advance(14*time.Minute - time.Second)
	h.mustBeDispatched(ReasonPromoted, late)
	if h.clk.Pending() != 0 {
		t.Errorf("%d timers pending with nothing queued", h.clk.Pending())
	}
}

func TestImmediateNeverWaits(t *testing.T) {
	for _, slots := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("limit %d", slots), func(t *testing.T) {
			h := newHarness(t, SchedulerConfig{}, slots, false)
			var queued []*Ticket
			for i := range 5 {
				queued = append(queued, h.submit(fmt.Sprint("q", i), "a", w15m))
			}
			for i := range 10 {
				release, err := h.s.Acquire(context.Background(), Job{ID: fmt.Sprint("asap", i), Key: "a", Model: model, Window: wAsap})
				if err != nil {
					t.Fatal(err)
				}
				defer release()
			}
			if st := h.s.Stats(); st.Dispatched.Immediate != 10 || st.Running[model] < 10 {
				t.Errorf("stats %+v: want all 10 asap jobs running at once", st)
			}
			for _, q := range queued {
				q.Cancel()
			}
		})
	}
}

func TestAsapReserve(t *testing.T) {
	tests := []struct {
		name    string
		reserve int
		limit   int
		want    int // queued jobs that run concurrently
	}{
		{name: "default keeps one slot", limit: 4, want: 3},
		{name: "default keeps a tenth", limit: 32, want: 29},
		{name: "default rounds a tenth down", limit: 19, want: 18},
		{name: "default with one slot keeps none", limit: 1, want: 1},
		{name: "negative keeps none", reserve: -1, limit: 4, want: 4},
		{name: "two", reserve: 2, limit: 4, want: 2},
		{name: "capped at limit-1", reserve: 10, limit: 3, want: 1},
		{name: "no capacity", limit: 0, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, SchedulerConfig{AsapReserve: tc.reserve}, tc.limit, true)
			for i := range 40 {
				h.submit(fmt.Sprint(i), fmt.Sprint("k", i), w15m)
			}
			if got := h.s.Stats().Running[model]; got != tc.want {
				t.Errorf("running %d, want %d", got, tc.want)
			}
		})
	}
}

func TestFlexibleWaitsForIdleEngines(t *testing.T) {
	h := newHarness(t, SchedulerConfig{}, 4, false)
	flex := h.submit("flex", "a", w24h)
	def := h.submit("def", "a", w15m)
	h.mustBeQueued(flex)
	h.mustBeDispatched(ReasonFree, def) // deferrable work does not need flexOK

	h.cap.set(4, true)
	h.mustBeQueued(flex) // nothing re-evaluates until a Kick
	h.s.Kick()
	h.mustBeDispatched(ReasonFree, flex)
}

func TestFairness(t *testing.T) {
	tests := []struct {
		name   string
		aw, bw Window
		bLater time.Duration // B submits this long after A
	}{
		{name: "A floods 24h, B sends 15m", aw: w24h, bw: w15m},
		{name: "same window, B later", aw: w15m, bw: w15m, bLater: time.Second},
		{name: "both 24h, B later", aw: w24h, bw: w24h, bLater: time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, SchedulerConfig{}, 2, true) // one slot for queued work, one reserved
			var all, running []*Ticket
			for i := range 100 {
				tk := h.submit(fmt.Sprint("a", i), "A", tc.aw)
				if dispatched(tk) {
					running = append(running, tk)
				} else {
					all = append(all, tk)
				}
			}
			h.clk.Advance(tc.bLater)
			for i := range 5 {
				all = append(all, h.submit(fmt.Sprint("b", i), "B", tc.bw))
			}
			order := drain(running, all)
			if len(order) != 104 {
				t.Fatalf("dispatched %d queued jobs, want 104", len(order))
			}
			lastB := -1
			for i, id := range order {
				if id[0] == 'b' {
					lastB = i
				}
			}
			t.Logf("first dispatches: %v", order[:12])
			if lastB >= 10 {
				t.Errorf("B's last job went %dth, after %d of A's: %v", lastB+1, lastB-4, order[:lastB+1])
			}
		})
	}
}

func TestPerKeyLimit(t *testing.T) {
	h := newHarness(t, SchedulerConfig{MaxQueuedPerKey: 3}, 0, true)
	var q []*Ticket
	for i := range 3 {
		q = append(q, h.submit(fmt.Sprint(i), "a", w15m))
	}
	_, err := h.s.Acquire(context.Background(), Job{ID: "over", Key: "a", Model: model, Window: w24h})
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *apierr.Error", err)
	}
	if ae.Status != 429 || ae.Type != apierr.TypeRateLimit || ae.RetryAfter < 1 {
		t.Errorf("error %+v, want a 429 rate_limit_error with Retry-After", ae)
	}
	if !strings.Contains(string(ae.AppendJSON(nil)), `"code":"rate_limit_exceeded"`) {
		t.Errorf("envelope %s", ae.AppendJSON(nil))
	}
	h.submit("other key", "b", w15m)
	if rel, err := h.s.Acquire(context.Background(), Job{ID: "asap", Key: "a", Model: model, Window: wAsap}); err != nil {
		t.Errorf("asap work is not queued and is not limited: %v", err)
	} else {
		rel()
	}
	q[0].Cancel()
	h.submit("after cancel", "a", w15m)
	if st := h.s.Stats(); st.Queued["15m"] != 4 {
		t.Errorf("queued %v, want 4 in 15m", st.Queued)
	}
}

func TestAcquire(t *testing.T) {
	t.Run("blocks until a slot frees", func(t *testing.T) {
		h := newHarness(t, SchedulerConfig{}, 1, true)
		hold := h.submit("hold", "a", w15m)
		got := make(chan error, 1)
		var release func()
		go func() {
			var err error
			release, err = h.s.Acquire(context.Background(), Job{ID: "w", Key: "b", Model: model, Window: w15m})
			got <- err
		}()
		hold.Release() // whether or not Acquire has queued yet, it gets the slot
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		release()
		release() // idempotent
		if st := h.s.Stats(); st.Running[model] != 0 {
			t.Errorf("running %d after release", st.Running[model])
		}
	})
	t.Run("cancel removes the job", func(t *testing.T) {
		h := newHarness(t, SchedulerConfig{MaxQueuedPerKey: 1}, 0, true)
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			_, err := h.s.Acquire(ctx, Job{ID: "w", Key: "a", Model: model, Window: w15m})
			got <- err
		}()
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if st := h.s.Stats(); st.Queued["15m"] != 0 {
			t.Errorf("queued %v after cancel", st.Queued)
		}
		h.submit("next", "a", w15m) // the per-key slot was given back
		h.cap.set(1, true)
		h.s.Kick()
		if st := h.s.Stats(); st.Dispatched.Free != 1 {
			t.Errorf("dispatched %+v, want only the job still queued", st.Dispatched)
		}
	})
	t.Run("deadline while queued", func(t *testing.T) {
		h := newHarness(t, SchedulerConfig{}, 0, true)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := h.s.Acquire(ctx, Job{ID: "w", Key: "a", Model: model, Window: w15m}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if h.s.Stats().Queued["15m"] != 0 {
			t.Error("job left in the queue")
		}
	})
	t.Run("no class", func(t *testing.T) {
		h := newHarness(t, SchedulerConfig{}, 1, true)
		if _, err := h.s.Acquire(context.Background(), Job{ID: "w", Model: model}); err == nil {
			t.Error("a job without a window was accepted")
		}
	})
}

func TestRecovery(t *testing.T) {
	tests := []struct {
		name       string
		deadlineIn time.Duration // original deadline, from now
		advance    time.Duration // before it is promoted
	}{
		{name: "deadline passed", deadlineIn: -time.Hour},
		{name: "less than the expected service time left", deadlineIn: 500 * time.Millisecond},
		{name: "some slack left", deadlineIn: 10 * time.Second, advance: 9 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, SchedulerConfig{}, 1, false)
			h.submit("busy", "a", wAsap)
			for i := range 3 { // fresh work of the same window does not jump ahead
				h.submit(fmt.Sprint("fresh", i), "a", w24h)
			}
			j := h.submitJob(Job{ID: "recovered", Key: "a", Model: model, Window: w24h,
				Submitted: t0.Add(-24 * time.Hour), Deadline: t0.Add(tc.deadlineIn)})
			if tc.advance > 0 {
				h.mustBeQueued(j)
				h.clk.Advance(tc.advance)
			}
			h.mustBeDispatched(ReasonPromoted, j)
			if !j.Job().Deadline.Equal(t0.Add(tc.deadlineIn)) {
				t.Errorf("deadline %s, want the original", j.Job().Deadline)
			}
			if st := h.s.Stats(); st.Dispatched.Promoted != 1 {
				t.Errorf("dispatched %+v", st.Dispatched)
			}
		})
	}
}

func TestPromoteHeadroom(t *testing.T) {
	h := newHarness(t, SchedulerConfig{PromoteHeadroom: 1}, 1, true)
	busy := h.submit("busy", "a", wAsap)
	var overdue []*Ticket
	for i := range 3 {
		overdue = append(overdue, h.submitJob(Job{ID: fmt.Sprint("o", i), Key: "a", Model: model, Window: w15m, Deadline: t0}))
	}
	h.mustBeDispatched(ReasonPromoted, overdue[0])
	h.mustBeQueued(overdue[1:]...)
	h.clk.Advance(time.Second)
	busy.Release()
	h.mustBeDispatched(ReasonPromoted, overdue[1])
	h.mustBeQueued(overdue[2])
	overdue[0].Release()
	h.mustBeDispatched(ReasonPromoted, overdue[2])
	if st := h.s.Stats(); st.Misses != 1 {
		t.Errorf("misses %d, want 1 (the deferrable job released after its deadline)", st.Misses)
	}
}

func TestDeadlineMiss(t *testing.T) {
	h := newHarness(t, SchedulerConfig{}, 2, true)
	late := h.submit("job-late", "a", w15m)
	onTime := h.submit("job-on-time", "b", w15m)
	cancelled := h.submit("job-cancelled", "c", w15m)
	asap := h.submit("job-asap", "d", wAsap)
	h.clk.Advance(10 * time.Minute)
	onTime.Release()
	h.clk.Advance(6 * time.Minute)
	late.Release()
	cancelled.Cancel() // a cancelled job did not complete
	asap.Release()     // asap has no deadline
	if st := h.s.Stats(); st.Misses != 1 {
		t.Fatalf("misses %d, want 1", st.Misses)
	}
	logged := h.log.String()
	for _, want := range []string{"deadline missed", "job_id=job-late", "window=15m", "model=m", "late_by=1m0s"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log %q lacks %q", logged, want)
		}
	}
	if strings.Count(logged, "deadline missed") != 1 {
		t.Errorf("log %q: want one miss", logged)
	}
	if got := gather(t, h.reg)[`sailshim_scheduler_deadline_misses_total{model="m",window="15m"}`]; got != 1 {
		t.Errorf("deadline_misses_total = %v", got)
	}
}

func TestServiceTimeEstimate(t *testing.T) {
	h := newHarness(t, SchedulerConfig{MinExpected: 2 * time.Second}, 1, true)
	if got := h.submit("first", "a", w15m); got.Job().Expected != 2*time.Second {
		t.Errorf("expected %s before any observation, want the 2s floor", got.Job().Expected)
	} else {
		h.clk.Advance(40 * time.Second)
		got.Release()
	}
	for range 3 {
		tk := h.submit("next", "a", wAsap)
		h.clk.Advance(8 * time.Second)
		tk.Release()
	}
	// 40s, then three 8s observations weighted 1/4: 32, 26, 21.5
	want := 21500 * time.Millisecond
	if got := h.s.Stats().Expected[model]; got != want {
		t.Errorf("estimate %s, want %s", got, want)
	}
	j := h.submitJob(Job{ID: "j", Key: "a", Model: model, Window: w15m})
	if j.Job().Expected != want || !j.lst.Equal(j.Job().Deadline.Add(-want)) {
		t.Errorf("job expected %s, latest start %s", j.Job().Expected, j.lst)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, SchedulerConfig{}, 1, false)
	h.submit("run", "a", w15m)
	h.submit("asap", "a", wAsap)
	h.submitJob(Job{ID: "old", Key: "a", Model: model, Window: w24h, Submitted: t0.Add(-time.Hour)})
	q := h.submit("q", "a", w15m)
	h.clk.Advance(30 * time.Second)
	q.Cancel()
	got := gather(t, h.reg)
	want := map[string]float64{
		`sailshim_scheduler_dispatched_total{model="m",reason="free",window="15m"}`:       1,
		`sailshim_scheduler_dispatched_total{model="m",reason="immediate",window="asap"}`: 1,
		`sailshim_scheduler_queue_depth{window="15m"}`:                                    0,
		`sailshim_scheduler_queue_depth{window="24h"}`:                                    1,
		`sailshim_scheduler_queue_oldest_age_seconds{window="15m"}`:                       0,
		`sailshim_scheduler_queue_oldest_age_seconds{window="24h"}`:                       3630,
		`sailshim_scheduler_running{model="m"}`:                                           2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metrics\n got %v\nwant %v", got, want)
	}
}

// gather reads every series of reg as name{label="value",...} → value.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]float64)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}
