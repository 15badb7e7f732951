package webhook

import "github.com/prometheus/client_golang/prometheus"

// Delivery outcomes, the values of the result label.
const (
	resultDelivered = "delivered"
	resultFailed    = "failed"
	resultRefused   = "refused"
)

type metrics struct {
	deliveries *prometheus.CounterVec
	attempts   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	m := metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sailshim_webhook_deliveries_total",
			Help: "Completion webhooks that reached a final outcome, by result.",
		}, []string{"result"}),
		attempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sailshim_webhook_attempts_total",
			Help: "Completion webhook POST attempts, retries included.",
		}),
	}
	// Create every series up front so dashboards see zeros instead of absent data.
	for _, r := range []string{resultDelivered, resultFailed, resultRefused} {
		m.deliveries.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.attempts} {
		if err := reg.Register(c); err != nil {
			return metrics{}, err
		}
	}
	return m, nil
}
