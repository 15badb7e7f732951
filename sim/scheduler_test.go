package sim

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

func TestServiceTime(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		running int
		tokens  int
		want    time.Duration
	}{
		{"no pacing", Config{}, 1, 100, 0},
		{"ttft only", Config{TTFT: 30 * time.Millisecond}, 5, 100, 30 * time.Millisecond},
		{"alone decodes at TokensPerSecond", Config{TokensPerSecond: 100}, 1, 50, 500 * time.Millisecond},
		{"knee+1 running halves the speed", Config{TokensPerSecond: 100, BatchKnee: 4}, 5, 50, time.Second},
		{"ttft plus decode", Config{TokensPerSecond: 10, TTFT: time.Second}, 1, 10, 2 * time.Second},
		{"zero tokens is just ttft", Config{TokensPerSecond: 10, TTFT: time.Second}, 1, 0, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg.withDefaults()
			if got := serviceTime(&cfg, tc.running, tc.tokens); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Aggregate throughput rises with the batch and stays under TokensPerSecond × BatchKnee.
	cfg := Config{TokensPerSecond: 100, BatchKnee: 8}.withDefaults()
	prev := 0.0
	for _, n := range []int{1, 2, 4, 8, 16, 64, 1024} {
		agg := float64(n) * 100 / serviceTime(&cfg, n, 100).Seconds()
		if agg <= prev || agg >= 800 {
			t.Errorf("batch %d: aggregate %.1f tok/s after %.1f", n, agg, prev)
		}
		prev = agg
	}
}

func TestSchedulerIsFIFO(t *testing.T) {
	sc := newScheduler(1, time.Now())
	changed := make(chan struct{}, 16)
	sc.onChange = func() { changed <- struct{}{} }
	m := &modelCounters{}
	if _, ok := sc.acquire(nil, m); !ok {
		t.Fatal("first acquire failed")
	}
	<-changed
	order := make(chan int, 3)
	for i := 0; i < 3; i++ {
		go func() {
			sc.acquire(nil, m)
			order <- i
			sc.release(m)
		}()
		<-changed // queued before the next one starts
	}
	if snap := sc.snapshot(time.Now()); snap.running != 1 || snap.waiting != 3 || m.waiting != 3 {
		t.Fatalf("snapshot %+v, model waiting %d", snap, m.waiting)
	}
	sc.release(m)
	for want := 0; want < 3; want++ {
		if got := <-order; got != want {
			t.Fatalf("admitted %d, want %d", got, want)
		}
	}
}

func TestQueueingWithOneSlot(t *testing.T) {
	s := New(Config{MaxConcurrency: 1, TTFT: time.Hour})
	changed := watch(s)
	statuses := make(chan int, 2)
	send := func(msg string) {
		go func() {
			status, _, _ := call(t, s, "POST", "/v1/chat/completions", chatBody("sim-1", msg, ""))
			statuses <- status
		}()
	}
	send("first")
	until(t, s, changed, "first request running", func(st Stats) bool { return st.Running == 1 })
	send("second")
	until(t, s, changed, "second request waiting", func(st Stats) bool { return st.Waiting == 1 })

	st := s.Stats()
	if st.Running != 1 || st.Models["sim-1"].Waiting != 1 || st.Completed != 0 {
		t.Errorf("stats %+v", st)
	}
	_, _, metrics := call(t, s, "GET", "/metrics", "")
	for _, want := range []string{
		`vllm:num_requests_running{model_name="sim-1"} 1`,
		`vllm:num_requests_waiting{model_name="sim-1"} 1`,
		`vllm:kv_cache_usage_perc{model_name="sim-1"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if status := <-statuses; status != 200 {
			t.Errorf("status %d after Shutdown, want 200", status)
		}
	}
	if st := s.Stats(); st.Completed != 2 || st.Running != 0 || st.Waiting != 0 || st.SlotSeconds <= 0 || st.BusySeconds <= 0 {
		t.Errorf("stats after Shutdown %+v", st)
	}
}

func TestPacingTakesTime(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		faults string
		msg    string
		least  time.Duration
	}{
		{"decode at TokensPerSecond", Config{TokensPerSecond: 1000}, "", "[sim:tokens=50]", 50 * time.Millisecond},
		{"slow directive multiplies", Config{TokensPerSecond: 1000, SlowFactor: 3}, "", "[sim:tokens=20] [sim:slow]", 60 * time.Millisecond},
		{"slow fault lasts at least slow_ms", Config{}, `{"slow_next":1,"slow_ms":40}`, "hi", 40 * time.Millisecond},
		{"delay directive works unpaced", Config{}, "", "[sim:delay=30ms]", 30 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.cfg)
			if tc.faults != "" {
				call(t, s, "POST", "/sim/faults", tc.faults)
			}
			start := time.Now()
			status, _, _ := call(t, s, "POST", "/v1/chat/completions", chatBody("sim-1", tc.msg, ""))
			if elapsed := time.Since(start); status != 200 || elapsed < tc.least {
				t.Errorf("status %d after %v, want 200 after at least %v", status, elapsed, tc.least)
			}
		})
	}
}

// startServer serves s on an in-memory listener; the test ends by shutting it down.
func startServer(t *testing.T, s *Server) (*fasthttputil.InmemoryListener, <-chan error) {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Shutdown() })
	return ln, served
}

func rawChat(t *testing.T, ln *fasthttputil.InmemoryListener, msg string) net.Conn {
	t.Helper()
	c, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	body := chatBody("sim-1", msg, "")
	req := "POST /v1/chat/completions HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHangReleasedWhenClientLeaves(t *testing.T) {
	s := New(Config{})
	changed := watch(s)
	ln, _ := startServer(t, s)
	call(t, s, "POST", "/sim/faults", `{"hang_next":1}`)

	c := rawChat(t, ln, "hello")
	until(t, s, changed, "request hung", func(st Stats) bool { return st.Hung == 1 })
	_ = c.Close()
	until(t, s, changed, "hang released", func(st Stats) bool { return st.Hung == 0 && st.Abandoned == 1 })

	// The engine still answers the next request.
	c2 := rawChat(t, ln, "hello again")
	defer c2.Close()
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("next request: %v %v", resp, err)
	}
}

func TestShutdownReleasesHangsWithoutAnswer(t *testing.T) {
	s := New(Config{})
	changed := watch(s)
	ln, served := startServer(t, s)

	c := rawChat(t, ln, "please [sim:hang]")
	defer c.Close()
	until(t, s, changed, "request hung", func(st Stats) bool { return st.Hung == 1 })
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if len(got) != 0 {
		t.Errorf("hung request got an answer: %q (%v)", got, err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after Shutdown, want nil", err)
	}
	if st := s.Stats(); st.Abandoned != 1 || st.Hung != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestShutdownAnswersPacedRequests(t *testing.T) {
	s := New(Config{TTFT: time.Hour})
	changed := watch(s)
	ln, served := startServer(t, s)
	client := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}

	done := make(chan int, 1)
	go func() {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.Header.SetMethod("POST")
		req.SetRequestURI("http://sim/v1/chat/completions")
		req.SetBodyString(chatBody("sim-1", "hello", ""))
		if err := client.Do(req, resp); err != nil {
			t.Error(err)
		}
		done <- resp.StatusCode()
	}()
	until(t, s, changed, "request running", func(st Stats) bool { return st.Running == 1 })
	_ = s.Shutdown()
	if status := <-done; status != 200 {
		t.Errorf("status %d", status)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if err := s.Serve(fasthttputil.NewInmemoryListener()); err != nil {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}
