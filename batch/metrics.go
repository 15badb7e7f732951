package batch

import "github.com/prometheus/client_golang/prometheus"

// metrics are the batch series: what was created, how items ended, what is in flight.
type metrics struct {
	batches  *prometheus.CounterVec // shape
	items    *prometheus.CounterVec // result
	inflight prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sailshim_batches_created_total", Help: "Batches created, by shape (sail, openai).",
		}, []string{"shape"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sailshim_batch_items_total", Help: "Batch items finished, by result (completed, failed, cancelled, expired).",
		}, []string{"result"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sailshim_batch_items_inflight", Help: "Batch items handed to the pipeline and not finished.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.batches, m.items, m.inflight)
	}
	return m
}
