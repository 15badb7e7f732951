package sim

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// collector reads the engine's counters at scrape time, so the chat path never touches a
// Prometheus metric.
type collector struct {
	s                              *Server
	running, waiting, kvUsage      *prometheus.Desc
	promptTokens, generationTokens *prometheus.Desc
}

func newCollector(s *Server) *collector {
	label := []string{"model_name"}
	return &collector{
		s:                s,
		running:          prometheus.NewDesc("vllm:num_requests_running", "Number of requests in model execution batches.", label, nil),
		waiting:          prometheus.NewDesc("vllm:num_requests_waiting", "Number of requests waiting to be processed.", label, nil),
		kvUsage:          prometheus.NewDesc("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", label, nil),
		promptTokens:     prometheus.NewDesc("vllm:prompt_tokens_total", "Number of prefill tokens processed.", label, nil),
		generationTokens: prometheus.NewDesc("vllm:generation_tokens_total", "Number of generation tokens processed.", label, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.running, c.waiting, c.kvUsage, c.promptTokens, c.generationTokens} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	type gauges struct{ running, waiting int }
	s := c.s
	s.sched.mu.Lock()
	usage := float64(s.sched.running) / float64(s.sched.slots)
	per := make([]gauges, len(s.modelList))
	for i, m := range s.modelList {
		per[i] = gauges{m.running, m.waiting}
	}
	s.sched.mu.Unlock()
	for i, m := range s.modelList {
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(per[i].running), m.name)
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(per[i].waiting), m.name)
		ch <- prometheus.MustNewConstMetric(c.kvUsage, prometheus.GaugeValue, usage, m.name)
		ch <- prometheus.MustNewConstMetric(c.promptTokens, prometheus.CounterValue, float64(m.promptTokens.Load()), m.name)
		ch <- prometheus.MustNewConstMetric(c.generationTokens, prometheus.CounterValue, float64(m.genTokens.Load()), m.name)
	}
}

// metricsHandler serves a registry private to s: two simulators in one process (tests) must not
// share metrics.
func metricsHandler(s *Server) fasthttp.RequestHandler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(s))
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
