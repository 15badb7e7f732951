package sim

import (
	"log/slog"
	"time"
)

// Config describes the simulated engine. The zero value is a fast, fault-free engine serving
// "sim-1".
type Config struct {
	Models          []string      // served model ids; empty → []string{"sim-1"}
	TokensPerSecond float64       // per-sequence decode rate at batch size 1; 0 → no pacing
	TTFT            time.Duration // prefill latency (time to first token); 0 → none
	MaxConcurrency  int           // running slots; requests beyond wait in a FIFO queue; 0 → 64
	BatchKnee       int           // other running sequences at which per-sequence speed halves; 0 → 256
	ErrorRate       float64       // fraction of requests answered with a vLLM 500
	SlowRate        float64       // fraction of requests that take SlowFactor× longer
	SlowFactor      float64       // slow-down of a slow request; 0 → 10
	HangRate        float64       // fraction of requests that never answer (see package doc)
	Seed            int64         // seeds the rate draws and reply ids
	Logger          *slog.Logger  // nil → discard
}

const (
	defaultModel          = "sim-1"
	defaultMaxConcurrency = 64
	defaultBatchKnee      = 256 // memory-bound decode: batching is nearly free up to the slot limit
	defaultSlowFactor     = 10
	maxModelLen           = 8192
	maxChoices            = 128
)

func (c Config) withDefaults() Config {
	if len(c.Models) == 0 {
		c.Models = []string{defaultModel}
	} else {
		c.Models = append([]string(nil), c.Models...)
	}
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = defaultMaxConcurrency
	}
	if c.BatchKnee <= 0 {
		c.BatchKnee = defaultBatchKnee
	}
	if c.SlowFactor <= 0 {
		c.SlowFactor = defaultSlowFactor
	}
	if c.TokensPerSecond < 0 {
		c.TokensPerSecond = 0
	}
	if c.TTFT < 0 {
		c.TTFT = 0
	}
	c.ErrorRate = clamp01(c.ErrorRate)
	c.SlowRate = clamp01(c.SlowRate)
	c.HangRate = clamp01(c.HangRate)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func clamp01(f float64) float64 {
	if f != f || f < 0 { // NaN too
		return 0
	}
	if f > 1 {
		return 1
	}
	return f
}
