package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"sailshim/apierr"
	"sailshim/internal/respond"
	"sailshim/policy"
	"sailshim/rules"
	"sailshim/store"
	"sailshim/webhook"
)

// Validator applies the support matrix (rules.Validator).
type Validator interface {
	Validate(s rules.Surface, body []byte, out *rules.Request) *apierr.Error
}

// Scheduler gates dispatch by completion window (policy.Scheduler).
type Scheduler interface {
	Acquire(ctx context.Context, j policy.Job) (release func(), err error)
	Kick()
}

// Store keeps every response (store.Store).
type Store interface {
	Put(rec *store.Record, durable bool) error
	Get(id string) (*store.Record, error)
	Pending(fn func(*store.Record) bool) error
	Reserve(owner, key string, fp [32]byte, id string) (store.Reservation, error)
	Forget(owner, key string) error
}

// Webhooks delivers completion webhooks (webhook.Sender).
type Webhooks interface {
	Enqueue(d webhook.Delivery) error
}

// Config is the edge's configuration. Zero values take the documented defaults.
type Config struct {
	Keys         []string      // accepted API keys (bearer tokens)
	MaxBodyBytes int           // request bodies above this get 413; 0 → 32 MiB
	SyncTimeout  time.Duration // how long a sync request may wait for scheduling plus inference; 0 → 30m
	JobAttempts  int           // tries for a background job whose upstreams keep failing; 0 → 5
	JobBackoff   time.Duration // first pause between those tries (doubles); 0 → 2s
	Logger       *slog.Logger
}

// Deps are the collaborators the edge calls, built by cmd from the same configuration.
type Deps struct {
	Pool      *Pool
	Rules     Validator
	Windows   *policy.WindowTable
	Scheduler Scheduler
	Store     Store
	Webhooks  Webhooks // nil: completion webhooks are not sent
	Batches   Batches  // nil: /v1/batches and /v1/files are not served (see SetBatches)
	Registry  *prometheus.Registry
	Metrics   *Metrics
}

// Server is the HTTP edge.
type Server struct {
	cfg  Config
	d    Deps
	keys *keyring
	log  *slog.Logger
	m    *Metrics
	srv  *fasthttp.Server

	metricsHandler fasthttp.RequestHandler
	started        int64 // unix seconds, the created time of listed models

	jobsWG   sync.WaitGroup
	stop     chan struct{}
	inflight sync.Map // id → chan struct{}: sync work still running, for idempotent replays
}

// New builds the edge. Call Serve to accept connections and Recover to resume stored jobs.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.SyncTimeout <= 0 {
		cfg.SyncTimeout = 30 * time.Minute
	}
	if cfg.JobAttempts <= 0 {
		cfg.JobAttempts = 5
	}
	if cfg.JobBackoff <= 0 {
		cfg.JobBackoff = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, d: d, keys: newKeyring(cfg.Keys), log: cfg.Logger, m: d.Metrics, stop: make(chan struct{}), started: time.Now().Unix()}
	if d.Registry != nil {
		s.metricsHandler = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	}
	s.srv = &fasthttp.Server{
		Handler:            s.route,
		Name:               "sailshim",
		MaxRequestBodySize: max(cfg.MaxBodyBytes, batchBodyLimit),
		ReadTimeout:        2 * time.Minute,
		// Sync requests in a deferrable window wait on their connection for their dispatch.
		WriteTimeout:                  cfg.SyncTimeout + time.Minute,
		IdleTimeout:                   2 * time.Minute,
		NoDefaultServerHeader:         true,
		DisableHeaderNamesNormalizing: false,
		StreamRequestBody:             true, // batch bodies and file uploads are read as they arrive (batch package)
		ErrorHandler: func(ctx *fasthttp.RequestCtx, err error) {
			if errors.Is(err, fasthttp.ErrBodyTooLarge) {
				respond.Error(ctx, apierr.TooLarge(batchBodyLimit))
				return
			}
			respond.Error(ctx, apierr.Invalid("", "malformed_request", "The HTTP request could not be read: %v", err))
		},
	}
	return s
}

// batchBodyLimit is the largest body any route accepts (Sail batches: 256 MB).
const batchBodyLimit = 256 << 20

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Shutdown stops accepting, waits for in-flight requests, and stops background job goroutines
// (their records stay pending in the store and resume at the next start).
func (s *Server) Shutdown(ctx context.Context) error {
	close(s.stop)
	err := s.srv.ShutdownWithContext(ctx)
	done := make(chan struct{})
	go func() { s.jobsWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return err
}
