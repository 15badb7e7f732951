package store

import (
	"encoding/binary"
	"errors"
	"strings"
)

// Key prefixes; see the package comment for the layout.
const (
	prefixRecord      = "r/"
	prefixPending     = "p/"
	prefixIdempotency = "i/"
	prefixKV          = "k/"
	keyEpoch          = "m/epoch"
)

var (
	errEmptyID   = errors.New("store: empty record id")
	errBadScope  = errors.New("store: namespace/owner must be non-empty and contain no '/'")
	errEmptyKey  = errors.New("store: empty key")
	errNilRecord = errors.New("store: nil record")
)

func recordKey(id string) []byte {
	return append(append(make([]byte, 0, len(prefixRecord)+len(id)), prefixRecord...), id...)
}

// pendingKey orders pending records by creation time: big-endian with the sign bit flipped sorts
// int64s correctly as bytes.
func pendingKey(createdAt int64, id string) []byte {
	k := make([]byte, 0, len(prefixPending)+8+len(id))
	k = append(k, prefixPending...)
	k = binary.BigEndian.AppendUint64(k, uint64(createdAt)^(1<<63))
	return append(k, id...)
}

// pendingID returns the record id inside a pending key, or false for a malformed key.
func pendingID(k []byte) (string, bool) {
	const head = len(prefixPending) + 8
	if len(k) <= head {
		return "", false
	}
	return string(k[head:]), true
}

// scopedKey builds prefix+scope+"/"+key. The scope may not contain '/', so the split is unambiguous
// while the key itself may hold anything (an Idempotency-Key is client text).
func scopedKey(prefix, scope, key string) ([]byte, error) {
	if scope == "" || strings.IndexByte(scope, '/') >= 0 {
		return nil, errBadScope
	}
	k := make([]byte, 0, len(prefix)+len(scope)+1+len(key))
	k = append(k, prefix...)
	k = append(k, scope...)
	k = append(k, '/')
	return append(k, key...), nil
}

// prefixEnd returns the smallest key greater than every key starting with p, or nil when there is
// none (p is all 0xff), which Pebble reads as "no upper bound".
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
