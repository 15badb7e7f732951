package proxy

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"sailshim/translate"
)

// UpstreamConfig describes one engine.
type UpstreamConfig struct {
	URL         string            `yaml:"url"`         // base URL, e.g. http://10.0.0.5:8000 (a trailing /v1 is accepted)
	Dialect     translate.Dialect `yaml:"dialect"`     // "" → detected at discovery (see detectDialect), vllm until then
	Concurrency int               `yaml:"concurrency"` // requests the engine runs at once (its batch slots); 0 → 32
	Models      []string          `yaml:"models"`      // served models when the engine's /v1/models is not to be trusted (TGI); empty → discovered
}

// ParseUpstream reads the flag form "URL[;dialect=tgi][;concurrency=8][;models=a|b]".
func ParseUpstream(s string) (UpstreamConfig, error) {
	parts := strings.Split(s, ";")
	u := UpstreamConfig{URL: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return u, fmt.Errorf("upstream %q: option %q is not key=value", s, p)
		}
		switch k {
		case "dialect":
			u.Dialect = translate.Dialect(v)
		case "concurrency":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return u, fmt.Errorf("upstream %q: concurrency must be a positive integer", s)
			}
			u.Concurrency = n
		case "models":
			u.Models = strings.Split(v, "|")
		default:
			return u, fmt.Errorf("upstream %q: unknown option %q (dialect, concurrency, models)", s, k)
		}
	}
	return u, u.normalise()
}

func (u *UpstreamConfig) normalise() error {
	if u.Dialect != "" && !u.Dialect.Valid() {
		return fmt.Errorf("upstream %s: unknown dialect %q (want one of %v)", u.URL, u.Dialect, translate.Dialects)
	}
	if u.Concurrency <= 0 {
		u.Concurrency = 32
	}
	pu, err := url.Parse(u.URL)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return fmt.Errorf("upstream %q: want an absolute http(s) URL", u.URL)
	}
	u.URL = strings.TrimSuffix(strings.TrimSuffix(pu.Scheme+"://"+pu.Host+pu.Path, "/"), "/v1")
	return nil
}

// upstream is one engine with its connection pool, breaker and load counters.
type upstream struct {
	cfg     UpstreamConfig
	name    string // host:port, the label in logs and metrics
	client  *fasthttp.HostClient
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]

	inflight   atomic.Int64
	models     atomic.Pointer[[]string] // discovered or configured
	up         atomic.Bool              // discovery succeeded recently (see probeFailuresDown)
	probeFails atomic.Int32             // discovery probes failed in a row
	load       atomic.Pointer[engineLoad]
	dialect    atomic.Pointer[translate.Dialect] // cfg.Dialect, or detected when that is ""
	series     upstreamSeries
}

// dialectNow is the dialect to speak to u; read it once per attempt so the body built and the
// reply parsed agree.
func (u *upstream) dialectNow() translate.Dialect { return *u.dialect.Load() }

// ownerDialects maps the owned_by a /v1/models entry reports to the engine's dialect. TGI and
// OpenAI-compatible services name no engine there, so they need dialect= in the configuration.
var ownerDialects = map[string]translate.Dialect{
	"vllm":     translate.VLLM,
	"sglang":   translate.SGLang,
	"llamacpp": translate.LlamaCpp,
}

// detectDialect adopts the dialect a /v1/models body names, unless one was configured. It
// reports the dialect and whether it changed.
func (u *upstream) detectDialect(models []byte) (translate.Dialect, bool) {
	if u.cfg.Dialect != "" {
		return u.cfg.Dialect, false
	}
	d, ok := ownerDialects[gjson.GetBytes(models, "data.0.owned_by").String()]
	if !ok || d == u.dialectNow() {
		return u.dialectNow(), false
	}
	u.dialect.Store(&d)
	return d, true
}

// errUpstream marks an attempt that failed because of the upstream (breaker failure).
var errUpstream = errors.New("upstream failure")

// errCancelled marks an attempt the caller gave up on; it says nothing about the upstream.
var errCancelled = errors.New("attempt cancelled by the caller")

func newUpstream(cfg UpstreamConfig, pc PoolConfig, onState func(name string, from, to gobreaker.State)) *upstream {
	pu, _ := url.Parse(cfg.URL)
	u := &upstream{cfg: cfg, name: pu.Host}
	d := cfg.Dialect
	if d == "" {
		d = translate.VLLM
	}
	u.dialect.Store(&d)
	u.client = &fasthttp.HostClient{
		Addr:                          addrOf(pu),
		IsTLS:                         pu.Scheme == "https",
		Name:                          "sailshim",
		MaxConns:                      pc.MaxConnsPerUpstream,
		MaxIdleConnDuration:           30 * time.Second,
		ReadTimeout:                   pc.AttemptTimeout,
		WriteTimeout:                  30 * time.Second,
		MaxConnWaitTimeout:            pc.ConnWaitTimeout,
		DisableHeaderNamesNormalizing: true,
		NoDefaultUserAgentHeader:      true,
		MaxResponseBodySize:           pc.MaxResponseBytes,
	}
	u.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        u.name,
		MaxRequests: 1,
		Interval:    pc.BreakerInterval,
		Timeout:     pc.BreakerOpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= pc.BreakerFailures
		},
		IsExcluded:    func(err error) bool { return errors.Is(err, errCancelled) },
		OnStateChange: onState,
	})
	if len(cfg.Models) > 0 {
		ms := append([]string(nil), cfg.Models...)
		u.models.Store(&ms)
		u.up.Store(true)
	}
	return u
}

func addrOf(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return u.Host + ":443"
	}
	return u.Host + ":80"
}

func (u *upstream) serves(model string) bool {
	ms := u.models.Load()
	if ms == nil {
		return false
	}
	for _, m := range *ms {
		if m == model {
			return true
		}
	}
	return false
}

// healthy reports whether the upstream may be sent work: discovered and breaker not open.
func (u *upstream) healthy() bool {
	return u.up.Load() && u.breaker.State() != gobreaker.StateOpen
}
