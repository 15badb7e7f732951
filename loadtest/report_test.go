package loadtest

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestEngineModel(t *testing.T) {
	e := Engine{TokensPerSecond: 200, TTFT: 20 * time.Millisecond, MaxConcurrency: 32, BatchKnee: 16}
	tests := []struct {
		name            string
		running, tokens int
		want            time.Duration
	}{
		{"alone decodes at full speed", 1, 50, 270 * time.Millisecond},
		{"knee+1 sequences halve the speed", 17, 50, 520 * time.Millisecond},
		{"full batch", 32, 50, 20*time.Millisecond + time.Duration(50*2.9375/200*float64(time.Second))},
		{"no tokens is prefill only", 8, 0, 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.ServiceTime(tt.running, tt.tokens); absDur(got-tt.want) > time.Microsecond {
				t.Errorf("ServiceTime(%d, %d) = %s, want %s", tt.running, tt.tokens, got, tt.want)
			}
		})
	}
	if got, want := e.Capacity(50), 32/e.ServiceTime(32, 50).Seconds(); math.Abs(got-want) > 1e-9 {
		t.Errorf("Capacity(50) = %v, want %v", got, want)
	}
	modelTests := []struct {
		name string
		util float64
		want time.Duration
	}{
		{"idle engine: the request runs alone", 0, e.ServiceTime(1, 50)},
		{"a quarter busy: it joins 8 others", 0.25, e.ServiceTime(9, 50)},
		{"full: the batch cannot exceed the slots", 1, e.ServiceTime(32, 50)},
		{"no samples", math.NaN(), 0},
	}
	for _, tt := range modelTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.ModelLatency(tt.util, 50); absDur(got-tt.want) > time.Microsecond {
				t.Errorf("ModelLatency(%v) = %s, want %s", tt.util, got, tt.want)
			}
		})
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func TestRates(t *testing.T) {
	c := DefaultConfig()
	r := c.Rates()
	if math.Abs(r.Asap-0.3*r.Capacity) > 1e-9 {
		t.Errorf("asap rate %v, want 30%% of %v", r.Asap, r.Capacity)
	}
	// The backlog gets the 60% of capacity the other traffic leaves.
	want := time.Duration(float64(c.Backlog) / (0.6 * c.Engine.Capacity(c.BacklogTokens)) * float64(time.Second))
	if absDur(r.PredictedDrain-want) > time.Millisecond {
		t.Errorf("predicted drain %s, want %s", r.PredictedDrain, want)
	}
	if r.PredictedDrain >= c.Window24h {
		t.Errorf("the default scenario cannot drain in its 24h window: predicted %s, window %s", r.PredictedDrain, c.Window24h)
	}
}

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		errHas string
	}{
		{"default is valid", func(*Config) {}, ""},
		{"no binary", func(c *Config) { c.Binary = "" }, "binary"},
		{"loads leave no room", func(c *Config) { c.AsapLoad, c.StreamLoad = 0.6, 0.4 }, "room for the backlog"},
		{"zero knee", func(c *Config) { c.Engine.BatchKnee = 0 }, "batch knee"},
		{"empty backlog", func(c *Config) { c.Backlog = 0 }, "backlog"},
		{"no 24h window", func(c *Config) { c.Window24h = 0 }, "window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Binary = "/bin/true"
			tt.mutate(&c)
			err := c.check()
			switch {
			case tt.errHas == "" && err != nil:
				t.Fatalf("check() = %v, want nil", err)
			case tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)):
				t.Fatalf("check() = %v, want an error mentioning %q", err, tt.errHas)
			}
		})
	}
}

func TestSummarise(t *testing.T) {
	var rs []AsapResult
	for i := 1; i <= 100; i++ {
		rs = append(rs, AsapResult{At: time.Duration(i) * time.Second, Lat: time.Duration(i) * time.Millisecond, OK: true})
	}
	rs = append(rs, AsapResult{At: 50 * time.Second, Lat: time.Hour, OK: false})
	tests := []struct {
		name      string
		from, to  time.Duration
		wantN     int
		wantFail  int
		p50, p99  time.Duration
		wantEmpty bool
	}{
		{"all", 0, time.Hour, 101, 1, 50 * time.Millisecond, 99 * time.Millisecond, false},
		{"half-open window", 1 * time.Second, 11 * time.Second, 10, 0, 5 * time.Millisecond, 10 * time.Millisecond, false},
		{"nothing inside", 200 * time.Second, 300 * time.Second, 0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := summarise(rs, tt.from, tt.to)
			if l.N != tt.wantN || l.Failed != tt.wantFail || l.P50 != tt.p50 || l.P99 != tt.p99 {
				t.Errorf("got %+v, want n=%d failed=%d p50=%s p99=%s", l, tt.wantN, tt.wantFail, tt.p50, tt.p99)
			}
		})
	}
}

func TestGoals(t *testing.T) {
	rep := &Report{
		Config:        DefaultConfig(),
		Baseline:      Latency{N: 10, P50: 100 * time.Millisecond, P99: 200 * time.Millisecond},
		DuringBacklog: Latency{N: 10, P50: 105 * time.Millisecond, P99: 260 * time.Millisecond},
		UtilBacklog:   0.93,
		DrainTime:     3 * time.Minute,
		Misses:        map[string]float64{"15m": 2},
	}
	want := map[string]bool{
		"asap p50 vs baseline": true, "asap p99 vs baseline": false, "utilisation while backlog exists": true,
		"deadline misses": false, "backlog drained within the 24h window": true,
	}
	for _, g := range rep.Goals() {
		if g.Met != want[g.Name] {
			t.Errorf("goal %q met = %v (got %s), want %v", g.Name, g.Met, g.Got, want[g.Name])
		}
	}
	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	if !strings.Contains(md.String(), "| deadline misses | 0 | 2 | MISSED |") {
		t.Errorf("markdown lacks the missed goal row:\n%s", md.String())
	}
}

func TestPlotOfSyntheticRun(t *testing.T) {
	rep := &Report{Config: DefaultConfig(), Marks: Marks{BaselineStart: time.Second, MixedStart: 10 * time.Second, Drained: 40 * time.Second, End: 50 * time.Second}}
	for i := 0; i < 200; i++ {
		at := time.Duration(i) * 250 * time.Millisecond
		util := 0.3
		if at > 10*time.Second {
			util = 0.95
		}
		if i == 0 {
			util = math.NaN() // the first sample has no previous one to measure against
		}
		rep.Samples = append(rep.Samples, Sample{T: at, Depth: map[string]float64{"24h": float64(max(0, 4000-20*i)), "15m": float64(i % 3)}, Util: util})
		rep.Asap = append(rep.Asap, AsapResult{At: at, Lat: 300 * time.Millisecond, OK: true})
	}
	rep.Baseline = Latency{P50: 300 * time.Millisecond, P99: 400 * time.Millisecond}
	var b bytes.Buffer
	if err := rep.WritePlot(&b); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, b.Bytes(), "scheduler queue depth", "engine slot utilisation", "asap latency", "goal 90%")
	if bytes.Contains(b.Bytes(), []byte("NaN")) {
		t.Error("plot contains NaN coordinates")
	}
}

func TestSegments(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		pts  [][2]float64
		want []int // lengths of the segments
	}{
		{"unbroken", [][2]float64{{0, 1}, {1, 2}}, []int{2}},
		{"gap in the middle", [][2]float64{{0, 1}, {1, nan}, {2, 3}, {3, 4}}, []int{1, 2}},
		{"all missing", [][2]float64{{0, nan}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, s := range segments(tt.pts) {
				got = append(got, len(s))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("segments %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("segments %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestNiceStep(t *testing.T) {
	tests := []struct {
		span float64
		n    int
		want float64
	}{{300, 12, 50}, {60, 12, 5}, {1.2, 5, 0.5}, {1000, 5, 200}}
	for _, tt := range tests {
		if got := niceStep(tt.span, tt.n); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("niceStep(%v, %d) = %v, want %v", tt.span, tt.n, got, tt.want)
		}
	}
}
