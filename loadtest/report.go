package loadtest

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Latency summarises client-side asap latencies.
type Latency struct {
	N, Failed           int
	P50, P99, Mean, Max time.Duration
}

// summarise takes the asap results sent in [from, to).
func summarise(rs []AsapResult, from, to time.Duration) Latency {
	var l Latency
	var lats []time.Duration
	var sum time.Duration
	for _, r := range rs {
		if r.At < from || r.At >= to {
			continue
		}
		l.N++
		if !r.OK {
			l.Failed++
			continue
		}
		lats = append(lats, r.Lat)
		sum += r.Lat
	}
	if len(lats) == 0 {
		return l
	}
	slices.Sort(lats)
	l.P50, l.P99 = percentile(lats, 0.50), percentile(lats, 0.99)
	l.Mean, l.Max = sum/time.Duration(len(lats)), lats[len(lats)-1]
	return l
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Outcome counts background requests by how they ended.
type Outcome struct {
	Submitted, Completed, Failed, Unfinished, PostErrors int
}

func outcome(items []*bgItem) Outcome {
	var o Outcome
	for _, it := range items {
		switch {
		case it.err != nil:
			o.PostErrors++
		case it.status == "completed":
			o.Completed++
		case terminal(it.status):
			o.Failed++
		default:
			o.Unfinished++
		}
		if it.err == nil {
			o.Submitted++
		}
	}
	return o
}

// Report is the outcome of one run.
type Report struct {
	Config  Config
	Rates   Rates
	WorkDir string // where the process logs were written
	Marks   Marks

	Baseline      Latency // asap sent during the measured baseline
	DuringBacklog Latency // asap sent while the backlog existed (mixed start to drained)
	Mixed         Latency // asap sent during the whole mixed phase, tail included

	UtilBaseline float64 // mean engine utilisation over the baseline's samples
	UtilBacklog  float64 // mean over the mixed phase's samples with a 24h queue depth > 0
	UtilDrain    float64 // mean over every sample from mixed start to drained

	SubmitTime time.Duration // from the first backlog POST to the last one's 202
	DrainTime  time.Duration // from the first backlog POST to the last backlog request seen finished

	Misses          map[string]float64 // deadline misses by window (sailshim's counter)
	Dispatched      map[string]float64 // dispatches by "window/reason"
	Backlog, Stream Outcome
	Samples         []Sample
	Asap            []AsapResult
	ScrapeErrors    int
	FirstAsapError  string

	EngineCompleted, EngineTokens int64   // requests and completion tokens the engine served
	EngineSlotSeconds             float64 // ∫ running dt over the engine's life

	// Cores each process kept busy (CPU seconds per second) during the baseline and while the
	// backlog existed; NaN where /proc is not available.
	ServeCores, SimCores [2]float64
	// Arrivals the load generator sent more than 50 ms late, during the baseline and while the
	// backlog existed, and the worst lag: a starved generator (a busy machine) makes latency
	// figures around those times suspect.
	LateBaseline, LateBacklog int
	MaxLag                    time.Duration
	LateAt                    []time.Duration // when those late arrivals were sent
	LoadAvg                   string          // /proc/loadavg at the end of the run
}

func (r *run) report() *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.marks
	rep := &Report{
		Config: r.cfg, Rates: r.rates, Marks: m,
		Baseline: summarise(r.asap, m.BaselineStart, m.MixedStart),
		Misses:   r.final.Misses, Dispatched: r.final.Dispatched,
		Backlog: outcome(r.backlog), Stream: outcome(r.stream),
		Samples: r.samples, Asap: r.asap, ScrapeErrors: r.scrapeErrs,
		EngineCompleted: r.engine.Completed, EngineTokens: r.engine.TokensGenerated, EngineSlotSeconds: r.engine.SlotSeconds,
	}
	if r.asapErr != nil {
		rep.FirstAsapError = r.asapErr.Error()
	}
	rep.ServeCores, rep.SimCores = r.cores()
	for _, l := range r.late {
		rep.MaxLag = max(rep.MaxLag, l.Lag)
		rep.LateAt = append(rep.LateAt, l.At)
		switch {
		case l.At >= m.BaselineStart && l.At < m.MixedStart:
			rep.LateBaseline++
		case l.At >= m.MixedStart && (m.Drained == 0 || l.At < m.Drained):
			rep.LateBacklog++
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			rep.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if m.MixedStart > 0 {
		drained := m.Drained
		if drained == 0 {
			drained = m.End
		}
		rep.DuringBacklog = summarise(r.asap, m.MixedStart, drained)
		rep.Mixed = summarise(r.asap, m.MixedStart, max(m.End, drained))
		rep.SubmitTime = m.Submitted - m.MixedStart
		if m.Drained > 0 {
			rep.DrainTime = m.Drained - m.MixedStart
		}
		rep.UtilBacklog = meanUtil(r.samples, func(s Sample) bool {
			return s.T >= m.MixedStart && s.T < drained && s.Depth["24h"] > 0
		})
		rep.UtilDrain = meanUtil(r.samples, func(s Sample) bool { return s.T >= m.MixedStart && s.T < drained })
	}
	rep.UtilBaseline = meanUtil(r.samples, func(s Sample) bool { return s.T >= m.BaselineStart && s.T < m.MixedStart })
	return rep
}

// cores turns the CPU readings into cores used per phase.
func (r *run) cores() (serve, sim [2]float64) {
	m := r.marks
	spans := [2]time.Duration{m.MixedStart - m.BaselineStart, m.Drained - m.MixedStart}
	for ph := range 2 {
		serve[ph], sim[ph] = math.NaN(), math.NaN()
		from, to := r.cpu[ph], r.cpu[ph+1]
		if spans[ph] <= 0 || from[0] == 0 || to[0] == 0 {
			continue
		}
		serve[ph] = (to[0] - from[0]).Seconds() / spans[ph].Seconds()
		sim[ph] = (to[1] - from[1]).Seconds() / spans[ph].Seconds()
	}
	return serve, sim
}

func meanUtil(ss []Sample, keep func(Sample) bool) float64 {
	var sum float64
	var n int
	for _, s := range ss {
		if keep(s) && !math.IsNaN(s.Util) {
			sum += s.Util
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// TotalMisses sums deadline misses over windows.
func (r *Report) TotalMisses() float64 {
	var n float64
	for _, v := range r.Misses {
		n += v
	}
	return n
}

// Goal is one target of the scenario and whether the run met it.
type Goal struct {
	Name, Target, Got string
	Met               bool
}

// Goals checks the run against the scenario's targets.
func (r *Report) Goals() []Goal {
	ratio := func(a, b time.Duration) float64 {
		if b <= 0 {
			return math.Inf(1)
		}
		return float64(a) / float64(b)
	}
	p50 := ratio(r.DuringBacklog.P50, r.Baseline.P50)
	p99 := ratio(r.DuringBacklog.P99, r.Baseline.P99)
	misses := r.TotalMisses()
	return []Goal{
		{"asap p50 vs baseline", "≤ 1.10×", fmt.Sprintf("%.2f× (%s vs %s)", p50, ms(r.DuringBacklog.P50), ms(r.Baseline.P50)), p50 <= 1.10},
		{"asap p99 vs baseline", "≤ 1.10×", fmt.Sprintf("%.2f× (%s vs %s)", p99, ms(r.DuringBacklog.P99), ms(r.Baseline.P99)), p99 <= 1.10},
		{"utilisation while backlog exists", "≥ 90%", pct(r.UtilBacklog), r.UtilBacklog >= 0.90},
		{"deadline misses", "0", fmt.Sprintf("%.0f", misses), misses == 0},
		{"backlog drained within the 24h window", "< " + r.Config.Window24h.String(), secs(r.DrainTime),
			r.DrainTime > 0 && r.DrainTime < r.Config.Window24h},
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
func secs(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
func pct(f float64) string {
	if math.IsNaN(f) {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

// WriteText prints the report as aligned tables.
func (r *Report) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	c := r.Config
	fmt.Fprintf(tw, "engine\ttps %g, ttft %s, %d slots, batch knee %d: %.1f req/s of %d tokens at full batch\n",
		c.Engine.TokensPerSecond, c.Engine.TTFT, c.Engine.MaxConcurrency, c.Engine.BatchKnee, r.Rates.Capacity, c.AsapTokens)
	fmt.Fprintf(tw, "traffic\tasap %.1f req/s (%.0f%%), 15m %.1f req/s (%.0f%%), backlog %d × 24h; tokens %d/%d/%d\n",
		r.Rates.Asap, 100*c.AsapLoad, r.Rates.Stream, 100*c.StreamLoad, c.Backlog, c.AsapTokens, c.StreamTokens, c.BacklogTokens)
	fmt.Fprintf(tw, "windows\t%s; refresh %s; asap reserve %s\n", c.windows(), c.RefreshEvery, reserveText(c.AsapReserve))
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "asap latency\trequests\tfailed\tp50\tp99\tmean\tmax")
	for _, row := range []struct {
		name string
		l    Latency
	}{{"baseline (asap only)", r.Baseline}, {"while backlog exists", r.DuringBacklog}, {"whole mixed phase", r.Mixed}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", row.name, row.l.N, row.l.Failed, ms(row.l.P50), ms(row.l.P99), ms(row.l.Mean), ms(row.l.Max))
	}
	fmt.Fprintf(tw, "engine model\tasap service time at the mean batch: baseline %s, while backlog exists %s\n",
		ms(c.Engine.ModelLatency(r.UtilBaseline, c.AsapTokens)), ms(c.Engine.ModelLatency(r.UtilBacklog, c.AsapTokens)))
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "utilisation\tbaseline %s; while backlog queued %s; mixed start to drained %s\n",
		pct(r.UtilBaseline), pct(r.UtilBacklog), pct(r.UtilDrain))
	fmt.Fprintf(tw, "backlog\tsubmitted in %s, drained in %s (model predicted %s)\n",
		secs(r.SubmitTime), secs(r.DrainTime), secs(r.Rates.PredictedDrain))
	fmt.Fprintf(tw, "background\t24h: %s; 15m: %s\n", r.Backlog, r.Stream)
	fmt.Fprintf(tw, "engine\t%d requests, %d tokens, %.0f slot-seconds (%.2f s per request)\n", r.EngineCompleted,
		r.EngineTokens, r.EngineSlotSeconds, r.EngineSlotSeconds/max(float64(r.EngineCompleted), 1))
	fmt.Fprintf(tw, "misses\t%s\n", mapText(r.Misses))
	fmt.Fprintf(tw, "dispatched\t%s\n", mapText(r.Dispatched))
	fmt.Fprintf(tw, "cpu\tserve %s cores, sim %s (baseline); serve %s, sim %s (while backlog exists)\n",
		cores(r.ServeCores[0]), cores(r.SimCores[0]), cores(r.ServeCores[1]), cores(r.SimCores[1]))
	fmt.Fprintf(tw, "generator\t%s\n", r.lagText())
	if r.FirstAsapError != "" {
		fmt.Fprintf(tw, "first asap error\t%s\n", r.FirstAsapError)
	}
	if r.ScrapeErrors > 0 {
		fmt.Fprintf(tw, "scrape errors\t%d\n", r.ScrapeErrors)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "goal\ttarget\tgot\t")
	for _, g := range r.Goals() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Name, g.Target, g.Got, metText(g.Met))
	}
	tw.Flush()
}

// WriteMarkdown prints the figures as Markdown tables for docs/BENCHMARKS.md.
func (r *Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| asap latency | requests | failed | p50 | p99 | mean | max |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, row := range []struct {
		name string
		l    Latency
	}{{"baseline (asap only)", r.Baseline}, {"while backlog exists", r.DuringBacklog}, {"whole mixed phase", r.Mixed}} {
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s |\n", row.name, row.l.N, row.l.Failed, ms(row.l.P50), ms(row.l.P99), ms(row.l.Mean), ms(row.l.Max))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| goal | target | got | |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, g := range r.Goals() {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", g.Name, g.Target, g.Got, metText(g.Met))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| other figures | |")
	fmt.Fprintln(w, "|---|---|")
	fmt.Fprintf(w, "| asap service time the engine model gives at the mean batch: baseline / while backlog exists | %s / %s |\n",
		ms(r.Config.Engine.ModelLatency(r.UtilBaseline, r.Config.AsapTokens)), ms(r.Config.Engine.ModelLatency(r.UtilBacklog, r.Config.AsapTokens)))
	fmt.Fprintf(w, "| utilisation, asap-only baseline | %s |\n", pct(r.UtilBaseline))
	fmt.Fprintf(w, "| utilisation, mixed start to drained | %s |\n", pct(r.UtilDrain))
	fmt.Fprintf(w, "| backlog submission time | %s |\n", secs(r.SubmitTime))
	fmt.Fprintf(w, "| drain time predicted by the capacity model | %s |\n", secs(r.Rates.PredictedDrain))
	fmt.Fprintf(w, "| 24h requests | %s |\n", r.Backlog)
	fmt.Fprintf(w, "| 15m requests | %s |\n", r.Stream)
	fmt.Fprintf(w, "| dispatches (window/reason) | %s |\n", mapText(r.Dispatched))
	fmt.Fprintf(w, "| CPU, baseline: serve / sim | %s / %s cores |\n", cores(r.ServeCores[0]), cores(r.SimCores[0]))
	fmt.Fprintf(w, "| CPU, while backlog exists: serve / sim | %s / %s cores |\n", cores(r.ServeCores[1]), cores(r.SimCores[1]))
	fmt.Fprintf(w, "| load generator | %s |\n", r.lagText())
}

func (r *Report) lagText() string {
	s := fmt.Sprintf("%d arrivals sent > 50 ms late in the baseline, %d while backlog exists (worst %s)",
		r.LateBaseline, r.LateBacklog, ms(r.MaxLag))
	if r.LoadAvg != "" {
		s += "; load average at the end " + r.LoadAvg
	}
	return s
}

func cores(f float64) string {
	if math.IsNaN(f) {
		return "—"
	}
	return fmt.Sprintf("%.2f", f)
}

func (o Outcome) String() string {
	s := fmt.Sprintf("%d submitted, %d completed", o.Submitted, o.Completed)
	if o.Failed > 0 {
		s += fmt.Sprintf(", %d failed", o.Failed)
	}
	if o.Unfinished > 0 {
		s += fmt.Sprintf(", %d unfinished", o.Unfinished)
	}
	if o.PostErrors > 0 {
		s += fmt.Sprintf(", %d refused", o.PostErrors)
	}
	return s
}

func metText(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func reserveText(n int) string {
	if n == 0 {
		return "serve's default"
	}
	return fmt.Sprint(n)
}

func mapText(m map[string]float64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.0f", k, m[k])
	}
	return strings.Join(parts, ", ")
}
