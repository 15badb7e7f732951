package batch

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"sailshim/rules"
)

// KV namespaces; see the package comment for the key layout.
const (
	nsItems  = "batch"
	nsIndex  = "batchidx"
	nsIngest = "batchingest"
	nsFiles  = "file"

	recordSurface = "batch" // store.Record.Surface of a batch
)

// Shapes: which API created a batch, and so which shape its GET answers in.
const (
	shapeSail   = 's'
	shapeOpenAI = 'o'
)

// chunkBits groups item indexes so that one KV prefix scan covers 4096 items: runners and
// views walk a batch chunk by chunk instead of holding one iterator open for hours.
const chunkBits = 12

func hex8(dst []byte, i uint32) []byte {
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, digits[(i>>uint(shift))&0xf])
	}
	return dst
}

func itemKey(dst []byte, id string, kind byte, idx uint32) []byte {
	dst = append(dst[:0], id...)
	dst = append(dst, '/', kind, '/')
	return hex8(dst, idx)
}

func stateKey(dst []byte, id string, idx uint32) []byte  { return itemKey(dst, id, 's', idx) }
func paramsKey(dst []byte, id string, idx uint32) []byte { return itemKey(dst, id, 'p', idx) }

func customKey(id, customID string) string { return id + "/c/" + customID }

// chunkPrefix is the state-key prefix shared by the items of chunk c: the first five of the
// eight hex digits.
func chunkPrefix(id string, c uint32) string {
	b := itemKey(nil, id, 's', c<<chunkBits)
	return string(b[:len(b)-chunkBits/4])
}

// idxOf reads the index back from a state or params key.
func idxOf(key string) (uint32, bool) {
	if len(key) < 8 {
		return 0, false
	}
	v, err := strconv.ParseUint(key[len(key)-8:], 16, 32)
	return uint32(v), err == nil
}

// indexKey lists a batch under its owner, newest first: the creation time is inverted so that a
// forward prefix scan yields the newest batch first.
func indexKey(owner string, shape byte, created int64, id string) string {
	b := make([]byte, 0, len(owner)+len(id)+24)
	b = append(b, owner...)
	b = append(b, '/', shape, '/')
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], ^uint64(created))
	b = hex.AppendEncode(b, t[:])
	return string(append(b, id...))
}

// indexID returns the batch or file id at the end of an index key.
func indexID(key string) string {
	slash := 0
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			slash = i
		}
	}
	if len(key) < slash+17 {
		return ""
	}
	return key[slash+17:]
}

func newID(prefix string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// idPrefix is the object id prefix of each surface, as single requests get them.
func idPrefix(s rules.Surface) string {
	switch s {
	case rules.Chat:
		return "chatcmpl-"
	case rules.Messages:
		return "msg_"
	}
	return "resp_"
}

// itemObjectID derives an item's response id from its batch and index: stable across restarts
// without being stored, and as unguessable as the batch id.
func itemObjectID(prefix, batchID string, idx uint32) string {
	h := sha256.New()
	h.Write([]byte(batchID))
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], idx)
	h.Write(b[:])
	var sum [32]byte
	return prefix + hex.EncodeToString(h.Sum(sum[:0])[:24])
}

// lineID is the "id" of an item's line in an OpenAI output or error file.
func lineID(batchID string, idx uint32) string {
	return itemObjectID("batch_req_", batchID, idx)[:len("batch_req_")+32]
}
