package webhook

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const testBody = `{"id":"resp_1","object":"response","status":"completed","output":[]}`

type received struct {
	header http.Header
	body   []byte
	path   string
}

// recorder is an httptest handler that reports every request on a channel and answers with
// status (200 when zero).
func recorder(status int) (http.HandlerFunc, chan received) {
	ch := make(chan received, 64)
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ch <- received{header: r.Header.Clone(), body: body, path: r.URL.Path}
		if status != 0 {
			w.WriteHeader(status)
		}
	}, ch
}

type harness struct {
	s   *Sender
	out *fakeOutbox
	reg *prometheus.Registry
	log *syncBuffer
}

// newHarness builds a Sender with tiny backoff, a fresh registry, a fake outbox and a captured
// log. It does not start it.
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{out: newFakeOutbox(), reg: prometheus.NewRegistry(), log: &syncBuffer{}}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 2 * time.Millisecond
	}
	if cfg.Outbox == nil {
		cfg.Outbox = h.out
	}
	cfg.Registerer = h.reg
	cfg.Logger = slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	t.Cleanup(func() { s.Close() })
	return h
}

func (h *harness) start(t *testing.T) *harness {
	t.Helper()
	if err := h.s.Start(); err != nil {
		t.Fatal(err)
	}
	return h
}

// metric reads a counter from the registry by name and, for the deliveries counter, result.
func (h *harness) metric(t *testing.T, name, result string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if result == "" {
				return m.GetCounter().GetValue()
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{result=%q} not found", name, result)
	return 0
}

func (h *harness) wantCounts(t *testing.T, attempts, delivered, failed, refused float64) {
	t.Helper()
	got := [4]float64{
		h.metric(t, "sailshim_webhook_attempts_total", ""),
		h.metric(t, "sailshim_webhook_deliveries_total", resultDelivered),
		h.metric(t, "sailshim_webhook_deliveries_total", resultFailed),
		h.metric(t, "sailshim_webhook_deliveries_total", resultRefused),
	}
	if want := [4]float64{attempts, delivered, failed, refused}; got != want {
		t.Errorf("attempts, delivered, failed, refused = %v, want %v", got, want)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func wait[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out")
		var zero T
		return zero
	}
}

func TestDeliver(t *testing.T) {
	tests := []struct {
		name, token, wantAuth string
	}{
		{"with token", "tok-123", "Bearer tok-123"},
		{"without token", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			handler, got := recorder(http.StatusNoContent)
			srv := httptest.NewServer(handler)
			defer srv.Close()
			h := newHarness(t, Config{AllowPrivate: true}).start(t)

			body := []byte(testBody)
			if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL + "/hook", Token: tc.token, Body: body}); err != nil {
				t.Fatal(err)
			}
			keys := h.out.keys()
			clear(body) // the caller may reuse its buffer as soon as Enqueue returns

			r := wait(t, got)
			if r.path != "/hook" {
				t.Errorf("path %q", r.path)
			}
			if string(r.body) != testBody {
				t.Errorf("body %q, want %q", r.body, testBody)
			}
			for k, want := range map[string]string{
				"Content-Type":  "application/json",
				"Authorization": tc.wantAuth,
				"User-Agent":    UserAgent,
			} {
				if v := r.header.Get(k); v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
			if len(keys) != 1 || r.header.Get("Webhook-Id") != keys[0] {
				t.Errorf("Webhook-Id %q, outbox keys at enqueue %q", r.header.Get("Webhook-Id"), keys)
			}
			if k := h.out.waitDeleted(t); k != keys[0] {
				t.Errorf("deleted %q, want %q", k, keys[0])
			}
			if ks := h.out.keys(); len(ks) != 0 {
				t.Errorf("outbox still holds %q", ks)
			}
			h.wantCounts(t, 1, 1, 0, 0)
		})
	}
}

func TestEnqueueWritesDurablyBeforeReturning(t *testing.T) {
	h := newHarness(t, Config{}) // not started: nothing can be sent yet
	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: "https://hooks.example.com/x", Token: "t", Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	keys := h.out.keys()
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "whd_") {
		t.Fatalf("outbox keys %q", keys)
	}
	if !h.out.synced[OutboxNamespace+"\x00"+keys[0]] {
		t.Error("outbox entry was not written durably")
	}
	rec, _ := h.out.get(keys[0])
	d, err := decodeRecord(rec)
	if err != nil || d.ID != "resp_1" || d.Token != "t" || string(d.Body) != testBody {
		t.Errorf("recorded %+v, %v", d, err)
	}
}

func TestEnqueueInvalidURLRecordsNothing(t *testing.T) {
	h := newHarness(t, Config{}).start(t)
	for _, u := range []string{"", "ftp://x/", "not a url", "/relative"} {
		if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: u, Body: []byte(testBody)}); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("Enqueue(%q) = %v, want ErrInvalidURL", u, err)
		}
	}
	if ks := h.out.keys(); len(ks) != 0 {
		t.Errorf("outbox holds %q", ks)
	}
	h.wantCounts(t, 0, 0, 0, 0)
}

func TestFailingListenerGetsOnePlusThreeAttempts(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	h := newHarness(t, Config{AllowPrivate: true}).start(t) // Retries 0 → the default 3

	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL, Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	h.out.waitDeleted(t) // removed only after the final failure
	if n := hits.Load(); n != 4 {
		t.Errorf("listener got %d attempts, want 1 + 3", n)
	}
	h.wantCounts(t, 4, 0, 1, 0)
	log := h.log.String()
	for _, want := range []string{"giving up", "webhook_id=whd_", "object_id=resp_1", "url_host=" + strings.TrimPrefix(srv.URL, "http://"), "attempts=4", "replied 500"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestRetrySucceedsAfterFailures(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	h := newHarness(t, Config{AllowPrivate: true}).start(t)
	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL, Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	h.out.waitDeleted(t)
	if n := hits.Load(); n != 3 {
		t.Errorf("listener got %d attempts, want 3", n)
	}
	h.wantCounts(t, 3, 1, 0, 0)
}

func TestNoRetriesWhenNegative(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	h := newHarness(t, Config{AllowPrivate: true, Retries: -1}).start(t)
	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL, Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	h.out.waitDeleted(t)
	if n := hits.Load(); n != 1 {
		t.Errorf("listener got %d attempts, want 1", n)
	}
	h.wantCounts(t, 1, 0, 1, 0)
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var redirects, landed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		redirects.Add(1)
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { landed.Add(1) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	h := newHarness(t, Config{AllowPrivate: true, Retries: -1}).start(t)

	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL + "/hook", Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	h.out.waitDeleted(t)
	if redirects.Load() != 1 || landed.Load() != 0 {
		t.Errorf("redirecting endpoint hit %d times, redirect target %d times; want 1 and 0", redirects.Load(), landed.Load())
	}
	h.wantCounts(t, 1, 0, 1, 0)
}

func TestPrivateTargetsRefused(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	tests := []struct{ name, url, reason string }{
		{"loopback listener", srv.URL + "/hook", "loopback"},
		{"localhost name", "http://localhost" + port + "/hook", "loopback"},
		{"metadata ip", "http://169.254.169.254/latest/meta-data/", "metadata"},
		{"metadata name", "http://metadata.google.internal/computeMetadata/v1/", "metadata"},
		{"aws ipv6 metadata", "http://[fd00:ec2::254]/latest/", "metadata"},
		{"rfc1918", "https://10.0.0.1/hook", "private"},
		{"link-local", "http://169.254.10.10/", "link-local"},
		{"cgnat", "http://100.64.1.1/", "shared address space (CGNAT)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{}).start(t) // AllowPrivate false; default Retries
			if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: tc.url, Body: []byte(testBody)}); err != nil {
				t.Fatal(err)
			}
			h.out.waitDeleted(t)
			h.wantCounts(t, 1, 0, 0, 1) // refused once, never retried
			if log := h.log.String(); !strings.Contains(log, "target refused") || !strings.Contains(log, tc.reason) {
				t.Errorf("log lacks the refusal and %q:\n%s", tc.reason, log)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("loopback listener received %d requests", n)
	}
}

func TestTLSDelivery(t *testing.T) {
	handler, got := recorder(0)
	srv := httptest.NewTLSServer(handler)
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	h := newHarness(t, Config{AllowPrivate: true, TLSConfig: &tls.Config{RootCAs: pool}}).start(t)

	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL, Token: "tok", Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	r := wait(t, got)
	if r.header.Get("Authorization") != "Bearer tok" || string(r.body) != testBody {
		t.Errorf("got %v %q", r.header, r.body)
	}
	h.out.waitDeleted(t)
	h.wantCounts(t, 1, 1, 0, 0)
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.ReadAll(r.Body) // lets the server notice the client hanging up
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release) // before srv.Close, which waits for handlers
	h := newHarness(t, Config{AllowPrivate: true, Timeout: 50 * time.Millisecond, Retries: 1}).start(t)
	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL, Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	h.out.waitDeleted(t)
	// Counted on the sender's side: under load an attempt can time out before the handler runs.
	if n := hits.Load(); n < 1 || n > 2 {
		t.Errorf("listener got %d attempts, want 1 or 2", n)
	}
	h.wantCounts(t, 2, 0, 1, 0)
	if !strings.Contains(h.log.String(), "Timeout") {
		t.Errorf("log does not name the timeout:\n%s", h.log.String())
	}
}

func TestRecoveryDeliversLeftoverEntries(t *testing.T) {
	handler, got := recorder(0)
	srv := httptest.NewServer(handler)
	defer srv.Close()
	h := newHarness(t, Config{AllowPrivate: true, Workers: 1})

	// Left by an earlier run: two deliveries and one entry no version can read.
	old := []string{"whd_00000000000000010000000000000000", "whd_00000000000000020000000000000000"}
	for i, k := range old {
		d := Delivery{ID: "resp_" + string(rune('a'+i)), URL: srv.URL, Token: "t", Body: []byte(testBody)}
		if err := h.out.KVPut(OutboxNamespace, k, encodeRecord(nil, d), true); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.out.KVPut(OutboxNamespace, "whd_0", []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	// Enqueued before Start: Start's scan sees it in the outbox and must not queue it twice.
	if err := h.s.Enqueue(Delivery{ID: "resp_new", URL: srv.URL, Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	h.start(t)

	var ids []string
	for range 3 {
		ids = append(ids, wait(t, got).header.Get("Webhook-Id"))
	}
	for range 4 { // three deliveries and the unreadable entry
		h.out.waitDeleted(t)
	}
	if ks := h.out.keys(); len(ks) != 0 {
		t.Errorf("outbox still holds %q", ks)
	}
	if ids[1] != old[0] || ids[2] != old[1] {
		t.Errorf("delivery order %q: want the pre-Start enqueue, then the leftovers oldest first", ids)
	}
	select {
	case r := <-got:
		t.Errorf("a delivery arrived twice: %s", r.header.Get("Webhook-Id"))
	default:
	}
	h.wantCounts(t, 3, 3, 0, 0)
}

func TestCloseLeavesPendingForNextStart(t *testing.T) {
	entered := make(chan struct{}, 4)
	var block atomic.Bool
	block.Store(true)
	handler, got := recorder(0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if block.Load() {
			_, _ = io.ReadAll(r.Body) // lets the server notice the client hanging up
			entered <- struct{}{}
			<-r.Context().Done() // hang until the sender gives up on the attempt
			return
		}
		handler(w, r)
	}))
	defer srv.Close()

	first := newHarness(t, Config{AllowPrivate: true}).start(t)
	if err := first.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL, Body: []byte(testBody)}); err != nil {
		t.Fatal(err)
	}
	wait(t, entered)
	if err := first.s.Close(); err != nil { // aborts the attempt in flight
		t.Fatal(err)
	}
	keys := first.out.keys()
	if len(keys) != 1 {
		t.Fatalf("outbox after Close holds %q, want the pending delivery", keys)
	}
	first.wantCounts(t, 1, 0, 0, 0) // an aborted attempt is not a failure
	if err := first.s.Enqueue(Delivery{ID: "resp_2", URL: srv.URL, Body: []byte(testBody)}); err != nil {
		t.Fatalf("Enqueue after Close with an outbox: %v", err)
	}

	// A restart on the same outbox sends both, with the Webhook-Id the first attempt used.
	block.Store(false)
	second := newHarness(t, Config{AllowPrivate: true, Outbox: first.out, Workers: 1}).start(t)
	r := wait(t, got)
	if r.header.Get("Webhook-Id") != keys[0] {
		t.Errorf("redelivered with Webhook-Id %q, want %q", r.header.Get("Webhook-Id"), keys[0])
	}
	wait(t, got)
	first.out.waitDeleted(t)
	first.out.waitDeleted(t)
	second.wantCounts(t, 2, 2, 0, 0)
}

func TestEnqueueAfterCloseWithoutOutbox(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Enqueue(Delivery{URL: "https://hooks.example.com/"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close = %v, want ErrClosed", err)
	}
	if err := s.Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestOutboxWriteFailureStillDelivers(t *testing.T) {
	handler, got := recorder(0)
	srv := httptest.NewServer(handler)
	defer srv.Close()
	h := newHarness(t, Config{AllowPrivate: true}).start(t)
	h.out.putErr = errDiskFull
	if err := h.s.Enqueue(Delivery{ID: "resp_1", URL: srv.URL, Body: []byte(testBody)}); !errors.Is(err, errDiskFull) {
		t.Errorf("Enqueue = %v, want the outbox error", err)
	}
	if r := wait(t, got); string(r.body) != testBody {
		t.Errorf("body %q", r.body)
	}
}

func TestMetricsRegisterOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(Config{Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Registerer: reg}); err == nil {
		t.Error("a second Sender on the same registry registered duplicate metrics")
	}
}

func BenchmarkEnqueue(b *testing.B) {
	s, err := New(Config{Outbox: newFakeOutbox()})
	if err != nil {
		b.Fatal(err)
	}
	d := Delivery{ID: "resp_1", URL: "https://hooks.example.com/x", Token: "t", Body: []byte(testBody)}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Enqueue(d); err != nil {
			b.Fatal(err)
		}
	}
}
