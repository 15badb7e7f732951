package loadtest

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// The plot's geometry, in SVG user units.
const (
	plotW      = 1000.0
	plotLeft   = 72.0
	plotRight  = 24.0
	plotTop    = 80.0
	panelH     = 170.0
	panelGap   = 44.0
	plotBottom = 44.0
)

// panel is one chart of the stack; y maps a value to its height fraction (0 bottom, 1 top).
type panel struct {
	title string
	top   float64
	y     func(v float64) float64
	ticks []tick
}

type tick struct {
	v     float64
	label string
}

type series struct {
	name, color string
	dash        bool
	pts         [][2]float64 // (seconds, value); NaN values break the line
}

// WritePlot draws the run as three stacked line charts sharing a time axis: scheduler queue
// depth per window (log scale), engine utilisation, and asap latency p50/p99 per one-second
// bucket of send time. The baseline and the time the backlog existed are shaded.
func (r *Report) WritePlot(w io.Writer) error {
	bw := bufio.NewWriter(w)
	end := r.Marks.End
	if end <= 0 && len(r.Samples) > 0 {
		end = r.Samples[len(r.Samples)-1].T
	}
	endS := max(end.Seconds(), 1)
	x := func(s float64) float64 { return plotLeft + (plotW-plotLeft-plotRight)*s/endS }
	height := plotTop + 3*panelH + 2*panelGap + plotBottom

	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n",
		plotW, height, plotW, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	c := r.Config
	title := fmt.Sprintf("asap at %.0f%% of capacity + %d × 24h backlog + 15m stream (15m→%s, 24h→%s)",
		100*c.AsapLoad, c.Backlog, c.Window15m, c.Window24h)
	fmt.Fprintf(bw, `<text x="%.0f" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", plotLeft, html.EscapeString(title))
	fmt.Fprintf(bw, `<text x="%.0f" y="37" fill="#555">sim: %g tok/s per sequence, ttft %s, %d slots, batch knee %d; asap reserve %s</text>`+"\n",
		plotLeft, c.Engine.TokensPerSecond, c.Engine.TTFT, c.Engine.MaxConcurrency, c.Engine.BatchKnee, reserveText(c.AsapReserve))
	fmt.Fprintf(bw, `<text x="%.0f" y="52" fill="#555">shaded: grey = asap-only baseline, blue = backlog exists; engine model = asap service time the sim's capacity model gives at the mean batch</text>`+"\n", plotLeft)

	panels, data := r.panels()
	for i, p := range panels {
		p.top = plotTop + float64(i)*(panelH+panelGap)
		r.drawPanel(bw, p, data[i], x, endS)
	}
	axisY := plotTop + 3*panelH + 2*panelGap // the bottom edge of the last chart
	// Ticks under the latency chart where the load generator itself ran late (a starved machine).
	for _, at := range r.LateAt {
		fmt.Fprintf(bw, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#8e44ad" stroke-width="1.5"/>`+"\n",
			x(at.Seconds()), x(at.Seconds()), axisY-8, axisY)
	}
	if len(r.LateAt) > 0 {
		fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" fill="#8e44ad">| ticks: load generator &gt; 50 ms late (machine busy)</text>`+"\n", plotLeft, axisY+34)
	}
	step := niceStep(endS, 12)
	for s := 0.0; s <= endS+1e-9; s += step {
		fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333">%g</text>`+"\n", x(s), axisY+16, s)
	}
	fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" text-anchor="middle">seconds since start</text>`+"\n", (plotLeft+plotW-plotRight)/2, axisY+34)
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

// panels builds the three charts and their series.
func (r *Report) panels() ([]panel, [][]series) {
	var d15, d24, util []([2]float64)
	maxDepth := 1.0
	for _, s := range r.Samples {
		t := s.T.Seconds()
		d15 = append(d15, [2]float64{t, s.Depth["15m"]})
		d24 = append(d24, [2]float64{t, s.Depth["24h"]})
		util = append(util, [2]float64{t, s.Util})
		maxDepth = max(maxDepth, s.Depth["15m"], s.Depth["24h"])
	}
	top := math.Ceil(math.Log10(1 + maxDepth))
	depth := panel{title: "scheduler queue depth (log scale)", y: func(v float64) float64 { return math.Log10(1+v) / top }}
	for e := 0.0; e <= top; e++ {
		v := math.Pow(10, e)
		if e == 0 {
			depth.ticks = append(depth.ticks, tick{0, "0"})
		}
		depth.ticks = append(depth.ticks, tick{v, fmt.Sprintf("%g", v)})
	}

	utilP := panel{title: "engine slot utilisation", y: func(v float64) float64 { return v / 1.0 }}
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		utilP.ticks = append(utilP.ticks, tick{v, fmt.Sprintf("%.0f%%", 100*v)})
	}
	goal := series{name: "goal 90%", color: "#999", dash: true, pts: [][2]float64{{0, 0.9}, {r.Marks.End.Seconds(), 0.9}}}

	p50, p99 := latencyBuckets(r.Asap, time.Second)
	maxLat := 0.001
	for _, p := range p99 {
		if !math.IsNaN(p[1]) {
			maxLat = max(maxLat, p[1])
		}
	}
	b50, b99 := 1.1*r.Baseline.P50.Seconds()*1000, 1.1*r.Baseline.P99.Seconds()*1000
	maxLat = max(maxLat, b99)
	lstep := niceStep(maxLat, 5)
	latTop := math.Ceil(maxLat/lstep) * lstep
	lat := panel{title: "asap latency (ms) per 1 s of send time", y: func(v float64) float64 { return v / latTop }}
	for v := 0.0; v <= latTop+1e-9; v += lstep {
		lat.ticks = append(lat.ticks, tick{v, fmt.Sprintf("%g", v)})
	}
	endS := r.Marks.End.Seconds()
	m, e := r.Marks, r.Config.Engine
	drained := m.Drained
	if drained == 0 {
		drained = m.End
	}
	toMS := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	mb, mm := toMS(e.ModelLatency(r.UtilBaseline, r.Config.AsapTokens)), toMS(e.ModelLatency(r.UtilBacklog, r.Config.AsapTokens))
	model := series{name: "engine model", color: "#333", dash: true, pts: [][2]float64{
		{m.BaselineStart.Seconds(), mb}, {m.MixedStart.Seconds(), mb}, {m.MixedStart.Seconds(), math.NaN()},
		{m.MixedStart.Seconds(), mm}, {drained.Seconds(), mm},
	}}
	return []panel{depth, utilP, lat}, [][]series{
		{{name: "15m", color: "#e07b00", pts: d15}, {name: "24h", color: "#1f5fbf", pts: d24}},
		{{name: "utilisation", color: "#2a9d3a", pts: util}, goal},
		{
			{name: "p50", color: "#1f5fbf", pts: p50}, {name: "p99", color: "#c0392b", pts: p99},
			{name: "baseline p50 +10%", color: "#1f5fbf", dash: true, pts: [][2]float64{{0, b50}, {endS, b50}}},
			{name: "baseline p99 +10%", color: "#c0392b", dash: true, pts: [][2]float64{{0, b99}, {endS, b99}}},
			model,
		},
	}
}

func (r *Report) drawPanel(w io.Writer, p panel, ss []series, x func(float64) float64, endS float64) {
	bottom := p.top + panelH
	y := func(v float64) float64 { return bottom - panelH*min(max(p.y(v), 0), 1) }
	m := r.Marks
	shade := func(from, to time.Duration, color string) {
		if to > from {
			fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
				x(from.Seconds()), p.top, x(to.Seconds())-x(from.Seconds()), panelH, color)
		}
	}
	shade(m.BaselineStart, m.MixedStart, "#eeeeee")
	drained := m.Drained
	if drained == 0 {
		drained = m.End
	}
	shade(m.MixedStart, drained, "#e6effa")
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-weight="bold">%s</text>`+"\n", plotLeft, p.top-8, html.EscapeString(p.title))
	for _, t := range p.ticks {
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", plotLeft, x(endS), y(t.v), y(t.v))
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#333">%s</text>`+"\n", plotLeft-6, y(t.v)+4, t.label)
	}
	fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#888"/>`+"\n", plotLeft, p.top, x(endS)-plotLeft, panelH)
	lx := plotW - plotRight
	for i := len(ss) - 1; i >= 0; i-- {
		s := ss[i]
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="5,4"`
		}
		for _, seg := range segments(s.pts) {
			var b strings.Builder
			for _, pt := range seg {
				fmt.Fprintf(&b, "%.1f,%.1f ", x(pt[0]), y(pt[1]))
			}
			fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>`+"\n", s.color, dash, strings.TrimSpace(b.String()))
		}
		// Legend, right-aligned along the panel's top edge.
		tw := 7.0*float64(len(s.name)) + 28
		lx -= tw
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", lx, lx+18, p.top-12, p.top-12, s.color, dash)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+22, p.top-8, html.EscapeString(s.name))
	}
}

// segments splits a series where its value is NaN.
func segments(pts [][2]float64) [][][2]float64 {
	var out [][][2]float64
	var cur [][2]float64
	for _, p := range pts {
		if math.IsNaN(p[1]) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, p)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// latencyBuckets returns the p50 and p99 in milliseconds of the successful asap requests sent in
// each bucket, placed at the bucket's middle; empty buckets are NaN.
func latencyBuckets(rs []AsapResult, bucket time.Duration) (p50, p99 [][2]float64) {
	if len(rs) == 0 {
		return nil, nil
	}
	var last time.Duration
	for _, r := range rs {
		last = max(last, r.At)
	}
	n := int(last/bucket) + 1
	byBucket := make([][]time.Duration, n)
	for _, r := range rs {
		if r.OK {
			i := int(r.At / bucket)
			byBucket[i] = append(byBucket[i], r.Lat)
		}
	}
	for i, lats := range byBucket {
		t := (time.Duration(i)*bucket + bucket/2).Seconds()
		if len(lats) == 0 {
			p50 = append(p50, [2]float64{t, math.NaN()})
			p99 = append(p99, [2]float64{t, math.NaN()})
			continue
		}
		slices.Sort(lats)
		toMS := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		p50 = append(p50, [2]float64{t, toMS(percentile(lats, 0.5))})
		p99 = append(p99, [2]float64{t, toMS(percentile(lats, 0.99))})
	}
	return p50, p99
}

// niceStep picks a 1-2-5 tick step that divides span into at most n steps.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}
