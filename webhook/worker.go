package webhook

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxResponseBody is how much of a receiver's reply is read (and thrown away) so the connection
// can be reused; a receiver can't make the sender buffer or wait on more than this.
const maxResponseBody = 64 << 10

// statusError is a non-2xx reply. Redirects end up here too: they are never followed.
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("webhook: receiver replied %d", e.code) }

func newClient(cfg Config) *http.Client {
	g := newGuardedDialer(cfg.Timeout, cfg.Resolver, cfg.AllowPrivate)
	return &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would connect on our behalf, past the guard
			DialContext:            g.DialContext,
			TLSClientConfig:        cfg.TLSConfig,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    10 * time.Second,
			MaxIdleConns:           64,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        90 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (s *Sender) worker() {
	defer s.wg.Done()
	for {
		j := s.next()
		if j == nil {
			return
		}
		s.run(j)
	}
}

// next blocks until a job is queued or the sender closes (then it returns nil).
func (s *Sender) next() *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 && !s.closed {
		s.cond.Wait()
	}
	if s.closed {
		return nil
	}
	j := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	return j
}

// run makes one attempt and decides what happens next. A retry waits on a timer, not in the
// worker, so one slow receiver's backoff never holds up anyone else's delivery.
func (s *Sender) run(j *job) {
	err := s.post(j)
	j.attempts++
	s.m.attempts.Inc()
	if err != nil && s.ctx.Err() != nil {
		s.forget(j) // aborted by Close: it stays in the outbox for the next start
		return
	}
	if err == nil {
		s.finish(j, resultDelivered, nil)
		return
	}
	if _, refused := isRefused(err); refused {
		s.finish(j, resultRefused, err)
		return
	}
	if j.attempts > s.retries {
		s.finish(j, resultFailed, err)
		return
	}
	s.retryLater(j, err)
}

// post makes one delivery attempt.
func (s *Sender) post(j *job) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, j.d.URL, bytes.NewReader(j.d.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Webhook-Id", j.key)
	if j.d.Token != "" {
		req.Header.Set("Authorization", "Bearer "+j.d.Token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &statusError{code: resp.StatusCode}
	}
	return nil
}

func (s *Sender) retryLater(j *job, err error) {
	wait := j.bo.NextBackOff()
	s.log.Debug("webhook: attempt failed, retrying", s.logAttrs(j, err, "retry_in", wait)...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	// The callback takes s.mu, so it can't run before the timer is recorded below.
	s.timers[j] = time.AfterFunc(wait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.timers, j)
		if !s.closed {
			s.queue = append(s.queue, j)
			s.cond.Signal()
		}
	})
}

// finish records a final outcome and removes the delivery from the outbox. The removal comes
// last, so whoever sees the entry gone also sees the outcome counted and logged.
func (s *Sender) finish(j *job, result string, err error) {
	defer s.forget(j)
	defer s.deleteEntry(j.key)
	s.m.deliveries.WithLabelValues(result).Inc()
	switch result {
	case resultDelivered:
		s.log.Debug("webhook: delivered", s.logAttrs(j, nil)...)
	case resultRefused:
		s.log.Warn("webhook: target refused, not delivered", s.logAttrs(j, err)...)
	default:
		s.log.Warn("webhook: delivery failed, giving up", s.logAttrs(j, err)...)
	}
}

// deleteEntry removes a finished delivery. Not fsynced: if the removal is lost in a crash the
// delivery is simply sent again, which receivers already tolerate (at-least-once, Webhook-Id).
func (s *Sender) deleteEntry(key string) {
	if s.cfg.Outbox == nil {
		return
	}
	if err := s.cfg.Outbox.KVDelete(OutboxNamespace, key, false); err != nil {
		s.log.Error("webhook: removing outbox entry", "webhook_id", key, "error", err)
	}
}

func (s *Sender) forget(j *job) {
	s.mu.Lock()
	delete(s.known, j.key)
	s.mu.Unlock()
}

func (s *Sender) logAttrs(j *job, err error, extra ...any) []any {
	attrs := append([]any{
		"webhook_id", j.key,
		"object_id", j.d.ID,
		"url_host", j.host,
		"attempts", j.attempts,
	}, extra...)
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	return attrs
}
