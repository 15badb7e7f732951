package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sailshim/apierr"
	"sailshim/policy"
	"sailshim/rules"
	"sailshim/store"
	"sailshim/webhook"
)

// Executor runs one item through the same pipeline as a single request. The edge (proxy)
// implements it; surface is a rules.Surface name ("responses", "chat", "messages").
type Executor interface {
	// Execute validates body, waits for the scheduler at window (deadline is the item's
	// completion deadline: batch creation + window), sends it upstream and translates the reply.
	// On success it stores the object under id like any response, queues the item's own
	// completion webhook if its metadata asked for one, and returns the object and its status
	// ("completed", "incomplete" or "failed"). On error it stores nothing: the caller retries or
	// calls Finish. When ctx ends first it returns an error and the caller checks ctx.
	Execute(ctx context.Context, owner, surface, id string, body []byte, window policy.Window, created, deadline time.Time) (obj []byte, status string, e *apierr.Error)
	// Finish records an item that ends without a reply — status "failed" (with e) or
	// "cancelled" — like any response (where the surface has such an object), queues its
	// webhook, and returns the object.
	Finish(owner, surface, id string, body []byte, window policy.Window, created, deadline time.Time, status string, e *apierr.Error) []byte
	// Placeholder returns the object a GET shows for an item without a stored object ("pending",
	// "running", or "failed"/"cancelled" on a surface that stores none). It stores nothing.
	// body may be nil once the item is finished.
	Placeholder(surface, id string, body []byte, created time.Time, status string, e *apierr.Error) []byte
}

// Validator applies the support matrix to one item (rules.Validator).
type Validator interface {
	Validate(s rules.Surface, body []byte, out *rules.Request) *apierr.Error
}

// Models says which models the upstreams serve (proxy.Pool).
type Models interface {
	Serves(model string) bool
}

// Webhooks queues completion webhooks (webhook.Sender).
type Webhooks interface {
	Enqueue(d webhook.Delivery) error
}

// Store is the durable store (store.Store): batches are records, items and files KV entries.
type Store interface {
	Put(rec *store.Record, durable bool) error
	Get(id string) (*store.Record, error)
	Pending(fn func(*store.Record) bool) error
	Reserve(owner, key string, fp [32]byte, id string) (store.Reservation, error)
	Forget(owner, key string) error
	KVPut(ns, key string, val []byte, durable bool) error
	KVGet(ns, key string) ([]byte, error)
	KVDelete(ns, key string, durable bool) error
	KVScan(ns, prefix string, fn func(key string, val []byte) bool) error
}

// Deps are the collaborators a Service calls.
type Deps struct {
	Exec       Executor
	Rules      Validator
	Windows    *policy.WindowTable
	Store      Store
	Models     Models   // nil: an item's model is not checked at ingestion (the upstream decides)
	Webhooks   Webhooks // nil: batch completion webhooks are not sent
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: metrics are kept but not exported
}

// Config configures a Service. Zero values take the documented defaults.
type Config struct {
	DataDir      string        // uploaded and generated files live under DataDir/files; required
	MaxBodyBytes int64         // largest batch body or uploaded file; 0 → 256 MiB
	MaxItemBytes int64         // largest single item or JSONL line; 0 → 32 MiB
	MaxItems     int           // items per batch (lines per file); 0 → 100,000
	Workers      int           // items in flight per process, per window class (deferrable, flexible); 0 → 256
	Attempts     int           // tries for an item whose upstreams keep failing (5xx, 429); 0 → 5
	Backoff      time.Duration // first pause between those tries (doubles); 0 → 2s
}

const (
	defaultMaxBody  = 256 << 20
	defaultMaxItem  = 32 << 20
	defaultMaxItems = 100000
	defaultWorkers  = 256
)

// Service serves the batch and file routes and runs batches.
type Service struct {
	cfg      Config
	d        Deps
	log      *slog.Logger
	m        *metrics
	filesDir string

	ctx    context.Context // ends at Close: workers stop, unfinished items stay pending
	cancel context.CancelFunc
	wg     sync.WaitGroup
	queues map[policy.Class]chan task

	mu      sync.Mutex
	runs    map[string]*run // batches running in this process
	started bool
	closed  bool
}

// New builds a Service. Call Start to resume stored batches and start the workers.
func New(cfg Config, d Deps) (*Service, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("batch: Config.DataDir is required")
	}
	if d.Exec == nil || d.Rules == nil || d.Windows == nil || d.Store == nil {
		return nil, errors.New("batch: Deps.Exec, Rules, Windows and Store are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBody
	}
	if cfg.MaxItemBytes <= 0 {
		cfg.MaxItemBytes = defaultMaxItem
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = defaultMaxItems
	}
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 2 * time.Second
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Join(cfg.DataDir, "files")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("batch: create %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: cfg, d: d, log: log, m: newMetrics(d.Registerer), filesDir: dir,
		ctx: ctx, cancel: cancel, runs: make(map[string]*run),
		queues: map[policy.Class]chan task{policy.Deferrable: make(chan task), policy.Flexible: make(chan task)},
	}
	return s, nil
}

// Start removes what a crash left of half-ingested batches, starts the workers and resumes every
// unfinished batch: finished items are not run again, items that were in flight run again.
func (s *Service) Start() error {
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return errors.New("batch: Start called twice or after Close")
	}
	s.started = true
	s.mu.Unlock()
	s.cleanIngests()
	for class, q := range s.queues {
		for range s.cfg.Workers {
			s.wg.Add(1)
			go s.worker(class, q)
		}
	}
	var ids []string
	err := s.d.Store.Pending(func(rec *store.Record) bool {
		if rec.Surface == recordSurface {
			ids = append(ids, rec.ID)
		}
		return true
	})
	for _, id := range ids {
		rec, gerr := s.d.Store.Get(id)
		if gerr != nil {
			s.log.Error("batch: reading an unfinished batch failed", "batch_id", id, "err", gerr)
			continue
		}
		m, derr := decodeMeta(rec.Object)
		if derr != nil {
			s.log.Error("batch: unreadable batch record", "batch_id", id, "err", derr)
			continue
		}
		m.Owner = rec.Owner
		s.launch(m, true)
	}
	if len(ids) > 0 {
		s.log.Info("resumed batches after restart", "count", len(ids))
	}
	if err != nil {
		return fmt.Errorf("batch: listing unfinished batches: %w", err)
	}
	return nil
}

// Close stops the workers and waits for them. Items in flight are abandoned, not failed: they
// stay pending in the store and run again at the next Start.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}
