package proxy

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"

	"sailshim/apierr"
)

// keyring holds the SHA-256 of each accepted API key. Comparing digests in constant time over
// every entry keeps the check independent of which key matched, and no key is kept in clear.
type keyring struct {
	digests [][32]byte
	ids     []string // owner id per key: a prefix of the digest, safe to store and log
}

func newKeyring(keys []string) *keyring {
	k := &keyring{}
	for _, key := range keys {
		if key == "" {
			continue
		}
		d := sha256.Sum256([]byte(key))
		k.digests = append(k.digests, d)
		k.ids = append(k.ids, "key_"+hex.EncodeToString(d[:8]))
	}
	return k
}

var bearer = []byte("Bearer ")

// authenticate returns the owner id for the request's bearer token.
func (k *keyring) authenticate(authz, xAPIKey []byte) (string, *apierr.Error) {
	if len(authz) == 0 {
		if len(xAPIKey) > 0 {
			return "", apierr.Unauthorized("The x-api-key header is not supported. Send your key as 'Authorization: Bearer <key>' (Anthropic SDKs: pass it as the auth token).")
		}
		return "", apierr.Unauthorized("Missing API key. Send 'Authorization: Bearer <key>'.")
	}
	if len(authz) < len(bearer) || !bytes.EqualFold(authz[:len(bearer)], bearer) {
		return "", apierr.Unauthorized("The Authorization header must use the Bearer scheme: 'Authorization: Bearer <key>'.")
	}
	d := sha256.Sum256(bytes.TrimSpace(authz[len(bearer):]))
	match := -1
	for i := range k.digests {
		if subtle.ConstantTimeCompare(d[:], k.digests[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return "", apierr.Unauthorized("Incorrect API key provided.")
	}
	return k.ids[match], nil
}
