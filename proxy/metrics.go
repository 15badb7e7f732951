package proxy

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the edge's and the pool's Prometheus series; every one names the surface, model or
// upstream it is about.
type Metrics struct {
	requests     *prometheus.CounterVec   // surface, model, code
	duration     *prometheus.HistogramVec // surface
	inflight     *prometheus.GaugeVec     // upstream
	attempts     *prometheus.CounterVec   // upstream, result
	breakerState *prometheus.GaugeVec     // upstream: 0 closed, 1 half-open, 2 open
	jobs         *prometheus.GaugeVec     // surface, status: background jobs by state
}

// NewMetrics registers the edge's and pool's series on reg (nil: not exported).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sailshim_requests_total", Help: "Client requests by surface, model and HTTP status.",
		}, []string{"surface", "model", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sailshim_request_duration_seconds", Help: "Time from request to reply, by surface.",
			Buckets: []float64{.005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}, []string{"surface"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sailshim_upstream_inflight", Help: "Requests in flight to each upstream.",
		}, []string{"upstream"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sailshim_upstream_attempts_total", Help: "Upstream attempts by result.",
		}, []string{"upstream", "result"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sailshim_upstream_breaker_state", Help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
		}, []string{"upstream"}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sailshim_background_jobs", Help: "Background jobs not yet finished, by surface and status.",
		}, []string{"surface", "status"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inflight, m.attempts, m.breakerState, m.jobs)
	}
	return m
}

// attemptResult is the result label of sailshim_upstream_attempts_total.
type attemptResult int

const (
	attemptOK attemptResult = iota
	attemptClientError
	attemptUpstreamError
	attemptNetworkError
	attemptBreakerOpen
	numAttemptResults
)

var attemptResultNames = [numAttemptResults]string{"ok", "client_error", "upstream_error", "network_error", "breaker_open"}

// upstreamSeries are one upstream's series, resolved once so that an attempt does no label
// lookups (and every series reads 0 from the start instead of appearing with its first use).
type upstreamSeries struct {
	inflight prometheus.Gauge
	attempts [numAttemptResults]prometheus.Counter
}

func (m *Metrics) forUpstream(name string) upstreamSeries {
	s := upstreamSeries{inflight: m.inflight.WithLabelValues(name)}
	for r, result := range attemptResultNames {
		s.attempts[r] = m.attempts.WithLabelValues(name, result)
	}
	m.breakerState.WithLabelValues(name).Set(0)
	return s
}
