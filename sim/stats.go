package sim

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of the engine's counters. Requests counts chat completion requests; each
// ends as Completed, Failed (any error status, client mistakes included) or Abandoned (a hang
// released), and until then is Running, Waiting, Hung or being parsed.
type Stats struct {
	Requests        int64                 `json:"requests"`
	Completed       int64                 `json:"completed"`
	Failed          int64                 `json:"failed"`
	Abandoned       int64                 `json:"abandoned"`
	Running         int                   `json:"running"`
	Waiting         int                   `json:"waiting"`
	Hung            int                   `json:"hung"`
	PromptTokens    int64                 `json:"prompt_tokens"`    // of completed requests
	TokensGenerated int64                 `json:"tokens_generated"` // completion tokens of completed requests
	BusySeconds     float64               `json:"busy_seconds"`     // wall time with at least one request running
	SlotSeconds     float64               `json:"slot_seconds"`     // ∫ running dt: utilisation = SlotSeconds / (UptimeSeconds × MaxConcurrency)
	UptimeSeconds   float64               `json:"uptime_seconds"`
	MaxConcurrency  int                   `json:"max_concurrency"`
	Models          map[string]ModelStats `json:"models"` // by served model id
}

// ModelStats are the counters of one served model; requests that name no served model are only in
// the totals.
type ModelStats struct {
	Requests        int64 `json:"requests"`
	Completed       int64 `json:"completed"`
	Failed          int64 `json:"failed"`
	Running         int   `json:"running"`
	Waiting         int   `json:"waiting"`
	PromptTokens    int64 `json:"prompt_tokens"`
	TokensGenerated int64 `json:"tokens_generated"`
}

// modelCounters backs ModelStats and the per-model metrics.
type modelCounters struct {
	name             string
	running, waiting int // guarded by scheduler.mu
	requests         atomic.Int64
	completed        atomic.Int64
	failed           atomic.Int64
	promptTokens     atomic.Int64
	genTokens        atomic.Int64
}

// counters are the engine-wide totals.
type counters struct {
	requests     atomic.Int64
	completed    atomic.Int64
	failed       atomic.Int64
	abandoned    atomic.Int64
	hung         atomic.Int64
	promptTokens atomic.Int64
	genTokens    atomic.Int64
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	now := time.Now()
	snap := s.sched.snapshot(now)
	st := Stats{
		Requests:        s.count.requests.Load(),
		Completed:       s.count.completed.Load(),
		Failed:          s.count.failed.Load(),
		Abandoned:       s.count.abandoned.Load(),
		Running:         snap.running,
		Waiting:         snap.waiting,
		Hung:            int(s.count.hung.Load()),
		PromptTokens:    s.count.promptTokens.Load(),
		TokensGenerated: s.count.genTokens.Load(),
		BusySeconds:     snap.busySecs,
		SlotSeconds:     snap.slotSecs,
		UptimeSeconds:   now.Sub(s.started).Seconds(),
		MaxConcurrency:  s.cfg.MaxConcurrency,
		Models:          make(map[string]ModelStats, len(s.modelList)),
	}
	s.sched.mu.Lock()
	for _, m := range s.modelList {
		st.Models[m.name] = ModelStats{Running: m.running, Waiting: m.waiting}
	}
	s.sched.mu.Unlock()
	for _, m := range s.modelList {
		ms := st.Models[m.name]
		ms.Requests = m.requests.Load()
		ms.Completed = m.completed.Load()
		ms.Failed = m.failed.Load()
		ms.PromptTokens = m.promptTokens.Load()
		ms.TokensGenerated = m.genTokens.Load()
		st.Models[m.name] = ms
	}
	return st
}
