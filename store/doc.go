// Package store owns sailshim's durable results: the client-visible objects behind background
// polling, idempotency replay and restart recovery, plus a small namespaced key-value space for
// other subsystems (webhook outbox, batches, files metadata).
//
// It is a top-level package because durability is its own concern: the on-disk format, its
// versioning, fsync semantics and crash recovery must be reasoned about in one place, not spread
// over the request path. Data flows into it from the end of the chain (translate → store →
// reply/webhook), so it must not import proxy, policy, rules or translate; it knows nothing of
// HTTP, windows or wire formats and treats objects and requests as opaque bytes.
//
// The package exports concrete types only. Consumers that want to swap the backend (tests, the
// shared Redis backend planned later) declare the small interface they need next to their own
// code; *Store satisfies it.
//
// # Storage
//
// One Pebble database under Config.Dir, fronted by an LRU of hot records so that polling a
// record that was just written or read never touches disk. Pebble holds a lock file, so one
// process owns a directory; the single-process guarantees below rely on that.
//
// Key layout (all keys are ASCII-prefixed so the database can be inspected by eye):
//
//	r/<id>                      a Record (encoding below)
//	p/<createdAt:8><id>         pending index: present while the record is not terminal; the
//	                            8 bytes are CreatedAt big-endian with the sign bit flipped, so
//	                            a prefix scan yields pending records oldest first. Empty value.
//	i/<owner>/<key>             idempotency reservation: version, epoch, fingerprint, record id
//	k/<ns>/<key>                KV entries; ns and owner must not contain '/'
//	m/epoch                     process incarnation counter (see Reserve)
//
// Record encoding, version 1: a version byte, then the strings ID, Owner, Surface, Status,
// Window (each a uvarint length and the bytes), then CreatedAt and Deadline (varints), Attempts
// (varint), then Object and Request (uvarint length and bytes). Strings come first so decoding
// makes one string allocation for all of them. A new field means a new version byte; decoders
// keep reading the old versions. No encoding/json and no gob: the format is ours and pinned by
// the golden files in testdata/.
//
// # Durability
//
// Put, KVPut and KVDelete take a durable flag. durable=true waits for the WAL fsync (Pebble
// group-commits concurrent syncs into one fsync). durable=false hands the write to the WAL
// without waiting; it survives a process crash once Pebble's WAL writer has flushed it, but not
// necessarily a power loss. Like Pebble itself, a write is visible to readers before its fsync
// completes.
//
// # Idempotency
//
// Reserve claims (owner, key) atomically with a striped mutex around a Pebble get-then-set,
// which is enough for one process. The shared (Redis) backend planned later will use SET NX on
// the same key shape instead.
package store
