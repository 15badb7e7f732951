package store

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func openTest(t testing.TB, dir string, cacheEntries int) *Store {
	t.Helper()
	s, err := Open(Config{Dir: dir, CacheEntries: cacheEntries})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func rec(id, status string, createdAt int64) *Record {
	return &Record{
		ID: id, Owner: "kid_1", Surface: "responses", Status: status, Window: "15m",
		Object:    []byte(`{"id":"` + id + `","status":"` + status + `"}`),
		Request:   []byte(`{"model":"m","input":"` + id + `"}`),
		CreatedAt: createdAt, Deadline: createdAt + 900e9, Attempts: 1,
	}
}

// want is what Get must return for r: the stored form drops a terminal record's request.
func want(r *Record) *Record {
	c := r.Clone()
	if c.Terminal() {
		c.Request = nil
	}
	return c
}

func pendingIDs(t *testing.T, s *Store) []string {
	t.Helper()
	var ids []string
	if err := s.Pending(func(r *Record) bool { ids = append(ids, r.ID); return true }); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestPutGetPending(t *testing.T) {
	cases := []struct {
		name        string
		puts        []*Record
		wantPending []string // oldest first
	}{
		{"queued is pending", []*Record{rec("resp_a", "queued", 10)}, []string{"resp_a"}},
		{"in_progress is pending", []*Record{rec("resp_a", "queued", 10), rec("resp_a", "in_progress", 10)}, []string{"resp_a"}},
		{"completed drops out", []*Record{rec("resp_a", "queued", 10), rec("resp_a", "completed", 10)}, nil},
		{"terminal on first put", []*Record{rec("chatcmpl-1", "completed", 10)}, nil},
		{"every terminal status", []*Record{rec("a", "completed", 1), rec("b", "incomplete", 2), rec("c", "failed", 3), rec("d", "cancelled", 4)}, nil},
		{"unknown status is pending", []*Record{rec("batch_1", "running", 10)}, []string{"batch_1"}},
		{"oldest first", []*Record{rec("c", "queued", 30), rec("a", "queued", -5), rec("b", "queued", 20), rec("d", "completed", 1)}, []string{"a", "b", "c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, 0)
			last := map[string]*Record{}
			for i, r := range tc.puts {
				if err := s.Put(r, i%2 == 0); err != nil {
					t.Fatal(err)
				}
				last[r.ID] = want(r)
			}
			check := func(phase string, s *Store) {
				for id, w := range last {
					got, err := s.Get(id)
					if err != nil {
						t.Fatalf("%s: Get(%s): %v", phase, id, err)
					}
					if !reflect.DeepEqual(got, w) {
						t.Errorf("%s: Get(%s) = %+v, want %+v", phase, id, got, w)
					}
				}
				if got := pendingIDs(t, s); !reflect.DeepEqual(got, tc.wantPending) {
					t.Errorf("%s: Pending = %q, want %q", phase, got, tc.wantPending)
				}
			}
			check("hot", s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			check("after reopen", openTest(t, dir, 0))
		})
	}
}

func TestGetMissing(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	if _, err := s.Get("resp_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
}

func TestPutRejects(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	for name, r := range map[string]*Record{"nil": nil, "empty id": {Status: "queued"}} {
		if err := s.Put(r, false); err == nil {
			t.Errorf("Put(%s) succeeded", name)
		}
	}
}

// A caller that reuses its buffers after Put must not change what readers see.
func TestPutCopiesCallerBytes(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	r := rec("resp_a", "queued", 1)
	w := want(r)
	if err := s.Put(r, false); err != nil {
		t.Fatal(err)
	}
	for i := range r.Object {
		r.Object[i] = 'X'
	}
	r.Request[0] = 'X'
	got, err := s.Get("resp_a")
	if err != nil || !reflect.DeepEqual(got, w) {
		t.Fatalf("Get after caller reuse = %+v, %v; want %+v", got, err, w)
	}
}

func TestCacheHitSkipsDisk(t *testing.T) {
	cases := []struct {
		name      string
		cache     int
		put       []string
		reopen    bool
		get       []string
		diskReads int64
	}{
		{"put fills cache", 0, []string{"a"}, false, []string{"a", "a", "a"}, 0},
		{"cold read once then hot", 0, []string{"a"}, true, []string{"a", "a", "a"}, 1},
		{"evicted record is read again", 1, []string{"a", "b"}, false, []string{"a", "a", "b"}, 2},
		{"miss is not cached", 0, nil, false, []string{"x", "x"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, tc.cache)
			for _, id := range tc.put {
				if err := s.Put(rec(id, "queued", 1), false); err != nil {
					t.Fatal(err)
				}
			}
			if tc.reopen {
				_ = s.Close()
				s = openTest(t, dir, tc.cache)
			}
			for _, id := range tc.get {
				_, _ = s.Get(id)
			}
			if got := s.diskReads.Load(); got != tc.diskReads {
				t.Errorf("disk reads = %d, want %d", got, tc.diskReads)
			}
		})
	}
}

// The strongest form of "a hit does not touch disk": with Pebble closed underneath (any access
// would panic), a hot Get still answers.
func TestCacheHitWithPebbleClosed(t *testing.T) {
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := rec("resp_hot", "completed", 1)
	if err := s.Put(r, true); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	s.closed = true // keep Store.Close and cold paths away from the closed handle
	got, err := s.Get("resp_hot")
	if err != nil || !reflect.DeepEqual(got, want(r)) {
		t.Fatalf("hot Get with Pebble closed = %+v, %v", got, err)
	}
	if _, err := s.Get("resp_cold"); !errors.Is(err, ErrClosed) {
		t.Fatalf("cold Get = %v, want ErrClosed", err)
	}
}

func TestPendingStopsEarly(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	for i := range 5 {
		if err := s.Put(rec(fmt.Sprint(i), "queued", int64(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	if err := s.Pending(func(*Record) bool { n++; return n < 2 }); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("fn called %d times after returning false, want 2", n)
	}
}

// A record re-Put with a different CreatedAt leaves an index entry behind; Pending must neither
// list the record twice nor keep the stale entry.
func TestPendingHealsStaleEntry(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	if err := s.Put(rec("a", "queued", 1), false); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(rec("a", "queued", 2), false); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, s); !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("Pending = %q, want [a]", got)
	}
	if err := s.Put(rec("a", "completed", 2), false); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, s); got != nil {
		t.Fatalf("Pending after completion = %q, want none", got)
	}
	_, closer, err := s.db.Get(pendingKey(1, "a"))
	if err == nil {
		_ = closer.Close()
		t.Fatal("stale pending entry still on disk")
	}
}

// Pending may Put the records it yields (recovery marks them in_progress) without disturbing
// the scan.
func TestPendingCallbackMayPut(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	for i := range 3 {
		if err := s.Put(rec(fmt.Sprint(i), "queued", int64(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	err := s.Pending(func(r *Record) bool {
		seen = append(seen, r.ID)
		next := r.Clone()
		next.Status = "completed"
		return s.Put(next, false) == nil
	})
	if err != nil || len(seen) != 3 {
		t.Fatalf("Pending = %q, %v", seen, err)
	}
	if got := pendingIDs(t, s); got != nil {
		t.Fatalf("Pending after completing all = %q", got)
	}
}

func TestClosedStore(t *testing.T) {
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]error{
		"Put":      s.Put(rec("a", "queued", 1), true),
		"Pending":  s.Pending(func(*Record) bool { return true }),
		"Forget":   s.Forget("o", "k"),
		"KVPut":    s.KVPut("ns", "k", nil, false),
		"KVDelete": s.KVDelete("ns", "k", false),
		"KVScan":   s.KVScan("ns", "", func(string, []byte) bool { return true }),
		"Close":    s.Close(),
	}
	_, calls["Get"] = s.Get("a")
	_, calls["Reserve"] = s.Reserve("o", "k", [32]byte{}, "id")
	_, calls["KVGet"] = s.KVGet("ns", "k")
	for name, err := range calls {
		if name == "Close" {
			if err != nil {
				t.Errorf("second Close = %v", err)
			}
			continue
		}
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

// Concurrent Puts and cold Gets of the same ids must leave the cache agreeing with disk.
func TestConcurrentPutGetCacheAgreesWithDisk(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, 4) // tiny cache: constant eviction and refill
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := ids[(i+w)%len(ids)]
				r := rec(id, "in_progress", 1)
				r.Attempts = i
				_ = s.Put(r, false)
				_, _ = s.Get(ids[(i*3+w)%len(ids)])
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		hot, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		s.cache.Remove(id)
		cold, err := s.Get(id)
		if err != nil || !reflect.DeepEqual(hot, cold) {
			t.Fatalf("%s: cache %+v disagrees with disk %+v (%v)", id, hot, cold, err)
		}
	}
}

// Close while a Pending callback is writing must neither deadlock nor crash: the callback's
// writes fail with ErrClosed and Close returns once the scan ends.
func TestCloseDuringPendingCallback(t *testing.T) {
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.Put(rec(fmt.Sprint(i), "queued", int64(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	inCallback := make(chan struct{})
	closeReturned := make(chan error)
	var putErrs []error
	pendingErr := s.Pending(func(r *Record) bool {
		if r.ID == "0" {
			close(inCallback)
			go func() { closeReturned <- s.Close() }()
			<-s.closing // Close now waits for this scan; a nested call must not wait for Close

		}
		putErrs = append(putErrs, s.Put(r, false))
		return true
	})
	<-inCallback
	if err := <-closeReturned; err != nil {
		t.Fatalf("Close = %v", err)
	}
	if pendingErr != nil {
		t.Fatalf("Pending = %v", pendingErr)
	}
	for _, err := range putErrs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Put during Close = %v, want ErrClosed", err)
		}
	}
}
