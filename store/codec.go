package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Format versions. Bump on any change and keep decoding the old ones: the bytes outlive the
// binary that wrote them.
const (
	recordV1      byte = 1
	reservationV1 byte = 1
)

// ErrCorrupt wraps every decoding failure, so callers can tell bad bytes from a missing key.
var ErrCorrupt = errors.New("store: corrupt value")

// appendRecord appends rec's version-1 encoding to dst.
func appendRecord(dst []byte, rec *Record) []byte {
	dst = append(dst, recordV1)
	dst = appendString(dst, rec.ID)
	dst = appendString(dst, rec.Owner)
	dst = appendString(dst, rec.Surface)
	dst = appendString(dst, rec.Status)
	dst = appendString(dst, rec.Window)
	dst = binary.AppendVarint(dst, rec.CreatedAt)
	dst = binary.AppendVarint(dst, rec.Deadline)
	dst = binary.AppendVarint(dst, int64(rec.Attempts))
	dst = appendBytes(dst, rec.Object)
	dst = appendBytes(dst, rec.Request)
	return dst
}

// aliasTail returns a copy of rec whose Object and Request alias their bytes at the end of enc,
// rec's fresh encoding, so the copy owns nothing the caller can still write.
func aliasTail(rec *Record, enc []byte) *Record {
	c := *rec
	end := len(enc)
	c.Request = tail(enc[:end], len(rec.Request))
	end -= len(rec.Request) + uvarintLen(uint64(len(rec.Request)))
	c.Object = tail(enc[:end], len(rec.Object))
	return &c
}

// tail returns the last n bytes of b, nil when n is 0 (as decodeRecord does).
func tail(b []byte, n int) []byte {
	if n == 0 {
		return nil
	}
	return b[len(b)-n : len(b) : len(b)]
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// recordSize is an upper bound of the encoded size, so Put allocates once.
func recordSize(rec *Record) int {
	const lenMax = binary.MaxVarintLen64
	return 1 + 10*lenMax + len(rec.ID) + len(rec.Owner) + len(rec.Surface) + len(rec.Status) +
		len(rec.Window) + len(rec.Object) + len(rec.Request)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// decodeRecord decodes buf into rec. Object and Request alias buf (the caller hands over a
// buffer nobody will write again); the strings share one allocation.
func decodeRecord(buf []byte, rec *Record) error {
	if len(buf) == 0 {
		return fmt.Errorf("%w: empty record", ErrCorrupt)
	}
	if buf[0] != recordV1 {
		return fmt.Errorf("%w: unknown record version %d", ErrCorrupt, buf[0])
	}
	d := decoder{buf: buf, off: 1}
	var spans [5][2]int // ID, Owner, Surface, Status, Window as offsets into buf
	for i := range spans {
		spans[i][0], spans[i][1] = d.span()
	}
	createdAt := d.varint()
	deadline := d.varint()
	attempts := d.varint()
	object := d.bytes()
	request := d.bytes()
	if d.err != nil {
		return d.err
	}
	if d.off != len(buf) {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(buf)-d.off)
	}
	if int64(int(attempts)) != attempts {
		return fmt.Errorf("%w: attempts out of range", ErrCorrupt)
	}
	// One allocation for all five strings: they are adjacent, separated only by length bytes.
	base := spans[0][0]
	strs := string(buf[base:spans[4][1]])
	sub := func(i int) string { return strs[spans[i][0]-base : spans[i][1]-base] }
	*rec = Record{
		ID: sub(0), Owner: sub(1), Surface: sub(2), Status: sub(3), Window: sub(4),
		CreatedAt: createdAt, Deadline: deadline, Attempts: int(attempts),
		Object: object, Request: request,
	}
	return nil
}

// decoder reads length-prefixed fields and remembers the first error, so field-by-field decoding
// stays linear and every malformed input ends in an error rather than a panic.
type decoder struct {
	buf []byte
	off int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s at offset %d", ErrCorrupt, what, d.off)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.off += n
	return v
}

// span reads a length prefix and returns the [start,end) offsets of the field it announces.
func (d *decoder) span() (int, int) {
	n := d.uvarint()
	if d.err != nil {
		return d.off, d.off
	}
	if n > uint64(len(d.buf)-d.off) {
		d.fail("length")
		return d.off, d.off
	}
	start := d.off
	d.off += int(n)
	return start, d.off
}

// bytes reads a length-prefixed field; an empty field decodes as nil so round trips compare
// equal to records built without it.
func (d *decoder) bytes() []byte {
	start, end := d.span()
	if d.err != nil || start == end {
		return nil
	}
	return d.buf[start:end:end]
}

// reservation is the stored form of an idempotency claim.
type reservation struct {
	epoch uint64 // process incarnation that made the claim
	fp    [32]byte
	id    string
}

func appendReservation(dst []byte, r *reservation) []byte {
	dst = append(dst, reservationV1)
	dst = binary.AppendUvarint(dst, r.epoch)
	dst = append(dst, r.fp[:]...)
	return appendString(dst, r.id)
}

func decodeReservation(buf []byte, r *reservation) error {
	if len(buf) == 0 || buf[0] != reservationV1 {
		return fmt.Errorf("%w: bad reservation version", ErrCorrupt)
	}
	d := decoder{buf: buf, off: 1}
	r.epoch = d.uvarint()
	if d.err == nil && len(buf)-d.off < len(r.fp) {
		d.fail("fingerprint")
	}
	if d.err != nil {
		return d.err
	}
	d.off += copy(r.fp[:], buf[d.off:])
	start, end := d.span()
	if d.err != nil {
		return d.err
	}
	if d.off != len(buf) {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(buf)-d.off)
	}
	r.id = string(buf[start:end])
	return nil
}
