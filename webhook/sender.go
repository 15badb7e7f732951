package webhook

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Outbox is the durable part of the sender. The store package's *store.Store satisfies it with
// its KV methods. KVScan must hand fn a key and value it may keep only for the duration of the
// call (the sender copies what it keeps).
type Outbox interface {
	KVPut(ns, key string, val []byte, durable bool) error
	KVDelete(ns, key string, durable bool) error
	KVScan(ns, prefix string, fn func(key string, val []byte) bool) error
}

// OutboxNamespace is the KV namespace the sender keeps pending deliveries in, keyed by delivery
// id. Ids start with a zero-padded hex timestamp, so a scan recovers them oldest first.
const OutboxNamespace = "webhook"

// UserAgent is sent on every delivery so receivers can tell webhook traffic apart.
const UserAgent = "sailshim-webhook"

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRetries    = 3
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultWorkers    = 4
)

var (
	// ErrClosed is returned by Enqueue after Close when there is no Outbox to keep the delivery
	// for the next start, and by Start after Close.
	ErrClosed = errors.New("webhook: sender closed")
	// ErrInvalidURL is returned by Enqueue for a URL ValidURL rejects; nothing is recorded.
	ErrInvalidURL = errors.New("webhook: invalid webhook URL")
)

// Config configures a Sender. Zero values get the documented defaults.
type Config struct {
	AllowPrivate bool                  // --webhook-allow-private: skip the SSRF guard
	Timeout      time.Duration         // per attempt, connect to last body byte; 0 → 30s
	Retries      int                   // retries after the first attempt; 0 → 3, negative → none
	Backoff      time.Duration         // first retry delay (exponential, ±50% jitter); 0 → 1s
	MaxBackoff   time.Duration         // cap on the un-jittered delay; 0 → 30s
	Workers      int                   // concurrent deliveries; 0 → 4
	Outbox       Outbox                // nil → in-memory only (tests); nothing survives a restart
	Logger       *slog.Logger          // nil → discard
	Registerer   prometheus.Registerer // nil → metrics are kept but not registered
	Resolver     *net.Resolver         // nil → net.DefaultResolver
	TLSConfig    *tls.Config           // nil → system roots; for receivers behind a private CA
}

// Delivery is one webhook to send.
type Delivery struct {
	ID    string // the id of the object in Body, for logs
	URL   string // metadata.completion_webhook
	Token string // metadata.webhook_token; "" → no Authorization header
	Body  []byte // the object as retrieving it returns it
}

// Sender delivers webhooks from a durable outbox with a fixed pool of workers.
type Sender struct {
	cfg     Config
	retries int
	log     *slog.Logger
	m       metrics
	client  *http.Client
	ctx     context.Context // cancelled by Close; aborts attempts in flight
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*job
	known   map[string]struct{} // delivery ids queued, in flight or waiting to retry
	timers  map[*job]*time.Timer
	started bool
	closed  bool
}

// job is the in-memory state of one delivery.
type job struct {
	key      string // delivery id: outbox key and Webhook-Id header
	host     string // URL host, for logs (never the full URL, which may carry secrets)
	d        Delivery
	attempts int
	bo       *backoff.ExponentialBackOff
}

// New returns a Sender. Call Start to recover pending deliveries and begin sending.
func New(cfg Config) (*Sender, error) {
	cfg = withDefaults(cfg)
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("webhook: registering metrics: %w", err)
	}
	s := &Sender{
		cfg:     cfg,
		retries: max(cfg.Retries, 0),
		log:     cfg.Logger,
		m:       m,
		client:  newClient(cfg),
		known:   make(map[string]struct{}),
		timers:  make(map[*job]*time.Timer),
	}
	s.cond = sync.NewCond(&s.mu)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.Backoff)
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// Enqueue records d durably in the outbox (fsynced), then schedules delivery. It returns as soon
// as the record is written and never waits for the POST. A URL that fails ValidURL is refused
// with ErrInvalidURL and nothing is recorded. If the outbox write fails, d is still delivered
// from memory (it just won't survive a restart) and the error is returned for logging. After
// Close, d is only recorded, for the next start. Enqueue copies d.Body; the caller may reuse it.
func (s *Sender) Enqueue(d Delivery) error {
	if !ValidURL(d.URL) {
		return ErrInvalidURL
	}
	key := newDeliveryID()
	rec := encodeRecord(make([]byte, 0, len(d.ID)+len(d.URL)+len(d.Token)+len(d.Body)+32), d)
	// The body is the record's last field, so the job can share the record's copy of it.
	d.Body = rec[len(rec)-len(d.Body) : len(rec) : len(rec)]
	var putErr error
	if s.cfg.Outbox != nil {
		if putErr = s.cfg.Outbox.KVPut(OutboxNamespace, key, rec, true); putErr != nil {
			putErr = fmt.Errorf("webhook: recording delivery %s in the outbox: %w", key, putErr)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if s.cfg.Outbox == nil || putErr != nil {
			return ErrClosed
		}
		return nil
	}
	s.addLocked(newJob(key, d, s.cfg))
	return putErr
}

// Start recovers undelivered entries from the outbox and starts the workers. Entries already
// known to this Sender (enqueued before Start) are not queued twice.
func (s *Sender) Start() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.started {
		s.mu.Unlock()
		return errors.New("webhook: sender already started")
	}
	s.started = true
	s.mu.Unlock()

	if err := s.recover(); err != nil {
		s.mu.Lock()
		s.started = false
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed { // Close ran during recovery; its Wait must not race this Add
		return ErrClosed
	}
	s.wg.Add(s.cfg.Workers)
	for range s.cfg.Workers {
		go s.worker()
	}
	return nil
}

// recover queues every delivery left in the outbox by an earlier run.
func (s *Sender) recover() error {
	if s.cfg.Outbox == nil {
		return nil
	}
	type entry struct {
		key string
		rec []byte
	}
	var pending []entry
	err := s.cfg.Outbox.KVScan(OutboxNamespace, "", func(key string, val []byte) bool {
		pending = append(pending, entry{key, append([]byte(nil), val...)})
		return true
	})
	if err != nil {
		return fmt.Errorf("webhook: scanning the outbox: %w", err)
	}
	for _, e := range pending {
		d, err := decodeRecord(e.rec)
		if err != nil || !ValidURL(d.URL) {
			// It can never be delivered; keeping it would only log this again at every start.
			s.log.Error("webhook: dropping unreadable outbox entry", "webhook_id", e.key, "error", err)
			s.deleteEntry(e.key)
			continue
		}
		s.mu.Lock()
		s.addLocked(newJob(e.key, d, s.cfg))
		s.mu.Unlock()
	}
	if len(pending) > 0 {
		s.log.Info("webhook: recovered pending deliveries", "count", len(pending))
	}
	return nil
}

// Close stops the workers and aborts attempts in flight. Pending deliveries stay in the outbox
// for the next start. Close is idempotent.
func (s *Sender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for j, t := range s.timers {
		t.Stop()
		delete(s.timers, j)
	}
	s.queue = nil
	clear(s.known)
	s.cond.Broadcast()
	s.mu.Unlock()

	s.cancel()
	s.wg.Wait()
	s.client.CloseIdleConnections()
	return nil
}

func newJob(key string, d Delivery, cfg Config) *job {
	host := ""
	if u, err := url.Parse(d.URL); err == nil {
		host = u.Host
	}
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     cfg.Backoff,
		RandomizationFactor: backoff.DefaultRandomizationFactor,
		Multiplier:          2,
		MaxInterval:         cfg.MaxBackoff,
	}
	bo.Reset()
	return &job{key: key, host: host, d: d, bo: bo}
}

// addLocked queues j unless its delivery id is already known. s.mu must be held.
func (s *Sender) addLocked(j *job) {
	if _, dup := s.known[j.key]; dup {
		return
	}
	s.known[j.key] = struct{}{}
	s.queue = append(s.queue, j)
	s.cond.Signal()
}

// newDeliveryID returns a unique id whose hex timestamp prefix sorts by creation time.
func newDeliveryID() string {
	return fmt.Sprintf("whd_%016x%s", uint64(time.Now().UnixNano()), rand.Text()[:16])
}
