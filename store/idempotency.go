package store

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Reservation is the outcome of Reserve.
type Reservation struct {
	Fresh       bool     // the caller now holds the key and must run the request
	ID          string   // the record id the key points to (the caller's own id when Fresh)
	Fingerprint [32]byte // the holder's body fingerprint (SHA-256 of the request)
}

// Reserve atomically claims (owner, key) for a new request with body fingerprint fp and record id.
// If nobody holds the key it records (fp, id) durably and returns Fresh:true. Otherwise it returns
// the holder's id and fingerprint with Fresh:false; the caller compares fingerprints (same →
// replay the record's current state; different → 400 idempotency_error). Of any number of
// concurrent calls for one (owner, key), exactly one is Fresh.
//
// A claim whose holder never stored a record is normally released with Forget. If the holder's
// process died first, no one could: such a claim (made by an earlier incarnation of the store, with
// no record under its id) is taken over, and the new caller gets Fresh:true. A claim from this
// incarnation without a record yet is a request still running: the caller gets Fresh:false and an
// ID that Get does not find yet.
func (s *Store) Reserve(owner, key string, fp [32]byte, id string) (Reservation, error) {
	k, err := scopedKey(prefixIdempotency, owner, key)
	if err != nil {
		return Reservation{}, err
	}
	if key == "" {
		return Reservation{}, errEmptyKey
	}
	if id == "" {
		return Reservation{}, errEmptyID
	}
	if err := s.acquire(); err != nil {
		return Reservation{}, err
	}
	defer s.inflight.Done()

	mu := s.stripe(string(k))
	mu.Lock()
	defer mu.Unlock()
	held, found, err := s.reservation(k)
	if err != nil {
		return Reservation{}, err
	}
	if found {
		abandoned, err := s.abandoned(&held)
		if err != nil {
			return Reservation{}, err
		}
		if !abandoned {
			return Reservation{ID: held.id, Fingerprint: held.fp}, nil
		}
		s.log.Info("store: taking over abandoned idempotency key", "owner", owner, "id", held.id)
	}
	val := appendReservation(nil, &reservation{epoch: s.epoch, fp: fp, id: id})
	if err := s.db.Set(k, val, pebble.Sync); err != nil {
		return Reservation{}, fmt.Errorf("store: reserve: %w", err)
	}
	return Reservation{Fresh: true, ID: id, Fingerprint: fp}, nil
}

func (s *Store) reservation(k []byte) (reservation, bool, error) {
	var r reservation
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("store: reserve: %w", err)
	}
	defer closer.Close()
	if err := decodeReservation(v, &r); err != nil {
		return r, false, fmt.Errorf("store: reservation: %w", err)
	}
	return r, true, nil
}

// abandoned reports whether a claim's holder died before storing its record. Pebble's directory
// lock means an earlier epoch's process is gone, so its claim can only still be in flight if the
// record exists.
func (s *Store) abandoned(r *reservation) (bool, error) {
	if r.epoch == s.epoch {
		return false, nil
	}
	// Straight to Pebble: the record's stripe may be this one, and Put reaches disk before the
	// cache, so disk is authoritative.
	_, closer, err := s.db.Get(recordKey(r.id))
	if errors.Is(err, pebble.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: reserve: %w", err)
	}
	_ = closer.Close()
	return false, nil
}

// Forget releases a reservation whose request never got a record (e.g. it failed before anything
// was stored), so a retry with the key can run. The release is durable.
func (s *Store) Forget(owner, key string) error {
	k, err := scopedKey(prefixIdempotency, owner, key)
	if err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.inflight.Done()
	mu := s.stripe(string(k))
	mu.Lock()
	defer mu.Unlock()
	if err := s.db.Delete(k, pebble.Sync); err != nil {
		return fmt.Errorf("store: forget: %w", err)
	}
	return nil
}
