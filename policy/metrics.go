package policy

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const metricPrefix = "sailshim_scheduler_"

// schedMetrics holds the counters; gauges are read from the scheduler's state at scrape time by
// stateCollector, so they cannot drift from it.
type schedMetrics struct {
	dispatched *prometheus.CounterVec
	misses     *prometheus.CounterVec
}

func newSchedMetrics(s *Scheduler, reg prometheus.Registerer) schedMetrics {
	m := schedMetrics{
		dispatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "dispatched_total",
			Help: "Jobs sent to engines, by completion window, model and reason (immediate, free, promoted).",
		}, []string{"window", "model", "reason"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "deadline_misses_total",
			Help: "Jobs that completed after their completion window's deadline.",
		}, []string{"window", "model"}),
	}
	if reg != nil {
		reg.MustRegister(m.dispatched, m.misses, newStateCollector(s))
	}
	return m
}

type stateCollector struct {
	s       *Scheduler
	depth   *prometheus.Desc
	age     *prometheus.Desc
	running *prometheus.Desc
}

func newStateCollector(s *Scheduler) *stateCollector {
	return &stateCollector{
		s: s,
		depth: prometheus.NewDesc(metricPrefix+"queue_depth",
			"Jobs waiting for dispatch, by completion window.", []string{"window"}, nil),
		age: prometheus.NewDesc(metricPrefix+"queue_oldest_age_seconds",
			"Age of the oldest waiting job, by completion window (0 when none waits).", []string{"window"}, nil),
		running: prometheus.NewDesc(metricPrefix+"running",
			"Jobs dispatched and not yet released, by model.", []string{"model"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.age
	ch <- c.running
}

// Collect scans the queues for the oldest job per window: O(queued) once per scrape, which
// keeps the dispatch path free of per-window bookkeeping.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	var out []prometheus.Metric
	s := c.s
	s.mu.Lock()
	now := s.clk.Now()
	oldest := make(map[string]time.Time, len(s.queuedByWindow))
	for _, ms := range s.models {
		for _, t := range ms.queued {
			if o, ok := oldest[t.job.Window.Name]; !ok || t.job.Submitted.Before(o) {
				oldest[t.job.Window.Name] = t.job.Submitted
			}
		}
		out = append(out, prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(ms.running), ms.name))
	}
	for w, n := range s.queuedByWindow {
		age := 0.0
		if o, ok := oldest[w]; ok {
			age = max(now.Sub(o).Seconds(), 0)
		}
		out = append(out,
			prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n), w),
			prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age, w))
	}
	s.mu.Unlock()
	for _, m := range out {
		ch <- m
	}
}
