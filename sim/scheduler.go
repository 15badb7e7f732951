package sim

import (
	"sync"
	"time"
)

// scheduler hands out the engine's running slots in arrival order and integrates slot use over
// time, so a benchmark can compute utilisation.
type scheduler struct {
	mu       sync.Mutex
	slots    int
	running  int
	waiting  int
	queue    []*waiter // FIFO; cancelled waiters stay until popped
	last     time.Time
	slotSecs float64 // ∫ running dt
	busySecs float64 // time with running > 0
	onChange func()  // test hook, called without the lock after running or waiting changed
}

type waiter struct {
	ready     chan struct{}
	m         *modelCounters
	granted   bool // a slot was handed over
	cancelled bool
}

func newScheduler(slots int, now time.Time) *scheduler {
	return &scheduler{slots: slots, last: now}
}

// account adds the time since the last change to the integrals; mu must be held.
func (s *scheduler) account(now time.Time) {
	if dt := now.Sub(s.last).Seconds(); dt > 0 {
		s.slotSecs += dt * float64(s.running)
		if s.running > 0 {
			s.busySecs += dt
		}
	}
	s.last = now
}

// acquire takes a slot, waiting in line while all are busy. It returns the running count at
// admission (this request included), or ok false when stop closed first and no slot is held.
func (s *scheduler) acquire(stop <-chan struct{}, m *modelCounters) (running int, ok bool) {
	s.mu.Lock()
	if s.running < s.slots && s.waiting == 0 {
		s.account(time.Now())
		s.running++
		m.running++
		running = s.running
		s.mu.Unlock()
		s.changed()
		return running, true
	}
	w := &waiter{ready: make(chan struct{}), m: m}
	s.queue = append(s.queue, w)
	s.waiting++
	m.waiting++
	s.mu.Unlock()
	s.changed()

	select {
	case <-w.ready:
	case <-stop:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !w.granted {
		w.cancelled = true
		s.waiting--
		m.waiting--
		defer s.changed()
		return 0, false
	}
	return s.running, true
}

// release frees a slot, handing it straight to the longest waiter if there is one.
func (s *scheduler) release(m *modelCounters) {
	s.mu.Lock()
	s.account(time.Now())
	for len(s.queue) > 0 {
		w := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		if w.cancelled {
			continue
		}
		w.granted = true
		s.waiting--
		w.m.waiting--
		w.m.running++
		m.running--
		close(w.ready)
		s.mu.Unlock()
		s.changed()
		return
	}
	s.running--
	m.running--
	s.mu.Unlock()
	s.changed()
}

func (s *scheduler) changed() {
	if s.onChange != nil {
		s.onChange()
	}
}

type schedSnapshot struct {
	running, waiting   int
	slotSecs, busySecs float64
}

func (s *scheduler) snapshot(now time.Time) schedSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := schedSnapshot{running: s.running, waiting: s.waiting, slotSecs: s.slotSecs, busySecs: s.busySecs}
	if dt := now.Sub(s.last).Seconds(); dt > 0 {
		snap.slotSecs += dt * float64(s.running)
		if s.running > 0 {
			snap.busySecs += dt
		}
	}
	return snap
}

// serviceTime is how long a request holding a slot takes: see the capacity model in the package
// doc. running includes the request itself.
func serviceTime(cfg *Config, running, tokens int) time.Duration {
	d := cfg.TTFT
	if cfg.TokensPerSecond > 0 && tokens > 0 {
		speed := cfg.TokensPerSecond / (1 + float64(max(running-1, 0))/float64(cfg.BatchKnee))
		d += time.Duration(float64(tokens) / speed * float64(time.Second))
	}
	return d
}
