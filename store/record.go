package store

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Record statuses. Any status not listed as terminal counts as pending, so an unknown or
// surface-specific status (a batch item's "pending", "running") is recovered, never dropped.
const (
	StatusQueued     = "queued"
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
)

// Record is one client-visible object (response, chat completion, message, batch item) plus what
// is needed to run it again after a restart.
type Record struct {
	ID        string // "resp_…", "chatcmpl-…", "msg_…"
	Owner     string // a key id (hash of the API key), never the key itself
	Surface   string // "responses", "chat", "messages", "batch"
	Status    string // "queued", "in_progress", "completed", "incomplete", "failed", "cancelled"
	Object    []byte // the JSON a GET returns now
	Request   []byte // the validated client body; kept while not terminal so recovery can run it again
	Window    string
	CreatedAt int64 // unix nanoseconds
	Deadline  int64 // unix nanoseconds; 0 = none
	Attempts  int
}

// Terminal reports whether the record has reached a final state.
func (r *Record) Terminal() bool {
	switch r.Status {
	case StatusCompleted, StatusIncomplete, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// Clone returns a deep copy that the caller may modify.
func (r *Record) Clone() *Record {
	c := *r
	c.Object = cloneBytes(r.Object)
	c.Request = cloneBytes(r.Request)
	return &c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Put writes rec. durable=true returns only after the write is fsynced (a background job's record
// before its 202); durable=false writes to the WAL without waiting for an fsync of its own (a sync
// request's stored copy: it must not slow the reply; Pebble group-commits).
//
// In the same atomic batch Put maintains the pending index: a non-terminal record is listed by
// Pending, a terminal one drops out and its Request is not stored. CreatedAt must not change
// between Puts of one ID (Pending tolerates it, but the index is keyed by it).
//
// Put copies what it keeps: the caller may reuse rec and its byte slices once Put returns.
func (s *Store) Put(rec *Record, durable bool) error {
	if rec == nil {
		return errNilRecord
	}
	if rec.ID == "" {
		return errEmptyID
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.inflight.Done()

	kept := *rec
	if kept.Terminal() {
		kept.Request = nil
	}
	// The cached copy aliases the encoded buffer: one allocation serves the batch (which copies
	// it) and the cache (which owns it from now on; nobody writes it again).
	enc := appendRecord(make([]byte, 0, recordSize(&kept)), &kept)
	cached := aliasTail(&kept, enc)

	b := s.db.NewBatch()
	_ = b.Set(recordKey(kept.ID), enc, nil)
	if kept.Terminal() {
		_ = b.Delete(pendingKey(kept.CreatedAt, kept.ID), nil)
	} else {
		_ = b.Set(pendingKey(kept.CreatedAt, kept.ID), nil, nil)
	}

	// Held across the commit so this key's disk order and cache order agree; other keys (255 of
	// 256 stripes) commit concurrently and share the fsync.
	mu := s.stripe(kept.ID)
	mu.Lock()
	defer mu.Unlock()
	if err := s.db.Apply(b, writeOpts(durable)); err != nil {
		// Not closed: like Pebble's own Set, release the batch only after a successful commit.
		s.cache.Remove(kept.ID)
		return fmt.Errorf("store: put %s: %w", kept.ID, err)
	}
	s.cache.Add(kept.ID, cached)
	return b.Close()
}

// Get returns the record with id, or ErrNotFound. Hot records come from the LRU without touching
// disk. The returned record is shared with other readers: callers must not modify it or its byte
// slices (Clone it first). A terminal record's Request is nil.
func (s *Store) Get(id string) (*Record, error) {
	if rec, ok := s.cache.Get(id); ok {
		return rec, nil
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.inflight.Done()
	mu := s.stripe(id)
	mu.Lock()
	defer mu.Unlock()
	return s.load(id)
}

// load returns the record from the cache or disk, filling the cache. The caller holds the id's
// stripe, so no Put of this id can slip between the disk read and the cache fill.
func (s *Store) load(id string) (*Record, error) {
	if rec, ok := s.cache.Get(id); ok {
		return rec, nil
	}
	s.diskReads.Add(1)
	v, closer, err := s.db.Get(recordKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s: %w", id, err)
	}
	// Pebble's value is only valid until closer.Close; the record keeps its own copy.
	buf := append([]byte(nil), v...)
	_ = closer.Close()
	rec := new(Record)
	if err := decodeRecord(buf, rec); err != nil {
		return nil, fmt.Errorf("store: record %s: %w", id, err)
	}
	s.cache.Add(id, rec)
	return rec, nil
}

// Pending calls fn for every non-terminal record, oldest CreatedAt first, until fn returns false.
// It is meant for restart recovery. fn may call Put (e.g. to mark a record in_progress); the scan
// works on a snapshot and is not disturbed. The records are shared as with Get.
func (s *Store) Pending(fn func(*Record) bool) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.inflight.Done()
	lower := []byte(prefixPending)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return fmt.Errorf("store: pending scan: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		rec, err := s.pendingRecord(it.Key())
		if errors.Is(err, ErrCorrupt) {
			// One unreadable record must not block recovery of the rest; it stays on disk for
			// inspection.
			s.log.Error("store: skipping corrupt pending record", "err", err)
			continue
		}
		if err != nil {
			return err
		}
		if rec != nil && !fn(rec) {
			return nil
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("store: pending scan: %w", err)
	}
	return nil
}

// pendingRecord resolves one index entry to its record. An entry that no longer matches a
// pending record (the record went terminal or vanished, or its CreatedAt changed) is deleted and
// yields nil, so the index heals instead of resurrecting finished work.
func (s *Store) pendingRecord(key []byte) (*Record, error) {
	id, ok := pendingID(key)
	if !ok {
		return nil, s.db.Delete(key, pebble.NoSync)
	}
	mu := s.stripe(id)
	mu.Lock()
	defer mu.Unlock()
	rec, err := s.load(id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if rec != nil && !rec.Terminal() && string(pendingKey(rec.CreatedAt, id)) == string(key) {
		return rec, nil
	}
	s.log.Warn("store: dropping stale pending entry", "id", id)
	if err := s.db.Delete(key, pebble.NoSync); err != nil {
		return nil, fmt.Errorf("store: heal pending %s: %w", id, err)
	}
	return nil, nil
}
