package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sailshim/internal/testbin"
)

// binary is the sailshim binary built once for the whole package.
var binary string

func TestMain(m *testing.M) { testbin.Main(m, &binary) }

const (
	testKey  = "sk-e2e-test-key"
	otherKey = "sk-other-key" // a second valid key, for ownership checks
)

// proc is a running sailshim process.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	Addr string // host:port it listens on
	URL  string // http://host:port

	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

// start runs `sailshim <args…>` with JSON logs and waits for its "listening" line.
func start(t testing.TB, args ...string) *proc {
	t.Helper()
	args = append(args, "--log-format", "json", "--log-level", "debug")
	p := &proc{t: t, cmd: exec.Command(binary, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "SAILSHIM_CONFIG=")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.logs.Write(line)
			p.logs.WriteByte('\n')
			p.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
				select {
				case addrc <- rec.Addr:
				default:
				}
			}
		}
		_ = p.cmd.Wait()
	}()
	t.Cleanup(func() { p.Kill() })
	select {
	case p.Addr = <-addrc:
	case <-p.done:
		t.Fatalf("sailshim %s exited before listening:\n%s", strings.Join(args, " "), p.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("sailshim %s did not start listening in 60s:\n%s", strings.Join(args, " "), p.Logs())
	}
	p.URL = "http://" + p.Addr
	return p
}

// Logs returns everything the process wrote to stderr so far.
func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Kill ends the process with SIGKILL and waits for it.
func (p *proc) Kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// Stop ends the process with SIGTERM (a graceful shutdown) and waits for it.
func (p *proc) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
}

// startSim starts an engine simulator; extra args are sim flags.
func startSim(t testing.TB, extra ...string) *proc {
	return start(t, append([]string{"sim", "--listen", "127.0.0.1:0"}, extra...)...)
}

// startServe starts the proxy in front of the given upstream URLs with a fresh data dir unless
// one is passed with --data-dir.
func startServe(t testing.TB, upstreams []string, extra ...string) *proc {
	args := []string{"serve", "--listen", "127.0.0.1:0", "--api-key", testKey, "--api-key", otherKey, "--retry-backoff", "10ms"}
	hasDir := false
	for _, a := range extra {
		if a == "--data-dir" {
			hasDir = true
		}
	}
	if !hasDir {
		args = append(args, "--data-dir", t.TempDir())
	}
	for _, u := range upstreams {
		args = append(args, "--upstream", u)
	}
	return start(t, append(args, extra...)...)
}

// simFaults asks a simulator to fail, hang or slow its next requests.
func simFaults(t testing.TB, sim *proc, faults string) {
	t.Helper()
	resp, err := http.Post(sim.URL+"/sim/faults", "application/json", strings.NewReader(faults))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sim faults: status %d", resp.StatusCode)
	}
}

// rawResult is a raw HTTP reply.
type rawResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a raw request with the test key unless headers override Authorization.
func do(t testing.TB, method, url string, body string, headers ...string) rawResult {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testKey)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResult{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// envelope decodes an OpenAI error envelope.
type envelope struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func decodeEnvelope(t testing.TB, b []byte) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("not an error envelope: %s", b)
	}
	return e
}
