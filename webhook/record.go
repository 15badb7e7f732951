package webhook

import (
	"encoding/binary"
	"errors"
)

// Outbox records are a version byte followed by length-prefixed fields. A hand-rolled layout
// rather than JSON because the body is already JSON (it would be escaped or base64-encoded) and a
// record is written on every request that asks for a webhook. The layout is persisted: change it
// only by adding a new version and keeping the old decoder (testdata/record_v1.bin pins v1).
const recordV1 byte = 1

// maxRecordField bounds a decoded length so a corrupt record can't ask for a huge allocation.
const maxRecordField = 1 << 30

var errBadRecord = errors.New("webhook: malformed outbox record")

// encodeRecord appends the outbox record for d to dst.
func encodeRecord(dst []byte, d Delivery) []byte {
	dst = append(dst, recordV1)
	dst = appendField(dst, d.ID)
	dst = appendField(dst, d.URL)
	dst = appendField(dst, d.Token)
	return appendField(dst, d.Body)
}

func appendField[T string | []byte](dst []byte, v T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// decodeRecord parses an outbox record. The returned Body aliases rec; the strings are copies.
func decodeRecord(rec []byte) (Delivery, error) {
	if len(rec) == 0 || rec[0] != recordV1 {
		return Delivery{}, errBadRecord
	}
	rest := rec[1:]
	var fields [4][]byte
	for i := range fields {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > maxRecordField || n > uint64(len(rest)-w) {
			return Delivery{}, errBadRecord
		}
		fields[i] = rest[w : w+int(n) : w+int(n)]
		rest = rest[w+int(n):]
	}
	if len(rest) != 0 {
		return Delivery{}, errBadRecord
	}
	return Delivery{
		ID:    string(fields[0]),
		URL:   string(fields[1]),
		Token: string(fields[2]),
		Body:  fields[3],
	}, nil
}
