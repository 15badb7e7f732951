package policy

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sailshim/apierr"
)

// Capacity is how the scheduler learns what the engines can take. The upstream pool implements
// it; Limit is called with the scheduler's lock held, so it must be cheap (read values a scraper
// keeps current) and must not call back into the Scheduler.
type Capacity interface {
	// Limit reports how many requests for model may run at once across the upstreams that serve
	// it now (configured concurrency, refined by scraped engine load), and whether flexible work
	// may be sent (no engine queue, under the utilisation target).
	Limit(model string) (slots int, flexOK bool)
}

// Job is one request to schedule.
type Job struct {
	ID        string
	Key       string // owner key id; fairness and per-key limits
	Model     string
	Window    Window
	Submitted time.Time     // zero → now
	Deadline  time.Time     // zero → Submitted + Window.Deadline; set it to recover a job with its original deadline
	Expected  time.Duration // expected service time; 0 → the scheduler's running estimate for the model
}

// Reason says why a job was dispatched; it is the reason label of dispatched_total.
type Reason string

const (
	ReasonImmediate Reason = "immediate" // an Immediate window: never waits
	ReasonFree      Reason = "free"      // a slot below Limit − reserve was free
	ReasonPromoted  Reason = "promoted"  // its latest start time arrived: sent even at capacity
)

// SchedulerConfig tunes a Scheduler. The zero value is usable.
type SchedulerConfig struct {
	// AsapReserve is how many of a model's slots queued work leaves free for Immediate work:
	// queued jobs fill free slots only while running < Limit − reserve. 0 → a tenth of Limit,
	// at least 1 when Limit > 1 (asap arrives in bursts; one slot is too few for a large batch,
	// see docs/BENCHMARKS.md); negative → none. The reserve is capped at Limit − 1 so queued work
	// can always use one slot. Immediate work itself ignores the limit.
	AsapReserve int
	// MaxQueuedPerKey caps one key's queued (not yet dispatched) jobs across models; 0 → 10000.
	// Over it, Acquire returns a 429.
	MaxQueuedPerKey int
	// StartBurst is how many queued jobs of a model may start back to back into idle slots;
	// beyond that the queued work grows no faster than the batch turns over (one start per
	// estimated service time / Limit), so a backlog arriving at once does not land on the engine
	// as one wave. A finished job's slot is refilled at once (see pace.go). 0 → a tenth of
	// Limit, at least 1; negative → no pacing.
	StartBurst int
	// PromoteHeadroom bounds promotion: promoted jobs are dispatched while running < Limit +
	// PromoteHeadroom, and overdue jobs beyond that wait (first in line) for a release or Kick.
	// 0 → unbounded, so every feasible deadline is kept however many jobs fall due at once.
	PromoteHeadroom int
	// MinExpected is the floor of the per-model service time estimate; 0 → 1s.
	MinExpected time.Duration
	// Registerer receives the sailshim_scheduler_* metrics; nil → not registered. NewScheduler
	// panics if they are already registered there (use one registry per scheduler).
	Registerer prometheus.Registerer
	Logger     *slog.Logger // nil → discard
}

// Scheduler decides when each job may go to an engine: Immediate work at once, deferrable and
// flexible work earliest-deadline-first into free capacity, fairly between keys, and promoted
// (sent even at capacity) when its latest start time (Deadline − Expected) arrives. It counts
// its own running jobs, so everything sent to engines must go through Acquire and release.
type Scheduler struct {
	cap         Capacity
	clk         Clock
	log         *slog.Logger
	reserve     int
	burst       int
	maxQueued   int
	headroom    int
	minExpected time.Duration
	m           schedMetrics
	closed      chan struct{} // the Ready channel of every Immediate ticket

	mu             sync.Mutex
	models         map[string]*modelState
	queuedByKey    map[string]int
	queuedByWindow map[string]int // entries stay at 0 so the depth gauge reads 0, not absent
	seq            uint64
	timer          Timer // wakes at the earliest future latest start time
	timerAt        time.Time
	timerGen       uint64 // ignores a timer that fired after it was replaced
	dispatched     DispatchCounts
	misses         uint64
}

// NewScheduler builds a scheduler over c, timed by clk.
func NewScheduler(cfg SchedulerConfig, c Capacity, clk Clock) *Scheduler {
	s := &Scheduler{
		cap:            c,
		clk:            clk,
		log:            cfg.Logger,
		reserve:        cfg.AsapReserve,
		burst:          cfg.StartBurst,
		maxQueued:      cfg.MaxQueuedPerKey,
		headroom:       max(cfg.PromoteHeadroom, 0),
		minExpected:    cfg.MinExpected,
		closed:         make(chan struct{}),
		models:         make(map[string]*modelState),
		queuedByKey:    make(map[string]int),
		queuedByWindow: make(map[string]int),
	}
	close(s.closed)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxQueued <= 0 {
		s.maxQueued = 10000
	}
	if s.minExpected <= 0 {
		s.minExpected = time.Second
	}
	s.m = newSchedMetrics(s, cfg.Registerer)
	return s
}

type ticketState uint8

const (
	stateQueued ticketState = iota + 1
	stateRunning
	stateDone
)

// Ticket is one job's place in the scheduler from Submit until Release or Cancel.
type Ticket struct {
	s       *Scheduler
	job     Job
	lst     time.Time // latest start time: Deadline − Expected
	seq     uint64
	ms      *modelState
	kq      *keyQueue // nil for Immediate work
	qIdx    int
	kIdx    int
	state   ticketState
	ready   chan struct{}
	reason  Reason
	started time.Time
}

// Ready is closed when the job has been dispatched.
func (t *Ticket) Ready() <-chan struct{} { return t.ready }

// Reason says why the job was dispatched; read it only after Ready is closed.
func (t *Ticket) Reason() Reason { return t.reason }

// Job is the job as scheduled: Submitted, Deadline and Expected filled in. Persist its Deadline
// to re-submit the job after a restart.
func (t *Ticket) Job() Job { return t.job }

// Release ends a dispatched job: it frees the slot, feeds the service time estimate and counts
// a deadline miss if the job finished late. On a job still queued it acts as Cancel. Calls after
// the first do nothing.
func (t *Ticket) Release() { t.s.finish(t, true) }

// Cancel withdraws the job: out of the queue if still queued, else its slot is freed without
// recording a completion. Calls after Release or Cancel do nothing.
func (t *Ticket) Cancel() { t.s.finish(t, false) }

// Acquire blocks until j may be dispatched or ctx ends. Immediate work returns at once. The
// returned release must be called when the upstream call finishes. Over the per-key queue cap it
// returns a 429 *apierr.Error. If ctx ends first, the job leaves the queue and ctx.Err() is
// returned.
func (s *Scheduler) Acquire(ctx context.Context, j Job) (release func(), err error) {
	t, err := s.Submit(j)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.ready:
		return t.Release, nil
	default:
	}
	select {
	case <-t.ready:
		return t.Release, nil
	case <-ctx.Done():
		t.Cancel()
		return nil, ctx.Err()
	}
}

// Submit enqueues j without blocking (Immediate work is dispatched before it returns); wait on
// the ticket's Ready. Errors are those of Acquire, plus a plain error for a window with no
// valid class.
func (s *Scheduler) Submit(j Job) (*Ticket, error) {
	if !j.Window.Class.valid() {
		return nil, fmt.Errorf("policy: job %q: window %q has no valid class", j.ID, j.Window.Name)
	}
	now := s.clk.Now()
	if j.Submitted.IsZero() {
		j.Submitted = now
	}
	if j.Deadline.IsZero() {
		j.Deadline = j.Submitted.Add(j.Window.Deadline)
	}
	t := &Ticket{s: s, job: j, qIdx: -1, kIdx: -1}

	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.models[j.Model]
	if ms == nil {
		ms = newModelState(j.Model)
		s.models[j.Model] = ms
	}
	t.ms = ms
	if j.Window.Class == Immediate {
		t.ready = s.closed
		s.startLocked(t, ReasonImmediate, now)
		return t, nil
	}
	if n := s.queuedByKey[j.Key]; n >= s.maxQueued {
		retry := int(math.Ceil(ms.expected(s.minExpected).Seconds()))
		return nil, apierr.RateLimited(max(retry, 1),
			"This API key already has %d requests waiting for a completion window, the most allowed; retry after some of them have started.", n)
	}
	if t.job.Expected <= 0 {
		t.job.Expected = ms.expected(s.minExpected)
	}
	t.lst = t.job.Deadline.Add(-t.job.Expected)
	t.ready = make(chan struct{})
	s.enqueueLocked(t)
	s.evaluateLocked(ms, now, 0)
	return t, nil
}

// Kick re-evaluates every queue (call after capacity changes, e.g. after a metrics scrape).
func (s *Scheduler) Kick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	for _, ms := range s.models {
		if len(ms.queued) > 0 {
			s.evaluateLocked(ms, now, 0)
		}
	}
}

func (s *Scheduler) enqueueLocked(t *Ticket) {
	s.seq++
	t.seq = s.seq
	t.state = stateQueued
	heap.Push(&t.ms.queued, t)
	t.kq = t.ms.class(t.job.Window.Class).key(t.job.Key)
	t.kq.push(t)
	s.queuedByKey[t.job.Key]++
	s.queuedByWindow[t.job.Window.Name]++
}

// unqueueLocked takes t out of the model queue and the counts; the caller handles its key queue.
func (s *Scheduler) unqueueLocked(t *Ticket) {
	heap.Remove(&t.ms.queued, t.qIdx)
	if n := s.queuedByKey[t.job.Key] - 1; n > 0 {
		s.queuedByKey[t.job.Key] = n
	} else {
		delete(s.queuedByKey, t.job.Key)
	}
	s.queuedByWindow[t.job.Window.Name]--
}

// evaluateLocked dispatches what may go now for one model: first every job whose latest start
// time has arrived (promotion overrides fairness, capacity and pacing, up to the headroom), then
// queued work into free slots below Limit − reserve: the first refills of them (one per job just
// finished) at once, more at the paced rate. Then it makes sure a timer wakes it for the next
// promotion or paced start.
func (s *Scheduler) evaluateLocked(ms *modelState, now time.Time, refills int) {
	limit, flexOK := s.cap.Limit(ms.name)
	for len(ms.queued) > 0 {
		t := ms.queued[0]
		if t.lst.After(now) || s.headroom > 0 && ms.running >= max(limit, 0)+s.headroom {
			break
		}
		s.dispatchLocked(t, ReasonPromoted, now)
	}
	iv, burst := s.paceFor(ms, limit)
	for room := limit - s.reserveFor(limit); ms.running < room; {
		t := ms.pick(flexOK)
		if t == nil {
			break
		}
		if refills > 0 {
			refills--
		} else if at := ms.paceAt(iv, burst); at.After(now) {
			s.armLocked(at, now)
			break
		} else {
			ms.paced(now, iv)
		}
		s.dispatchLocked(t, ReasonFree, now)
	}
	if len(ms.queued) > 0 {
		s.armLocked(ms.queued[0].lst, now)
	}
}

func (s *Scheduler) reserveFor(limit int) int {
	r := s.reserve
	switch {
	case r == 0 && limit > 1:
		r = max(limit/10, 1)
	case r < 0:
		r = 0
	}
	return max(min(r, limit-1), 0)
}

func (s *Scheduler) dispatchLocked(t *Ticket, why Reason, now time.Time) {
	s.unqueueLocked(t)
	t.kq.start(t, why == ReasonFree)
	s.startLocked(t, why, now)
	close(t.ready)
}

func (s *Scheduler) startLocked(t *Ticket, why Reason, now time.Time) {
	t.state = stateRunning
	t.reason = why
	t.started = now
	t.ms.running++
	switch why {
	case ReasonImmediate:
		s.dispatched.Immediate++
	case ReasonFree:
		s.dispatched.Free++
	case ReasonPromoted:
		s.dispatched.Promoted++
	}
	s.m.dispatched.WithLabelValues(t.job.Window.Name, t.job.Model, string(why)).Inc()
}

func (s *Scheduler) finish(t *Ticket, completed bool) {
	s.mu.Lock()
	switch t.state {
	case stateQueued:
		s.unqueueLocked(t)
		t.kq.remove(t)
		t.state = stateDone
		s.mu.Unlock()
		return
	case stateRunning:
	default:
		s.mu.Unlock()
		return
	}
	t.state = stateDone
	now := s.clk.Now()
	ms := t.ms
	ms.running--
	if t.kq != nil {
		t.kq.finish()
	}
	var late time.Duration
	if completed {
		ms.observe(now.Sub(t.started))
		if t.job.Window.Class != Immediate && now.After(t.job.Deadline) {
			late = now.Sub(t.job.Deadline)
			s.misses++
			s.m.misses.WithLabelValues(t.job.Window.Name, t.job.Model).Inc()
		}
	}
	if len(ms.queued) > 0 {
		s.evaluateLocked(ms, now, 1) // the slot just freed is refilled at once
	}
	s.mu.Unlock()
	if late > 0 {
		s.log.Warn("completion window deadline missed",
			"job_id", t.job.ID, "window", t.job.Window.Name, "model", t.job.Model, "key", t.job.Key, "late_by", late)
	}
}

// armLocked makes sure a timer fires by at. A time not after now needs no timer: such a job is
// queued only because the promotion headroom is used up, and a release or Kick re-evaluates it.
// A timer left early by a dispatched or cancelled job just fires once and re-arms.
func (s *Scheduler) armLocked(at, now time.Time) {
	if !at.After(now) || s.timer != nil && !s.timerAt.After(at) {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerGen++
	gen := s.timerGen
	s.timerAt = at
	s.timer = s.clk.AfterFunc(at.Sub(now), func() { s.onTimer(gen) })
}

func (s *Scheduler) onTimer(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.timerGen {
		return
	}
	s.timer = nil
	now := s.clk.Now()
	for _, ms := range s.models {
		if len(ms.queued) > 0 {
			s.evaluateLocked(ms, now, 0) // a promotion or a paced start is due, or it re-arms
		}
	}
}

// DispatchCounts counts dispatches by reason.
type DispatchCounts struct {
	Immediate, Free, Promoted uint64
}

// Stats is a snapshot of the scheduler.
type Stats struct {
	Queued     map[string]int           // window name → queued jobs
	Running    map[string]int           // model → running jobs
	Expected   map[string]time.Duration // model → service time estimate
	Dispatched DispatchCounts
	Misses     uint64 // jobs released after their deadline
}

// Stats reports queue depth per window, running jobs per model, dispatches and misses.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Queued:     make(map[string]int, len(s.queuedByWindow)),
		Running:    make(map[string]int, len(s.models)),
		Expected:   make(map[string]time.Duration, len(s.models)),
		Dispatched: s.dispatched,
		Misses:     s.misses,
	}
	for w, n := range s.queuedByWindow {
		st.Queued[w] = n
	}
	for name, ms := range s.models {
		st.Running[name] = ms.running
		st.Expected[name] = ms.expected(s.minExpected)
	}
	return st
}
