package store

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The KV space serves subsystems whose state is not a client-visible record (webhook outbox,
// batches, files metadata). It is not cached: its users scan or touch entries once.

// KVPut sets ns/key to val with the same durability switch as Put. ns must be non-empty and
// contain no '/'; key must be non-empty. The caller may reuse val once KVPut returns.
func (s *Store) KVPut(ns, key string, val []byte, durable bool) error {
	k, err := kvKey(ns, key)
	if err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.inflight.Done()
	if err := s.db.Set(k, val, writeOpts(durable)); err != nil {
		return fmt.Errorf("store: kv put %s/%s: %w", ns, key, err)
	}
	return nil
}

// KVGet returns a copy of the value at ns/key, or ErrNotFound.
func (s *Store) KVGet(ns, key string) ([]byte, error) {
	k, err := kvKey(ns, key)
	if err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.inflight.Done()
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: kv get %s/%s: %w", ns, key, err)
	}
	defer closer.Close()
	return append(make([]byte, 0, len(v)), v...), nil
}

// KVDelete removes ns/key; deleting a missing key is not an error.
func (s *Store) KVDelete(ns, key string, durable bool) error {
	k, err := kvKey(ns, key)
	if err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.inflight.Done()
	if err := s.db.Delete(k, writeOpts(durable)); err != nil {
		return fmt.Errorf("store: kv delete %s/%s: %w", ns, key, err)
	}
	return nil
}

// KVScan calls fn for every entry of ns whose key starts with prefix, in key order, until fn
// returns false. val is only valid until fn returns (copy it to keep it). The scan reads a
// snapshot, so fn may write to the store.
func (s *Store) KVScan(ns, prefix string, fn func(key string, val []byte) bool) error {
	lower, err := scopedKey(prefixKV, ns, prefix)
	if err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.inflight.Done()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return fmt.Errorf("store: kv scan %s: %w", ns, err)
	}
	defer it.Close()
	skip := len(prefixKV) + len(ns) + 1
	for it.First(); it.Valid(); it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("store: kv scan %s: %w", ns, err)
		}
		if !fn(string(it.Key()[skip:]), val) {
			return nil
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("store: kv scan %s: %w", ns, err)
	}
	return nil
}

func kvKey(ns, key string) ([]byte, error) {
	if key == "" {
		return nil, errEmptyKey
	}
	return scopedKey(prefixKV, ns, key)
}
