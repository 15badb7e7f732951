package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// AsapResult is one asap request as the client saw it.
type AsapResult struct {
	At  time.Duration // sent, since the start of the run
	Lat time.Duration
	OK  bool // 200 with status "completed"
}

// bgItem is one background request.
type bgItem struct {
	id     string
	sent   time.Duration
	status string        // last status seen; "" before the POST answered
	doneAt time.Duration // first time a terminal status was seen
	err    error         // the POST failed
}

func terminal(status string) bool {
	switch status {
	case "completed", "failed", "cancelled", "incomplete":
		return true
	}
	return false
}

// run is the state of one scenario run.
type run struct {
	cfg   Config
	rates Rates
	api   *client // sailshim
	eng   *client // the simulator
	t0    time.Time

	mu         sync.Mutex
	asap       []AsapResult
	asapErr    error // the first asap failure, for the report
	stream     []*bgItem
	backlog    []*bgItem
	samples    []Sample
	marks      Marks
	scrapeErrs int
	late       []lateEvent         // arrivals sent more than lateArrival after their time
	procs      [2]*proc            // serve, sim
	cpu        [3][2]time.Duration // CPU time of serve and sim at the start of the baseline, the mixed phase, the drain's end
	final      serveMetrics        // scraped after every background request finished
	engine     simStats            // the engine's totals at the end

	inflight sync.WaitGroup // asap and stream requests in flight
}

// Marks are the phase boundaries of a run, as offsets from its start.
type Marks struct {
	BaselineStart, MixedStart time.Duration // measured baseline [BaselineStart, MixedStart)
	Submitted                 time.Duration // the last backlog request was accepted
	Drained                   time.Duration // the last backlog request was seen finished
	End                       time.Duration // traffic stopped
}

func (r *run) since() time.Duration { return time.Since(r.t0) }

func (r *run) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "[%6.1fs] %s\n", r.since().Seconds(), fmt.Sprintf(format, args...))
	}
}

// Run executes the scenario: start sim and serve, asap-only warm-up and baseline, then the mixed
// phase (backlog up front, asap and 15m streams) until the backlog has drained plus the tail,
// then a check that every background request finished.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	dir := cfg.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "sailshim-load-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "data")
	if err := os.RemoveAll(dataDir); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, rates: cfg.Rates()}
	sim, srv, err := r.startProcs(dir, dataDir)
	if err != nil {
		return nil, err
	}
	r.procs = [2]*proc{srv, sim}
	defer sim.stop()
	defer srv.stop()
	r.api = newClient(srv.addr, 4096)
	r.eng = newClient(sim.addr, 4)
	if err := r.waitReady(ctx); err != nil {
		return nil, err
	}
	err = r.drive(ctx)
	rep := r.report()
	if cfg.WorkDir != "" {
		rep.WorkDir = dir
		if cerr := rep.WriteCSV(dir); cerr != nil && err == nil {
			err = cerr
		}
	}
	return rep, err
}

func (r *run) startProcs(dir, dataDir string) (sim, srv *proc, err error) {
	c, e := r.cfg, r.cfg.Engine
	simArgs := append([]string{"sim", "--listen", "127.0.0.1:0",
		"--tps", strconv.FormatFloat(e.TokensPerSecond, 'f', -1, 64), "--ttft", e.TTFT.String(),
		"--max-concurrency", strconv.Itoa(e.MaxConcurrency), "--batch-knee", strconv.Itoa(e.BatchKnee),
		"--model", loadModel, "--seed", strconv.FormatInt(c.Seed, 10),
	}, c.SimArgs...)
	sim, err = startProc("sim", c.Binary, filepath.Join(dir, "sim.log"), simArgs...)
	if err != nil {
		return nil, nil, err
	}
	serveArgs := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
		"--api-key", keyAsap, "--api-key", keyStream, "--api-key", keyBacklog,
		"--upstream", "http://" + sim.addr + ";concurrency=" + strconv.Itoa(e.MaxConcurrency),
		"--windows", c.windows(), "--refresh-every", c.RefreshEvery.String(),
		"--max-queued-per-key", strconv.Itoa(max(10000, 2*c.Backlog)),
	}, c.ServeArgs...)
	if c.AsapReserve != 0 {
		serveArgs = append(serveArgs, "--asap-reserve", strconv.Itoa(c.AsapReserve))
	}
	srv, err = startProc("serve", c.Binary, filepath.Join(dir, "serve.log"), serveArgs...)
	if err != nil {
		sim.stop()
		return nil, nil, err
	}
	return sim, srv, nil
}

// windows is the time-compressed window table given to serve.
func (c Config) windows() string {
	return "asap=0:immediate,15m=" + c.Window15m.String() + ":deferrable,24h=" + c.Window24h.String() + ":flexible"
}

// waitReady polls /readyz until the pool has discovered the engine.
func (r *run) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, _, err := r.api.do("GET", "/readyz", "", nil)
		if err == nil && code == 200 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sailshim not ready after 15s (last: %d %v)", code, err)
		}
		if err := pause(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// drive runs the phases. Traffic stops on return, whatever the outcome.
func (r *run) drive(ctx context.Context) error {
	c := r.cfg
	r.t0 = time.Now()
	sampCtx, stopSampler := context.WithCancel(context.Background())
	sampDone := make(chan struct{})
	go func() { defer close(sampDone); r.sample(sampCtx) }()
	defer func() { stopSampler(); <-sampDone }()

	trafficCtx, stopTraffic := context.WithCancel(ctx)
	defer stopTraffic()
	var loops sync.WaitGroup
	loops.Add(1)
	go func() { defer loops.Done(); r.arrivals(trafficCtx, r.rates.Asap, c.Seed, r.sendAsap) }()
	r.progress("asap at %.1f req/s (%.0f%% of %.1f req/s capacity); warm-up %s, baseline %s",
		r.rates.Asap, 100*c.AsapLoad, r.rates.Capacity, c.Warmup, c.Baseline)

	err := pause(ctx, c.Warmup)
	r.setMark(func(m *Marks) { m.BaselineStart = r.since() })
	r.readCPU(phaseBaseline)
	if err == nil {
		err = pause(ctx, c.Baseline)
	}
	if err != nil {
		stopTraffic()
		loops.Wait()
		return err
	}
	r.setMark(func(m *Marks) { m.MixedStart = r.since() })
	r.readCPU(phaseMixed)
	r.progress("mixed phase: %d × 24h backlog, 15m at %.1f req/s; model predicts drain in %s",
		c.Backlog, r.rates.Stream, r.rates.PredictedDrain.Round(time.Second))
	if r.rates.Stream > 0 {
		loops.Add(1)
		go func() { defer loops.Done(); r.arrivals(trafficCtx, r.rates.Stream, c.Seed+1, r.sendStream) }()
	}
	submitted := make(chan struct{})
	go func() { defer close(submitted); r.submitBacklog(trafficCtx) }()

	err = r.awaitDrain(ctx, submitted)
	r.readCPU(phaseDrained)
	if err == nil {
		r.progress("backlog drained; tail %s", c.Tail)
		err = pause(ctx, c.Tail)
	}
	stopTraffic()
	loops.Wait()
	<-submitted
	r.inflight.Wait()
	r.setMark(func(m *Marks) { m.End = r.since() })
	if err != nil {
		return err
	}
	r.progress("traffic stopped; checking every background request finished")
	if err := r.awaitAll(ctx); err != nil {
		return err
	}
	final, err := r.api.scrapeServe()
	if err != nil {
		return err
	}
	engine, err := r.eng.simStats()
	r.mu.Lock()
	r.final, r.engine = final, engine
	r.mu.Unlock()
	return err
}

func (r *run) setMark(f func(*Marks)) {
	r.mu.Lock()
	f(&r.marks)
	r.mu.Unlock()
}

// arrivals calls send for a Poisson process of rate per second until ctx ends: open loop, so a
// slow server does not slow the offered load.
func (r *run) arrivals(ctx context.Context, rate float64, seed int64, send func(n int)) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x10ad))
	next := time.Now()
	for n := 0; ; n++ {
		next = next.Add(time.Duration(rng.ExpFloat64() / rate * float64(time.Second)))
		if err := pause(ctx, time.Until(next)); err != nil {
			return
		}
		if lag := time.Since(next); lag > lateArrival {
			r.mu.Lock()
			r.late = append(r.late, lateEvent{At: r.since(), Lag: lag})
			r.mu.Unlock()
		}
		r.inflight.Add(1)
		go func() { defer r.inflight.Done(); send(n) }()
	}
}

// lateArrival is how late an arrival may be sent before the run counts the load generator as
// starved of CPU, which makes the latencies around it suspect.
const lateArrival = 50 * time.Millisecond

type lateEvent struct{ At, Lag time.Duration }

func (r *run) sendAsap(n int) {
	at := r.since()
	start := time.Now()
	_, status, err := r.api.create(keyAsap, responseBody("asap", false, r.cfg.AsapTokens, n))
	res := AsapResult{At: at, Lat: time.Since(start), OK: err == nil && status == "completed"}
	if err == nil && !res.OK {
		err = fmt.Errorf("asap request ended %q", status)
	}
	r.mu.Lock()
	r.asap = append(r.asap, res)
	if err != nil && r.asapErr == nil {
		r.asapErr = err
	}
	r.mu.Unlock()
}

func (r *run) sendStream(n int) {
	it := &bgItem{sent: r.since()}
	it.id, it.status, it.err = r.api.create(keyStream, responseBody("15m", true, r.cfg.StreamTokens, n))
	r.mu.Lock()
	r.stream = append(r.stream, it)
	r.mu.Unlock()
}

// submitBacklog posts the whole backlog as fast as Submitters connections allow.
func (r *run) submitBacklog(ctx context.Context) {
	items := make([]*bgItem, r.cfg.Backlog)
	next := make(chan int)
	var wg sync.WaitGroup
	for range r.cfg.Submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				it := &bgItem{sent: r.since()}
				it.id, it.status, it.err = r.api.create(keyBacklog, responseBody("24h", true, r.cfg.BacklogTokens, i))
				items[i] = it
			}
		}()
	}
	sent := 0
loop:
	for ; sent < len(items); sent++ {
		select {
		case next <- sent:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
	wg.Wait()
	r.mu.Lock()
	r.backlog = items[:sent]
	r.marks.Submitted = r.since()
	r.mu.Unlock()
	r.progress("backlog of %d submitted", sent)
}

// awaitDrain follows the backlog in submission order (the order the scheduler runs one key's
// equal-deadline jobs in) until every request has been seen finished, polling the oldest
// unfinished one; the drain time it yields is late by at most one poll period.
func (r *run) awaitDrain(ctx context.Context, submitted <-chan struct{}) error {
	select {
	case <-submitted:
	case <-ctx.Done():
		return ctx.Err()
	}
	r.mu.Lock()
	items := r.backlog
	limit := r.marks.MixedStart + r.cfg.MaxMixed
	r.mu.Unlock()
	last := time.Now()
	for i := 0; i < len(items); {
		if r.since() > limit {
			return fmt.Errorf("the backlog did not drain within %s of the mixed phase's start (%d of %d finished)",
				r.cfg.MaxMixed, i, len(items))
		}
		done, err := r.poll(items[i], keyBacklog)
		if err != nil {
			return err
		}
		if done {
			i++
			continue
		}
		if time.Since(last) > 10*time.Second {
			r.progress("backlog: %d of %d finished", i, len(items))
			last = time.Now()
		}
		if err := pause(ctx, r.pollEvery()); err != nil {
			return err
		}
	}
	var drained time.Duration
	for _, it := range items {
		drained = max(drained, it.doneAt)
	}
	r.setMark(func(m *Marks) { m.Drained = drained })
	return nil
}

func (r *run) pollEvery() time.Duration { return min(r.cfg.SampleEvery, 250*time.Millisecond) }

// poll refreshes one item's status; an item whose POST failed counts as done.
func (r *run) poll(it *bgItem, key string) (bool, error) {
	if it.err != nil || terminal(it.status) {
		return true, nil
	}
	st, err := r.api.status(key, it.id)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	it.status = st
	if terminal(st) {
		it.doneAt = r.since()
		return true, nil
	}
	return false, nil
}

// awaitAll waits until every background request is terminal, for as long as the latest
// deadline among them allows plus a minute.
func (r *run) awaitAll(ctx context.Context) error {
	r.mu.Lock()
	var items []*bgItem
	var keys []string
	for _, it := range r.backlog {
		items, keys = append(items, it), append(keys, keyBacklog)
	}
	for _, it := range r.stream {
		items, keys = append(items, it), append(keys, keyStream)
	}
	limit := r.since() + max(r.cfg.Window15m, r.cfg.Window24h) + time.Minute
	r.mu.Unlock()
	for i := 0; i < len(items); {
		done, err := r.poll(items[i], keys[i])
		if err != nil {
			return err
		}
		if done {
			i++
			continue
		}
		if r.since() > limit {
			return errors.New("background requests still unfinished a minute after their deadlines")
		}
		if err := pause(ctx, r.pollEvery()); err != nil {
			return err
		}
	}
	return nil
}

// Sample is one observation of the system.
type Sample struct {
	T       time.Duration      // since the start of the run
	Depth   map[string]float64 // scheduler queue depth by window
	Running int                // engine running sequences
	Waiting int                // engine queue
	Util    float64            // engine slot utilisation since the previous sample, 0–1
	Misses  float64            // deadline misses so far, all windows
}

// sample scrapes sailshim and the engine every SampleEvery until ctx ends.
func (r *run) sample(ctx context.Context) {
	t := time.NewTicker(r.cfg.SampleEvery)
	defer t.Stop()
	prev, err := r.eng.simStats()
	havePrev := err == nil
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var sm serveMetrics
		var smErr error
		done := make(chan struct{})
		go func() { defer close(done); sm, smErr = r.api.scrapeServe() }()
		st, err := r.eng.simStats()
		<-done
		if err != nil || smErr != nil {
			r.mu.Lock()
			r.scrapeErrs++
			r.mu.Unlock()
			continue
		}
		s := Sample{T: r.since(), Depth: sm.Depth, Running: st.Running, Waiting: st.Waiting, Util: math.NaN()}
		for _, v := range sm.Misses {
			s.Misses += v
		}
		if dt := st.UptimeSeconds - prev.UptimeSeconds; havePrev && dt > 0 && st.MaxConcurrency > 0 {
			s.Util = (st.SlotSeconds - prev.SlotSeconds) / (dt * float64(st.MaxConcurrency))
		}
		prev, havePrev = st, true
		r.mu.Lock()
		r.samples = append(r.samples, s)
		r.mu.Unlock()
	}
}

// The points at which the processes' CPU time is read.
const (
	phaseBaseline = iota
	phaseMixed
	phaseDrained
)

func (r *run) readCPU(phase int) {
	var got [2]time.Duration
	for i, p := range r.procs {
		if p == nil {
			return
		}
		t, ok := p.cpuTime()
		if !ok {
			return
		}
		got[i] = t
	}
	r.mu.Lock()
	r.cpu[phase] = got
	r.mu.Unlock()
}
