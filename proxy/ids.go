package proxy

import (
	"crypto/rand"
	"encoding/hex"
)

// newID returns prefix + 48 hex characters of randomness: unguessable, since an id is all a
// client needs to poll (ownership is still checked).
func newID(prefix string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	buf := make([]byte, len(prefix)+48)
	copy(buf, prefix)
	hex.Encode(buf[len(prefix):], b[:])
	return string(buf)
}
