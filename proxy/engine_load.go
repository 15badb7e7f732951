package proxy

import (
	"bytes"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"sailshim/translate"
)

// engineLoad is what an engine's own /metrics says about its queue, scraped each refresh.
type engineLoad struct {
	Running     float64
	Waiting     float64
	Utilisation float64 // 0–1: KV-cache (vLLM, SGLang) or slot/batch use; -1 unknown
	Inflight    float64 // sailshim's requests in flight to the engine when the scrape answered
	At          time.Time
}

// loadNames are the gauges each dialect exposes. Data, so a new engine is a new row.
var loadNames = map[translate.Dialect]struct{ running, waiting, util []string }{
	translate.VLLM: {
		running: []string{"vllm:num_requests_running"},
		waiting: []string{"vllm:num_requests_waiting"},
		util:    []string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"},
	},
	translate.SGLang: {
		running: []string{"sglang:num_running_reqs"},
		waiting: []string{"sglang:num_queue_reqs"},
		util:    []string{"sglang:token_usage"},
	},
	translate.TGI: {
		running: []string{"tgi_batch_current_size"},
		waiting: []string{"tgi_queue_size"},
	},
	translate.LlamaCpp: {
		running: []string{"llamacpp:requests_processing"},
		waiting: []string{"llamacpp:requests_deferred"},
	},
}

// scrapeLoad refreshes u.load from GET /metrics; engines without metrics keep a nil load and
// are judged by the configured concurrency alone.
func (p *Pool) scrapeLoad(u *upstream) {
	names, ok := loadNames[u.dialectNow()]
	if !ok {
		return
	}
	status, body, err := p.get(u, "/metrics")
	if err != nil || status != 200 {
		u.load.Store(nil)
		return
	}
	l, ok := parseLoad(body, names.running, names.waiting, names.util)
	if !ok {
		u.load.Store(nil)
		return
	}
	if l.Utilisation < 0 && l.Running >= 0 {
		l.Utilisation = l.Running / float64(u.cfg.Concurrency)
	}
	l.Inflight = float64(u.inflight.Load())
	l.At = time.Now()
	u.load.Store(&l)
}

// parseLoad sums each named gauge over its label sets (one per model on multi-model engines).
func parseLoad(body []byte, running, waiting, util []string) (engineLoad, bool) {
	tp := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := tp.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil && len(fams) == 0 {
		return engineLoad{}, false
	}
	sum := func(names []string) (float64, bool) {
		for _, n := range names {
			f, ok := fams[n]
			if !ok {
				continue
			}
			var v float64
			for _, m := range f.GetMetric() {
				switch {
				case m.GetGauge() != nil:
					v += m.GetGauge().GetValue()
				case m.GetCounter() != nil:
					v += m.GetCounter().GetValue()
				case m.GetUntyped() != nil:
					v += m.GetUntyped().GetValue()
				}
			}
			return v, true
		}
		return 0, false
	}
	var l engineLoad
	var okR, okW, okU bool
	l.Running, okR = sum(running)
	l.Waiting, okW = sum(waiting)
	l.Utilisation, okU = sum(util)
	if !okU {
		l.Utilisation = -1
	}
	if !okR {
		l.Running = -1
	}
	return l, okR || okW
}

// now projects a scrape to the present. The scrape is up to a refresh period old, and most of
// what changed since is sailshim's own doing, which the live in-flight count shows: each request
// started or finished since moves the utilisation by one sequence's share (utilisation per
// running sequence at the scrape; 1/concurrency when none ran), and each one finished lets one
// waiting request in. Judging flexible work by the raw scrape instead made it oscillate: one
// scrape at the target stopped it for a whole period while the engine drained, the next let it
// fill every slot again.
func (l *engineLoad) now(inflight int64, concurrency int) (waiting, util float64) {
	d := float64(inflight) - l.Inflight
	waiting = max(l.Waiting+min(d, 0), 0)
	if l.Utilisation < 0 {
		return waiting, -1
	}
	per := 1 / float64(concurrency)
	if l.Running > 0 && l.Utilisation > 0 {
		per = l.Utilisation / l.Running
	}
	return waiting, max(l.Utilisation+d*per, 0)
}

// Limit implements policy.Capacity: the configured concurrency of the healthy upstreams serving
// model; flexible work only while no such engine has a waiting queue or a utilisation at or above
// the target, as projected from its last scrape (engineLoad.now).
func (p *Pool) Limit(model string) (slots int, flexOK bool) {
	flexOK = true
	for _, u := range p.ups {
		if !u.serves(model) || !u.healthy() {
			continue
		}
		slots += u.cfg.Concurrency
		if l := u.load.Load(); l != nil {
			waiting, util := l.now(u.inflight.Load(), u.cfg.Concurrency)
			if waiting > 0 || util >= p.cfg.FlexUtilisation {
				flexOK = false
			}
		}
	}
	return slots, flexOK && slots > 0
}
