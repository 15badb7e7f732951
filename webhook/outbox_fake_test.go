package webhook

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOutbox is an in-memory Outbox that reports removals on a channel so tests can wait for a
// delivery's final outcome instead of sleeping.
type fakeOutbox struct {
	mu      sync.Mutex
	m       map[string][]byte // ns + "\x00" + key
	synced  map[string]bool   // whether the last put of a key asked for durability
	putErr  error
	deleted chan string
}

func newFakeOutbox() *fakeOutbox {
	return &fakeOutbox{m: map[string][]byte{}, synced: map[string]bool{}, deleted: make(chan string, 64)}
}

func (o *fakeOutbox) KVPut(ns, key string, val []byte, durable bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.putErr != nil {
		return o.putErr
	}
	o.m[ns+"\x00"+key] = append([]byte(nil), val...)
	o.synced[ns+"\x00"+key] = durable
	return nil
}

func (o *fakeOutbox) KVDelete(ns, key string, _ bool) error {
	o.mu.Lock()
	delete(o.m, ns+"\x00"+key)
	o.mu.Unlock()
	o.deleted <- key
	return nil
}

func (o *fakeOutbox) KVScan(ns, prefix string, fn func(key string, val []byte) bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		if strings.HasPrefix(k, ns+"\x00"+prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		// A scratch copy that is scribbled on afterwards, as a real iterator may reuse buffers.
		val := append([]byte(nil), o.m[k]...)
		ok := fn(strings.TrimPrefix(k, ns+"\x00"), val)
		clear(val)
		if !ok {
			break
		}
	}
	return nil
}

func (o *fakeOutbox) keys() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ks []string
	for k := range o.m {
		ks = append(ks, k[strings.IndexByte(k, 0)+1:])
	}
	slices.Sort(ks)
	return ks
}

func (o *fakeOutbox) get(key string) ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[OutboxNamespace+"\x00"+key]
	return v, ok
}

// waitDeleted waits for the outbox entry of one delivery to be removed, i.e. its final outcome.
func (o *fakeOutbox) waitDeleted(t *testing.T) string {
	t.Helper()
	select {
	case k := <-o.deleted:
		return k
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a delivery to finish")
		return ""
	}
}

var errDiskFull = errors.New("disk full")
