package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatchBench100k is the 100,000-item batch benchmark behind docs/BENCHMARKS.md ("Batches").
// It is skipped unless SAILSHIM_BENCH_BATCH=1:
//
//	SAILSHIM_BENCH_BATCH=1 go test ./e2e -run TestBatchBench100k -v -timeout 30m
//
// SAILSHIM_BENCH_ITEMS (default 100000) and SAILSHIM_BENCH_ITEM_BYTES (default 1024, the size
// of each item's input text) change the batch; SAILSHIM_BENCH_SIM_ARGS replaces the simulator
// flags and SAILSHIM_BENCH_SERVE_ARGS adds serve flags (e.g. "--asap-reserve 4"). The defaults
// pin the engine model (--batch-knee 16) and reserve (--asap-reserve 1) the recorded figures were
// measured with, so later changes to either default leave them reproducible. The body is
// generated while it is sent (an io.Pipe), so the test itself never holds it.
// It reports: submit time (first byte sent → reply), serve's peak RSS (VmHWM) before and after,
// drain time (reply → batch completed), and the latency of asap chat requests sent by a few
// concurrent clients before the batch and during its drain.
func TestBatchBench100k(t *testing.T) {
	if os.Getenv("SAILSHIM_BENCH_BATCH") != "1" {
		t.Skip("set SAILSHIM_BENCH_BATCH=1 to run the 100,000-item batch benchmark")
	}
	items := envInt(t, "SAILSHIM_BENCH_ITEMS", 100000)
	itemBytes := envInt(t, "SAILSHIM_BENCH_ITEM_BYTES", 1024)
	simArgs := []string{"--max-concurrency", "64", "--tps", "1000", "--ttft", "5ms", "--batch-knee", "16"}
	if v := os.Getenv("SAILSHIM_BENCH_SIM_ARGS"); v != "" {
		simArgs = strings.Fields(v)
	}
	serveArgs := append([]string{"--log-level", "warn", "--asap-reserve", "1"}, strings.Fields(os.Getenv("SAILSHIM_BENCH_SERVE_ARGS"))...)
	sim := startSim(t, simArgs...)
	serve := startServe(t, []string{sim.URL}, serveArgs...)
	pid := serve.cmd.Process.Pid

	const asapClients = 4
	base := runAsap(t, serve.URL, asapClients, nil, 10*time.Second)
	rssIdle := vmHWM(t, pid)

	// Submit: the body streams from a generator through a pipe.
	pr, pw := io.Pipe()
	var sent atomic.Int64
	go func() { pw.CloseWithError(writeBenchBody(&countingWriter{w: pw, n: &sent}, items, itemBytes)) }()
	req, err := http.NewRequest("POST", serve.URL+"/v1/batches", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	submit := time.Since(start)
	if resp.StatusCode != 200 {
		t.Fatalf("submit: %d %s", resp.StatusCode, reply)
	}
	id := jsonField(t, reply, "id")
	rssSubmit := vmHWM(t, pid)

	// Drain, with asap traffic alongside until the batch completes.
	drained := make(chan struct{})
	var during asapResult
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		during = runAsap(t, serve.URL, asapClients, drained, 0)
	}()
	drainStart := time.Now()
	var maxRSS int64
	for {
		if r := vmHWM(t, pid); r > maxRSS {
			maxRSS = r
		}
		res := do(t, "GET", serve.URL+"/v1/batches?limit=1", "")
		var page []struct{ ID, Status string }
		if err := json.Unmarshal(res.Body, &page); err != nil || len(page) == 0 || page[0].ID != id {
			t.Fatalf("list: %s", res.Body)
		}
		if page[0].Status == "completed" {
			break
		}
		if time.Since(drainStart) > 25*time.Minute {
			t.Fatal("the batch did not drain in 25 minutes")
		}
		time.Sleep(250 * time.Millisecond) // a client's polling interval
	}
	drain := time.Since(drainStart)
	close(drained)
	wg.Wait()
	rssPeak := vmHWM(t, pid)

	// Every item completed once.
	full := do(t, "GET", serve.URL+"/v1/batches/"+id, "")
	sb := decodeSail(t, full.Body)
	done := 0
	for _, st := range sb.RequestStatus {
		if st.Status == "COMPLETED" {
			done++
		}
	}
	engine := simStats(t, sim) - base.n - during.n
	if done != items || engine != items {
		t.Fatalf("%d of %d items completed; the engine ran %d batch requests", done, items, engine)
	}

	mb := func(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
	t.Logf("simulator: %s; serve: %s", strings.Join(simArgs, " "), strings.Join(serveArgs, " "))
	t.Logf("batch: %d items, body %s (%d B per item input)", items, mb(sent.Load()), itemBytes)
	t.Logf("submit: %s (%.0f MB/s, %.0f items/s ingested)", submit.Round(time.Millisecond),
		float64(sent.Load())/(1<<20)/submit.Seconds(), float64(items)/submit.Seconds())
	t.Logf("drain: %s (%.0f items/s)", drain.Round(time.Millisecond), float64(items)/drain.Seconds())
	t.Logf("serve VmHWM: idle %s, after submit %s, after drain %s (body × 2 = %s)", mb(rssIdle), mb(rssSubmit), mb(rssPeak), mb(2*sent.Load()))
	t.Logf("asap latency, %d clients: before p50 %s p99 %s (%d req); during drain p50 %s p99 %s (%d req)", asapClients,
		base.p(50), base.p(99), base.n, during.p(50), during.p(99), during.n)
	// The bar is "far below body size × 2"; hold it to below the body size itself. Small
	// runs are dominated by the fixed footprint (Pebble's memtables and block cache, the LRU).
	if sent.Load() > 64<<20 && rssPeak > sent.Load() {
		t.Errorf("peak RSS %s is not far below the body size %s", mb(rssPeak), mb(sent.Load()))
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// writeBenchBody writes a Sail batch of n items, each with about size bytes of input text.
func writeBenchBody(w io.Writer, n, size int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	filler := strings.Repeat("lorem ipsum ", size/12+1)[:size]
	bw.WriteString(`{"endpoint":"/v1/responses","label":"bench","requests":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `{"custom_id":"bench-%d","params":{"model":"sim-1","max_output_tokens":16,"input":"%d %s"}}`, i, i, filler)
	}
	bw.WriteString("]}")
	return bw.Flush()
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// vmHWM reads a process's peak resident set size in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("VmHWM:")); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(v)), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

type asapResult struct {
	n    int
	lats []time.Duration
}

func (r asapResult) p(q int) time.Duration {
	if len(r.lats) == 0 {
		return 0
	}
	i := (len(r.lats)*q + 99) / 100
	return r.lats[min(max(i-1, 0), len(r.lats)-1)].Round(100 * time.Microsecond)
}

// runAsap sends asap chat requests from clients goroutines, each one after the other, until stop
// is closed or for d, and returns their sorted latencies.
func runAsap(t *testing.T, base string, clients int, stop <-chan struct{}, d time.Duration) asapResult {
	body := `{"model":"sim-1","max_completion_tokens":16,"messages":[{"role":"user","content":"asap probe"}],"metadata":{"completion_window":"asap"}}`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var mu sync.Mutex
	var res asapResult
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testKey)
				req.Header.Set("Content-Type", "application/json")
				st := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat := time.Since(st)
				if resp.StatusCode != 200 {
					t.Errorf("asap request: %d", resp.StatusCode)
					return
				}
				mu.Lock()
				res.n++
				res.lats = append(res.lats, lat)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(res.lats)
	return res
}
