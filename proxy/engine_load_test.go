package proxy

import (
	"log/slog"
	"math"
	"testing"
)

func TestEngineLoadNow(t *testing.T) {
	tests := []struct {
		name        string
		load        engineLoad
		inflight    int64
		wantWaiting float64
		wantUtil    float64
		concurrency int
	}{
		{"nothing changed since the scrape", engineLoad{Running: 29, Utilisation: 0.9, Inflight: 29}, 29, 0, 0.9, 32},
		{"finished work frees its share", engineLoad{Running: 30, Utilisation: 0.9, Inflight: 30}, 20, 0, 0.6, 32},
		{"new work adds its share", engineLoad{Running: 10, Utilisation: 0.5, Inflight: 10}, 14, 0, 0.7, 32},
		{"idle engine: one slot per request", engineLoad{Running: 0, Utilisation: 0, Inflight: 0}, 16, 0, 0.5, 32},
		{"finishes let waiting requests in", engineLoad{Running: 32, Waiting: 3, Utilisation: 1, Inflight: 35}, 33, 1, 1 - 2.0/32, 32},
		{"new work does not invent a queue", engineLoad{Running: 4, Waiting: 0, Utilisation: 0.125, Inflight: 4}, 8, 0, 0.25, 32},
		{"unknown utilisation stays unknown", engineLoad{Running: -1, Waiting: 2, Utilisation: -1, Inflight: 5}, 2, 0, -1, 32},
		{"never below zero", engineLoad{Running: 2, Utilisation: 0.1, Inflight: 8}, 0, 0, 0, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, u := tt.load.now(tt.inflight, tt.concurrency)
			if math.Abs(w-tt.wantWaiting) > 1e-9 || math.Abs(u-tt.wantUtil) > 1e-9 {
				t.Errorf("now(%d) = waiting %v, util %v; want %v, %v", tt.inflight, w, u, tt.wantWaiting, tt.wantUtil)
			}
		})
	}
}

// TestLimitFlexFollowsInflight is the case the projection exists for: a scrape taken at the
// utilisation target must not hold flexible work back once sailshim's own requests have finished.
func TestLimitFlexFollowsInflight(t *testing.T) {
	p, err := NewPool(PoolConfig{}, []UpstreamConfig{{URL: "http://127.0.0.1:1", Concurrency: 32, Models: []string{"m"}}},
		slog.New(slog.DiscardHandler), NewMetrics(nil))
	if err != nil {
		t.Fatal(err)
	}
	u := p.ups[0]
	tests := []struct {
		name     string
		load     *engineLoad
		inflight int64
		wantFlex bool
	}{
		{"no scrape yet", nil, 31, true},
		{"at the target when scraped, nothing finished since", &engineLoad{Running: 31, Utilisation: 31.0 / 32, Inflight: 31}, 31, false},
		{"at the target when scraped, work finished since", &engineLoad{Running: 31, Utilisation: 31.0 / 32, Inflight: 31}, 20, true},
		{"under the target when scraped, filled since", &engineLoad{Running: 10, Utilisation: 10.0 / 32, Inflight: 10}, 30, false},
		{"engine queue", &engineLoad{Running: 32, Waiting: 4, Utilisation: 1, Inflight: 36}, 36, false},
		{"engine queue drained by finishes", &engineLoad{Running: 20, Waiting: 2, Utilisation: 0.6, Inflight: 22}, 18, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u.load.Store(tt.load)
			u.inflight.Store(tt.inflight)
			slots, flexOK := p.Limit("m")
			if slots != 32 || flexOK != tt.wantFlex {
				t.Errorf("Limit = %d, %v; want 32, %v", slots, flexOK, tt.wantFlex)
			}
		})
	}
	if slots, flexOK := p.Limit("other"); slots != 0 || flexOK {
		t.Errorf("Limit(unserved model) = %d, %v; want 0, false", slots, flexOK)
	}
}
