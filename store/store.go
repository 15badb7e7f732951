package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Config configures Open. The LRU is bounded by entries, not bytes: budget CacheEntries times a
// typical stored object (a 1 KB response: 10000 entries ≈ 10 MB plus Pebble's 16 MB block cache).
type Config struct {
	Dir          string       // data directory (created if missing); required
	CacheEntries int          // LRU size of hot records; 0 → 10000
	Logger       *slog.Logger // nil → discard

	fs vfs.FS // tests substitute a crashable in-memory filesystem; nil → the OS
}

// ErrNotFound is returned for a missing record or KV entry.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("store: closed")

const (
	defaultCacheEntries = 10000
	stripeCount         = 256 // power of two; collisions only serialize unrelated keys briefly
)

// Store is the durable store. All methods are safe for concurrent use.
type Store struct {
	db    *pebble.DB
	cache *lru.Cache[string, *Record]
	log   *slog.Logger
	epoch uint64 // this process incarnation, persisted at m/epoch

	// Disk operations register in inflight so Close can wait for them before closing Pebble.
	// Not an RWMutex: a Pending or KVScan callback calls back into the store, and a nested
	// RLock deadlocks once Close is waiting. Cache hits skip this; Close purges the cache.
	lifeMu   sync.Mutex
	closed   bool
	closing  chan struct{} // closed when Close starts
	inflight sync.WaitGroup

	// stripes order each key's (disk write, cache update) pairs against cold reads filling the
	// cache, and make Reserve's get-then-set atomic.
	seed    maphash.Seed
	stripes [stripeCount]sync.Mutex

	diskReads atomic.Int64 // record reads that reached Pebble; tests assert cache hits skip it
}

// Open opens (creating if needed) the store in cfg.Dir.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("store: Config.Dir is required")
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = defaultCacheEntries
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fs := cfg.fs
	if fs == nil {
		fs = vfs.Default
	}
	if err := fs.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", cfg.Dir, err)
	}
	cache, err := lru.New[string, *Record](cfg.CacheEntries)
	if err != nil {
		return nil, fmt.Errorf("store: cache: %w", err)
	}
	db, err := pebble.Open(cfg.Dir, pebbleOptions(fs, log))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", cfg.Dir, err)
	}
	s := &Store{db: db, cache: cache, log: log, seed: maphash.MakeSeed(), closing: make(chan struct{})}
	if s.epoch, err = s.nextEpoch(); err != nil {
		_ = db.Close()
		return nil, err
	}
	log.Debug("store opened", "dir", cfg.Dir, "epoch", s.epoch)
	return s, nil
}

// pebbleOptions sizes Pebble for one small server: the LRU in front serves hot reads, so the block
// cache and memtable stay modest.
func pebbleOptions(fs vfs.FS, log *slog.Logger) *pebble.Options {
	return &pebble.Options{
		FS:                 fs,
		Logger:             pebbleLogger{log},
		MemTableSize:       8 << 20,
		CacheSize:          16 << 20,
		MaxOpenFiles:       256,
		FormatMajorVersion: pebble.FormatNewest,
	}
}

// nextEpoch bumps and durably stores the incarnation counter. Reservations remember the epoch
// that made them, which lets Reserve recognise a claim whose holder died with this process's
// predecessor (see Reserve).
func (s *Store) nextEpoch() (uint64, error) {
	var prev uint64
	v, closer, err := s.db.Get([]byte(keyEpoch))
	switch {
	case err == nil:
		prev, _ = binary.Uvarint(v)
		_ = closer.Close()
	case !errors.Is(err, pebble.ErrNotFound):
		return 0, fmt.Errorf("store: read epoch: %w", err)
	}
	epoch := prev + 1
	if err := s.db.Set([]byte(keyEpoch), binary.AppendUvarint(nil, epoch), pebble.Sync); err != nil {
		return 0, fmt.Errorf("store: write epoch: %w", err)
	}
	return epoch, nil
}

// Close waits for disk operations in progress, then releases the directory. The WAL already
// holds every write, so nothing extra is flushed. Calls made after Close starts return
// ErrClosed; a second Close returns nil.
func (s *Store) Close() error {
	s.lifeMu.Lock()
	if s.closed {
		s.lifeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	s.lifeMu.Unlock()
	s.inflight.Wait()
	s.cache.Purge() // after the wait: an in-flight Put may still have added to it
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// acquire registers a disk operation; the caller defers s.inflight.Done() on success.
func (s *Store) acquire() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

func (s *Store) stripe(key string) *sync.Mutex {
	return &s.stripes[maphash.String(s.seed, key)&(stripeCount-1)]
}

func writeOpts(durable bool) *pebble.WriteOptions {
	if durable {
		return pebble.Sync
	}
	return pebble.NoSync
}

// pebbleLogger routes Pebble's printf-style logging to slog. Pebble's info lines are internal
// housekeeping, so they go to Debug.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf must not return: Pebble calls it on broken invariants. Panicking (not os.Exit) lets the
// process's own recovery and tests see it.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg, "component", "pebble", "fatal", true)
	panic("store: pebble: " + msg)
}
