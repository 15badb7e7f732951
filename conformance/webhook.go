package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// hookSink receives completion webhooks for the webhook cases: each case gets a URL of its own
// and waits for the POST that arrives there.
type hookSink struct {
	ln   net.Listener
	srv  *http.Server
	base string

	mu      sync.Mutex
	waiting map[string]chan delivery
}

// delivery is one webhook POST as received.
type delivery struct {
	Header http.Header
	Body   []byte
}

func startHookSink(listen, publicURL string) (*hookSink, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	h := &hookSink{ln: ln, waiting: map[string]chan delivery{}, base: strings.TrimRight(publicURL, "/")}
	if h.base == "" {
		h.base = "http://" + ln.Addr().String()
	}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *hookSink) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxReply))
	name := strings.TrimPrefix(r.URL.Path, "/hook/")
	h.mu.Lock()
	ch := h.waiting[name]
	h.mu.Unlock()
	if ch == nil || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	select {
	case ch <- delivery{Header: r.Header.Clone(), Body: body}:
	default: // a retry of a delivery already seen
	}
	w.WriteHeader(http.StatusNoContent)
}

// expect returns a fresh URL and the channel its first delivery arrives on; done forgets it.
func (h *hookSink) expect() (url string, got <-chan delivery, done func()) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	name := hex.EncodeToString(b[:])
	ch := make(chan delivery, 1)
	h.mu.Lock()
	h.waiting[name] = ch
	h.mu.Unlock()
	return h.base + "/hook/" + name, ch, func() {
		h.mu.Lock()
		delete(h.waiting, name)
		h.mu.Unlock()
	}
}

// wait returns the delivery or the context's end.
func (h *hookSink) wait(ctx context.Context, got <-chan delivery) (delivery, error) {
	select {
	case d := <-got:
		return d, nil
	case <-ctx.Done():
		return delivery{}, errorf("no webhook POST arrived at %s (does the server refuse this address? see --webhook-url): %w", h.base, errTimeout)
	}
}

func (h *hookSink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
}
