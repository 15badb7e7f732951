package policy

import "time"

// Pacing. When many slots are idle at once (a backlog lands on a quiet engine, or flexible work
// is allowed again after a busy spell) the scheduler could start every queued job in one go. On
// a real engine that wave is prefilled in the same few steps, stalling the decode of every
// running sequence, asap ones included. So queued work grows into idle slots no faster than a
// full batch turns over (Limit starts per estimated service time), after a small burst.
//
// Only growth is paced: the slot a finished job frees is refilled at once, however short the
// job was. Pacing every start would also smooth the completions of alike jobs, but with uneven
// service times it leaves slots idle (TestPacingKeepsVariableWorkBusy). Promotions are not paced
// either: deadlines come first.

// paceFor returns the interval between paced starts for a model with limit slots, and how many
// may start back to back; interval 0 means no pacing (disabled, no estimate yet, no capacity).
func (s *Scheduler) paceFor(ms *modelState, limit int) (time.Duration, int) {
	if s.burst < 0 || ms.est <= 0 || limit <= 0 {
		return 0, 0
	}
	burst := s.burst
	if burst == 0 {
		burst = max(limit/10, 1)
	}
	return ms.est / time.Duration(limit), burst
}

// paceAt is the earliest time the next queued job may start (a generic cell rate algorithm:
// the schedule may run ahead of the clock by burst−1 intervals).
func (ms *modelState) paceAt(iv time.Duration, burst int) time.Time {
	if iv <= 0 {
		return time.Time{}
	}
	return ms.paceTAT.Add(-time.Duration(burst-1) * iv)
}

// paced records a start at now.
func (ms *modelState) paced(now time.Time, iv time.Duration) {
	if iv <= 0 {
		return
	}
	ms.paceTAT = later(ms.paceTAT, now).Add(iv)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
