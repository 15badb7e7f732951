package proxy

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/translate"
)

// PoolConfig tunes the upstream pool. Zero values take the documented defaults.
type PoolConfig struct {
	AttemptTimeout      time.Duration `yaml:"attempt_timeout"`        // one upstream attempt; 0 → 10m (long generations are normal)
	ConnWaitTimeout     time.Duration `yaml:"conn_wait_timeout"`      // waiting for a free connection; 0 → 30s
	MaxConnsPerUpstream int           `yaml:"max_conns_per_upstream"` // 0 → 4× the upstream's concurrency
	MaxResponseBytes    int           `yaml:"max_response_bytes"`     // 0 → 64 MiB
	RetryBackoff        time.Duration `yaml:"retry_backoff"`          // pause before the final retry on the same upstream; 0 → 200ms
	RefreshEvery        time.Duration `yaml:"refresh_every"`          // model discovery and load scrape period; 0 → 15s
	BreakerFailures     uint32        `yaml:"breaker_failures"`       // consecutive failures that open a breaker; 0 → 5
	BreakerOpenFor      time.Duration `yaml:"breaker_open_for"`       // how long an open breaker refuses work; 0 → 10s
	BreakerInterval     time.Duration `yaml:"breaker_interval"`       // closed-state count reset period; 0 → 60s
	FlexUtilisation     float64       `yaml:"flex_utilisation"`       // flexible work only below this engine utilisation; 0 → 0.9
}

func (c *PoolConfig) defaults() {
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 10 * time.Minute
	}
	if c.ConnWaitTimeout <= 0 {
		c.ConnWaitTimeout = 30 * time.Second
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 64 << 20
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 200 * time.Millisecond
	}
	if c.RefreshEvery <= 0 {
		c.RefreshEvery = 15 * time.Second
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerOpenFor <= 0 {
		c.BreakerOpenFor = 10 * time.Second
	}
	if c.BreakerInterval <= 0 {
		c.BreakerInterval = 60 * time.Second
	}
	if c.FlexUtilisation <= 0 {
		c.FlexUtilisation = 0.9
	}
}

// Pool routes requests to the upstreams that serve a model.
type Pool struct {
	cfg     PoolConfig
	ups     []*upstream
	log     *slog.Logger
	metrics *Metrics
	onLoad  func() // called after a refresh may have changed capacity (the scheduler's Kick)

	mu     sync.Mutex
	closed chan struct{}
}

// NewPool builds the pool; call Start to discover models.
func NewPool(cfg PoolConfig, ups []UpstreamConfig, log *slog.Logger, m *Metrics) (*Pool, error) {
	cfg.defaults()
	p := &Pool{cfg: cfg, log: log, metrics: m, closed: make(chan struct{})}
	for _, uc := range ups {
		if err := uc.normalise(); err != nil {
			return nil, err
		}
		pc := cfg
		if pc.MaxConnsPerUpstream <= 0 {
			pc.MaxConnsPerUpstream = 4 * uc.Concurrency
		}
		u := newUpstream(uc, pc, p.breakerChanged)
		u.series = m.forUpstream(u.name)
		p.ups = append(p.ups, u)
	}
	if len(p.ups) == 0 {
		return nil, errors.New("no upstreams configured")
	}
	return p, nil
}

func (p *Pool) breakerChanged(name string, from, to gobreaker.State) {
	p.log.Warn("upstream breaker changed state", "upstream", name, "from", from.String(), "to", to.String())
	p.metrics.breakerState.WithLabelValues(name).Set(float64(to))
	if p.onLoad != nil {
		p.onLoad()
	}
}

// OnCapacityChange registers f (the scheduler's Kick) to run whenever capacity may have changed:
// after each refresh and on every breaker state change.
func (p *Pool) OnCapacityChange(f func()) { p.onLoad = f }

// Start discovers models once (so the first request can be routed) and keeps refreshing.
func (p *Pool) Start() {
	p.refresh()
	go func() {
		t := time.NewTicker(p.cfg.RefreshEvery)
		defer t.Stop()
		for {
			select {
			case <-p.closed:
				return
			case <-t.C:
				p.refresh()
			}
		}
	}()
}

// Close stops the refresh loop.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.closed:
	default:
		close(p.closed)
	}
}

func (p *Pool) refresh() {
	var wg sync.WaitGroup
	for _, u := range p.ups {
		wg.Add(1)
		go func() { defer wg.Done(); p.discover(u); p.scrapeLoad(u) }()
	}
	wg.Wait()
	if p.onLoad != nil {
		p.onLoad()
	}
}

// probeFailuresDown is how many discovery probes in a row must fail to mark an upstream down.
const probeFailuresDown = 3

// discover asks GET /v1/models; upstreams with configured models skip it.
func (p *Pool) discover(u *upstream) {
	if len(u.cfg.Models) > 0 {
		return
	}
	status, body, err := p.get(u, "/v1/models")
	if err != nil || status != 200 {
		// One slow or failed probe must not take the only upstream out; the breaker already
		// judges live traffic. Down after a few probes in a row fail.
		if u.probeFails.Add(1) >= probeFailuresDown && u.up.Swap(false) {
			p.log.Warn("upstream model discovery failed; marking it down", "upstream", u.name, "status", status, "err", err)
		}
		return
	}
	u.probeFails.Store(0)
	var ms []string
	gjson.GetBytes(body, "data.#.id").ForEach(func(_, v gjson.Result) bool {
		ms = append(ms, v.String())
		return true
	})
	u.models.Store(&ms)
	if d, changed := u.detectDialect(body); changed {
		p.log.Info("upstream dialect detected", "upstream", u.name, "dialect", d)
	}
	if !u.up.Swap(true) {
		p.log.Info("upstream up", "upstream", u.name, "models", ms)
	}
}

func (p *Pool) get(u *upstream, path string) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(u.cfg.URL + path)
	req.Header.SetMethod(fasthttp.MethodGet)
	if err := u.client.DoTimeout(req, resp, 5*time.Second); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// Models lists every model some healthy upstream serves, sorted.
func (p *Pool) Models() []string {
	var out []string
	for _, u := range p.ups {
		if !u.up.Load() {
			continue
		}
		if ms := u.models.Load(); ms != nil {
			out = append(out, *ms...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Serves reports whether any discovered upstream serves model (healthy or not: a model whose
// upstreams are all down is a 503, not a 404).
func (p *Pool) Serves(model string) bool {
	for _, u := range p.ups {
		if u.serves(model) {
			return true
		}
	}
	return false
}

// Ready reports whether at least one upstream can take work.
func (p *Pool) Ready() bool {
	for _, u := range p.ups {
		if u.healthy() {
			return true
		}
	}
	return false
}

// candidates returns the healthy upstreams for model, least in flight first.
func (p *Pool) candidates(model string, buf []*upstream) []*upstream {
	buf = buf[:0]
	for _, u := range p.ups {
		if u.serves(model) && u.healthy() {
			buf = append(buf, u)
		}
	}
	sort.SliceStable(buf, func(i, j int) bool {
		li, lj := buf[i].inflight.Load()*int64(buf[j].cfg.Concurrency), buf[j].inflight.Load()*int64(buf[i].cfg.Concurrency)
		return li < lj
	})
	return buf
}

// bodyBufs holds engine request bodies, which live only for the attempts of one request.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// BuildFunc writes the engine request body for dialect d into dst.
type BuildFunc func(dst []byte, d translate.Dialect) ([]byte, *apierr.Error)

// Reply is a successful engine answer. Body is owned by the caller.
type Reply struct {
	Body     []byte
	Dialect  translate.Dialect
	Upstream string
}

// Do sends one chat request for model: least-in-flight first, then every other healthy upstream,
// then once more on the best after a short backoff. Engine errors that blame the request come back
// at once; when nothing can serve, a 503 with Retry-After.
func (p *Pool) Do(ctx context.Context, model string, build BuildFunc, dst []byte) (Reply, *apierr.Error) {
	var arr [8]*upstream
	cands := p.candidates(model, arr[:0])
	if len(cands) == 0 {
		return Reply{}, p.unavailable(model)
	}
	bp := bodyBufs.Get().(*[]byte)
	defer bodyBufs.Put(bp)
	var (
		body    []byte
		bodyFor translate.Dialect
		lastErr *apierr.Error
	)
	attempt := func(u *upstream) (Reply, *apierr.Error, bool) {
		d := u.dialectNow()
		if body == nil || bodyFor != d {
			b, e := build((*bp)[:0], d)
			*bp = b
			if e != nil {
				return Reply{}, e, true
			}
			body, bodyFor = b, d
		}
		r, e, final := p.send(ctx, u, d, body, dst)
		if e != nil {
			lastErr = e
		}
		return r, e, final
	}
	for _, u := range cands {
		if r, e, final := attempt(u); e == nil || final {
			return r, e
		}
	}
	select {
	case <-ctx.Done():
		return Reply{}, apierr.Unavailable(1, "The request was cancelled while waiting to retry.")
	case <-time.After(p.cfg.RetryBackoff):
	}
	if cands = p.candidates(model, cands); len(cands) > 0 {
		if r, e, _ := attempt(cands[0]); e == nil {
			return r, nil
		} else {
			lastErr = e
		}
	}
	e := p.unavailable(model)
	if lastErr != nil {
		e.Message += " Last upstream error: " + lastErr.Message
	}
	return Reply{}, e
}

func (p *Pool) unavailable(model string) *apierr.Error {
	secs := int(p.cfg.BreakerOpenFor / time.Second)
	if secs < 1 {
		secs = 1
	}
	return apierr.Unavailable(secs, "No upstream can serve model '%s' right now; retry later.", model)
}

// send makes one attempt. final reports an outcome that must not be retried elsewhere.
func (p *Pool) send(ctx context.Context, u *upstream, d translate.Dialect, body, dst []byte) (Reply, *apierr.Error, bool) {
	done, err := u.breaker.Allow()
	if err != nil {
		u.series.attempts[attemptBreakerOpen].Inc()
		return Reply{}, nil, false
	}
	u.inflight.Add(1)
	u.series.inflight.Inc()
	defer func() {
		u.inflight.Add(-1)
		u.series.inflight.Dec()
	}()

	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	owned := true // false once an abandoned call still uses req and resp
	defer func() {
		if owned {
			fasthttp.ReleaseRequest(req)
			fasthttp.ReleaseResponse(resp)
		}
	}()
	req.SetRequestURI(u.cfg.URL + "/v1/chat/completions")
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.SetBody(body) // a copy: an abandoned call must not read a buffer returned to its pool

	timeout := p.cfg.AttemptTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	// fasthttp has no context: when the caller can give up (a cancelled batch, a shutdown), the
	// call runs aside and is abandoned, so the caller's scheduler slot comes back at once.
	if ctx.Done() == nil {
		err = u.client.DoTimeout(req, resp, timeout)
	} else {
		errc := make(chan error, 1)
		go func() { errc <- u.client.DoTimeout(req, resp, timeout) }()
		select {
		case err = <-errc:
		case <-ctx.Done():
			owned = false
			go func() {
				<-errc
				fasthttp.ReleaseRequest(req)
				fasthttp.ReleaseResponse(resp)
			}()
			done(errCancelled)
			return Reply{}, apierr.Unavailable(1, "The request was cancelled before the engine answered."), true
		}
	}
	if err != nil {
		done(errUpstream)
		u.series.attempts[attemptNetworkError].Inc()
		p.log.Warn("upstream attempt failed", "upstream", u.name, "err", err)
		return Reply{}, apierr.New(502, apierr.TypeServer, "", "upstream_error",
			"The upstream engine could not be reached."), false
	}
	status := resp.StatusCode()
	if status == 200 {
		done(nil)
		u.series.attempts[attemptOK].Inc()
		return Reply{Body: append(dst, resp.Body()...), Dialect: d, Upstream: u.name}, nil, true
	}
	e, clientFault := translate.EngineError(d, status, resp.Body())
	if clientFault {
		done(nil) // the engine is healthy; the request was at fault
		u.series.attempts[attemptClientError].Inc()
		return Reply{}, e, true
	}
	done(errUpstream)
	u.series.attempts[attemptUpstreamError].Inc()
	p.log.Warn("upstream returned an error", "upstream", u.name, "status", status, "code", e.Code)
	return Reply{}, e, false
}
