package loadtest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Engine is the simulated engine's capacity model (the flags of `sailshim sim`).
type Engine struct {
	TokensPerSecond float64       // per-sequence decode rate at batch size 1 (--tps)
	TTFT            time.Duration // prefill time of every request (--ttft)
	MaxConcurrency  int           // running slots (--max-concurrency); also the upstream's concurrency in serve
	BatchKnee       int           // other sequences at which per-sequence speed halves (--batch-knee)
}

// ServiceTime is how long a request of tokens completion tokens holds a slot when running
// sequences (itself included) share the batch: sim's model, TTFT + tokens / speed with
// speed = TokensPerSecond / (1 + (running−1)/BatchKnee). Repeated here because the harness
// sees the engine only from outside, like any client.
func (e Engine) ServiceTime(running, tokens int) time.Duration {
	return e.serviceTimeAt(float64(running), tokens)
}

// serviceTimeAt is ServiceTime for a mean batch size.
func (e Engine) serviceTimeAt(running float64, tokens int) time.Duration {
	speed := e.TokensPerSecond / (1 + max(running-1, 0)/float64(e.BatchKnee))
	return e.TTFT + time.Duration(float64(tokens)/speed*float64(time.Second))
}

// ModelLatency is the service time the capacity model gives an asap request arriving while the
// engine's slot utilisation averages util: Poisson arrivals see the time average, so the batch
// it joins holds util × MaxConcurrency sequences plus itself, at most MaxConcurrency. Measured
// latency above it is what the proxy and the engine's queue add.
func (e Engine) ModelLatency(util float64, tokens int) time.Duration {
	if math.IsNaN(util) {
		return 0
	}
	return e.serviceTimeAt(min(util*float64(e.MaxConcurrency)+1, float64(e.MaxConcurrency)), tokens)
}

// Capacity is the request rate (per second) the engine sustains for requests of tokens
// completion tokens with every slot busy: the reference that load fractions are taken of.
func (e Engine) Capacity(tokens int) float64 {
	return float64(e.MaxConcurrency) / e.ServiceTime(e.MaxConcurrency, tokens).Seconds()
}

// Config is one scenario. DefaultConfig is the documented benchmark.
type Config struct {
	Binary  string // the sailshim binary, run as `sim` and as `serve`
	WorkDir string // data dir and process logs go under it; "" → a temporary dir, removed afterwards
	Engine  Engine

	AsapLoad   float64 // asap arrival rate as a fraction of Engine.Capacity(AsapTokens)
	StreamLoad float64 // 15m arrival rate as a fraction of Engine.Capacity(StreamTokens)
	Backlog    int     // 24h background requests submitted at the start of the mixed phase

	AsapTokens, StreamTokens, BacklogTokens int // completion tokens of each kind ([sim:tokens=N])

	Window15m   time.Duration // deadline of the "15m" window, time-compressed
	Window24h   time.Duration // deadline of the "24h" window, time-compressed
	AsapReserve int           // serve --asap-reserve; 0 → serve's default

	RefreshEvery time.Duration // serve --refresh-every: how fresh the engine load signal is
	SampleEvery  time.Duration // sampling period of queue depth and utilisation
	Warmup       time.Duration // asap-only time before the baseline is measured
	Baseline     time.Duration // asap-only measured baseline
	Tail         time.Duration // asap and 15m traffic kept up after the backlog has drained
	MaxMixed     time.Duration // the mixed phase gives up after this long; 0 → Window24h + 1m

	Submitters int   // concurrent connections submitting the backlog
	Seed       int64 // seeds the arrival processes

	ServeArgs []string  // extra flags for `sailshim serve`
	SimArgs   []string  // extra flags for `sailshim sim`
	Progress  io.Writer // progress lines; nil → none
}

// DefaultConfig is the benchmark of docs/BENCHMARKS.md: 15m compressed to 60s and 24h to 10m.
func DefaultConfig() Config {
	return Config{
		Engine:        Engine{TokensPerSecond: 200, TTFT: 20 * time.Millisecond, MaxConcurrency: 32, BatchKnee: 256},
		AsapLoad:      0.3,
		StreamLoad:    0.1,
		Backlog:       5000,
		AsapTokens:    50,
		StreamTokens:  50,
		BacklogTokens: 50,
		Window15m:     60 * time.Second,
		Window24h:     10 * time.Minute,
		RefreshEvery:  500 * time.Millisecond,
		SampleEvery:   250 * time.Millisecond,
		Warmup:        5 * time.Second,
		Baseline:      60 * time.Second,
		Tail:          15 * time.Second,
		Submitters:    16,
		Seed:          1,
	}
}

func (c *Config) check() error {
	e := c.Engine
	switch {
	case c.Binary == "":
		return errors.New("loadtest: no sailshim binary")
	case e.TokensPerSecond <= 0 || e.MaxConcurrency <= 0 || e.BatchKnee <= 0 || e.TTFT < 0:
		return errors.New("loadtest: the engine needs tps > 0, max concurrency > 0, batch knee > 0 and ttft ≥ 0")
	case c.AsapLoad <= 0 || c.StreamLoad < 0 || c.AsapLoad+c.StreamLoad >= 1:
		return fmt.Errorf("loadtest: asap load %.2f and 15m load %.2f must leave room for the backlog (sum < 1)", c.AsapLoad, c.StreamLoad)
	case c.Backlog <= 0 || c.AsapTokens <= 0 || c.StreamTokens <= 0 || c.BacklogTokens <= 0:
		return errors.New("loadtest: backlog size and token counts must be positive")
	case c.Window15m <= 0 || c.Window24h <= 0:
		return errors.New("loadtest: window deadlines must be positive")
	case c.SampleEvery <= 0 || c.Baseline <= 0 || c.Warmup < 0 || c.Tail < 0:
		return errors.New("loadtest: sample period and baseline must be positive")
	}
	if c.Submitters <= 0 {
		c.Submitters = 16
	}
	if c.RefreshEvery <= 0 {
		c.RefreshEvery = time.Second
	}
	if c.MaxMixed <= 0 {
		c.MaxMixed = c.Window24h + time.Minute
	}
	return nil
}

// Rates are the arrival rates a Config works out to, and the drain time the capacity model
// predicts for the backlog if it gets every slot the other traffic leaves.
type Rates struct {
	Capacity       float64 // asap-sized requests per second with every slot busy
	Asap, Stream   float64 // arrivals per second
	PredictedDrain time.Duration
}

// Rates computes the scenario's arrival rates from the engine model.
func (c Config) Rates() Rates {
	r := Rates{Capacity: c.Engine.Capacity(c.AsapTokens)}
	r.Asap = c.AsapLoad * r.Capacity
	r.Stream = c.StreamLoad * c.Engine.Capacity(c.StreamTokens)
	left := (1 - c.AsapLoad - c.StreamLoad) * c.Engine.Capacity(c.BacklogTokens)
	r.PredictedDrain = time.Duration(float64(c.Backlog) / left * float64(time.Second))
	return r
}
