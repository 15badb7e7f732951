package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// sailBody is a Sail batch body with n items whose params come from item(i).
func sailBody(endpoint, extra string, n int, item func(i int) string) string {
	var b strings.Builder
	b.WriteString(`{"endpoint":"` + endpoint + `"` + extra + `,"requests":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"custom_id":"item-%d","params":%s}`, i, item(i))
	}
	b.WriteString("]}")
	return b.String()
}

func respItem(text string) func(int) string {
	return func(i int) string {
		return `{"model":"sim-1","input":"` + text + ` ` + strconv.Itoa(i) + `"}`
	}
}

// sailBatch is Sail's batch object as GET /v1/batches/{id} returns it.
type sailBatch struct {
	ID            string                             `json:"id"`
	Status        string                             `json:"status"`
	RequestCounts int                                `json:"request_counts"`
	CreatedAt     int64                              `json:"created_at"`
	Label         *string                            `json:"label"`
	RequestStatus map[string]struct{ Status string } `json:"request_status"`
}

func decodeSail(t testing.TB, b []byte) sailBatch {
	t.Helper()
	var sb sailBatch
	if err := json.Unmarshal(b, &sb); err != nil {
		t.Fatalf("not a batch object: %v: %.500s", err, b)
	}
	return sb
}

// waitSailBatch polls GET /v1/batches/{id} (as a client would) until the batch is finished.
func waitSailBatch(t testing.TB, base, id string, timeout time.Duration) sailBatch {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res := do(t, "GET", base+"/v1/batches/"+id, "")
		if res.Status != 200 {
			t.Fatalf("GET batch: %d %s", res.Status, res.Body)
		}
		sb := decodeSail(t, res.Body)
		if sb.Status == "completed" || sb.Status == "cancelled" {
			return sb
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s still %s after %s", id, sb.Status, timeout)
		}
		time.Sleep(50 * time.Millisecond) // a client's polling interval, not synchronisation
	}
}

func TestBatchSail(t *testing.T) {
	s := newStack(t, "--webhook-allow-private", "--webhook-backoff", "10ms")
	base := s.serve.URL

	t.Run("three items: create, poll, fetch each item", func(t *testing.T) {
		res := do(t, "POST", base+"/v1/batches", sailBody("/v1/responses", `,"label":"e2e-three_1"`, 3, respItem("hello")))
		if res.Status != 200 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		created := decodeSail(t, res.Body)
		if !strings.HasPrefix(created.ID, "batch_") || created.RequestCounts != 3 || created.Label == nil ||
			*created.Label != "e2e-three_1" || time.Since(time.Unix(created.CreatedAt, 0)).Abs() > time.Minute {
			t.Fatalf("create reply: %s", res.Body)
		}
		done := waitSailBatch(t, base, created.ID, 30*time.Second)
		if len(done.RequestStatus) != 3 {
			t.Fatalf("request_status: %+v", done.RequestStatus)
		}
		for i := 0; i < 3; i++ {
			cid := "item-" + strconv.Itoa(i)
			if st := done.RequestStatus[cid].Status; st != "COMPLETED" {
				t.Fatalf("%s: %q", cid, st)
			}
			item := do(t, "GET", base+"/v1/batches/"+created.ID+"/"+cid, "")
			var obj struct {
				ID, Object, Status string
				Output             []struct {
					Content []struct{ Text string }
				}
			}
			if item.Status != 200 || json.Unmarshal(item.Body, &obj) != nil || obj.Object != "response" ||
				obj.Status != "completed" || len(obj.Output) == 0 || obj.Output[0].Content[0].Text == "" {
				t.Fatalf("item %s: %d %s", cid, item.Status, item.Body)
			}
			// Each item's response is stored like any response.
			again := do(t, "GET", base+"/v1/responses/"+obj.ID, "")
			if again.Status != 200 || jsonField(t, again.Body, "status") != "completed" {
				t.Fatalf("GET /v1/responses/%s: %d %s", obj.ID, again.Status, again.Body)
			}
		}
		if r := do(t, "GET", base+"/v1/batches/"+created.ID+"/no-such-item", ""); r.Status != 404 {
			t.Fatalf("unknown custom_id: %d %s", r.Status, r.Body)
		}
	})

	t.Run("an invalid item refuses the whole batch", func(t *testing.T) {
		before := simStats(t, s.sim)
		listBefore := do(t, "GET", base+"/v1/batches?limit=200", "")
		body := sailBody("/v1/responses", "", 20, func(i int) string {
			if i == 17 {
				return `{"model":"sim-1","input":"x","stream":true}`
			}
			return respItem("fine")(i)
		})
		res := do(t, "POST", base+"/v1/batches", body)
		e := decodeEnvelope(t, res.Body)
		if res.Status != 400 || e.Error.Param == nil || *e.Error.Param != "requests[17].params.stream" {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		cases := []struct{ name, body, param string }{
			{"asap item", sailBody("/v1/responses", "", 2, func(i int) string {
				return `{"model":"sim-1","input":"x","metadata":{"completion_window":"asap"}}`
			}), "requests[0].params.metadata.completion_window"},
			{"duplicate custom_id", `{"endpoint":"/v1/responses","requests":[{"custom_id":"a","params":{"model":"sim-1","input":"x"}},{"custom_id":"a","params":{"model":"sim-1","input":"y"}}]}`, "requests[1].custom_id"},
			{"bad label", sailBody("/v1/responses", `,"label":"no spaces"`, 1, respItem("x")), "label"},
			{"no items", `{"endpoint":"/v1/responses","requests":[]}`, "requests"},
			{"bad endpoint", sailBody("/v1/embeddings", "", 1, respItem("x")), "endpoint"},
		}
		for _, c := range cases {
			res := do(t, "POST", base+"/v1/batches", c.body)
			e := decodeEnvelope(t, res.Body)
			if res.Status != 400 || e.Error.Param == nil || *e.Error.Param != c.param {
				t.Fatalf("%s: %d %s", c.name, res.Status, res.Body)
			}
		}
		if after := simStats(t, s.sim); after != before {
			t.Fatalf("refused batches reached the engine: %d → %d requests", before, after)
		}
		if listAfter := do(t, "GET", base+"/v1/batches?limit=200", ""); string(listAfter.Body) != string(listBefore.Body) {
			t.Fatalf("a refused batch was listed:\n%s\n%s", listBefore.Body, listAfter.Body)
		}
	})

	t.Run("Idempotency-Key replays the batch", func(t *testing.T) {
		body := sailBody("/v1/responses", "", 2, respItem("idem"))
		first := do(t, "POST", base+"/v1/batches", body, "Idempotency-Key", "batch-key-1")
		id := jsonField(t, first.Body, "id")
		waitSailBatch(t, base, id, 30*time.Second)
		n := simStats(t, s.sim)
		again := do(t, "POST", base+"/v1/batches", body, "Idempotency-Key", "batch-key-1")
		if again.Status != 200 || jsonField(t, again.Body, "id") != id || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s", again.Status, again.Body)
		}
		other := do(t, "POST", base+"/v1/batches", sailBody("/v1/responses", "", 3, respItem("idem")), "Idempotency-Key", "batch-key-1")
		if e := decodeEnvelope(t, other.Body); other.Status != 400 || e.Error.Type != "idempotency_error" {
			t.Fatalf("different body, same key: %d %s", other.Status, other.Body)
		}
		if got := simStats(t, s.sim); got != n {
			t.Fatalf("a replay ran items again: %d → %d engine requests", n, got)
		}
		// The same key under another API key is another reservation.
		mine := do(t, "POST", base+"/v1/batches", body, "Idempotency-Key", "batch-key-1", "Authorization", "Bearer "+otherKey)
		if mine.Status != 200 || jsonField(t, mine.Body, "id") == id {
			t.Fatalf("other key: %d %s", mine.Status, mine.Body)
		}
	})

	t.Run("another key sees 404", func(t *testing.T) {
		res := do(t, "POST", base+"/v1/batches", sailBody("/v1/responses", "", 1, respItem("mine")))
		id := jsonField(t, res.Body, "id")
		waitSailBatch(t, base, id, 30*time.Second)
		for _, p := range []string{"/v1/batches/" + id, "/v1/batches/" + id + "/item-0"} {
			if r := do(t, "GET", base+p, "", "Authorization", "Bearer "+otherKey); r.Status != 404 {
				t.Fatalf("%s with another key: %d %s", p, r.Status, r.Body)
			}
		}
		if r := do(t, "POST", base+"/v1/batches/"+id+"/cancel", "", "Authorization", "Bearer "+otherKey); r.Status != 404 {
			t.Fatalf("cancel with another key: %d %s", r.Status, r.Body)
		}
		list := do(t, "GET", base+"/v1/batches?limit=200", "", "Authorization", "Bearer "+otherKey)
		if strings.Contains(string(list.Body), id) {
			t.Fatalf("another key lists %s: %s", id, list.Body)
		}
	})

	t.Run("list newest first", func(t *testing.T) {
		var ids []string
		for i := 0; i < 3; i++ {
			res := do(t, "POST", base+"/v1/batches", sailBody("/v1/responses", "", 1, respItem("list")))
			ids = append(ids, jsonField(t, res.Body, "id"))
		}
		res := do(t, "GET", base+"/v1/batches?limit=2", "")
		var page []sailBatch
		if err := json.Unmarshal(res.Body, &page); err != nil || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
			t.Fatalf("first page: %s", res.Body)
		}
		res = do(t, "GET", base+"/v1/batches?limit=1&after_id="+ids[1], "")
		if err := json.Unmarshal(res.Body, &page); err != nil || len(page) != 1 || page[0].ID != ids[0] {
			t.Fatalf("after_id page: %s", res.Body)
		}
		res = do(t, "GET", base+"/v1/batches?before_id="+ids[0], "")
		if err := json.Unmarshal(res.Body, &page); err != nil || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
			t.Fatalf("before_id page: %s", res.Body)
		}
	})

	t.Run("chat completions endpoint (extension)", func(t *testing.T) {
		res := do(t, "POST", base+"/v1/batches", sailBody("/v1/chat/completions", "", 2, func(i int) string {
			return `{"model":"sim-1","messages":[{"role":"user","content":"chat ` + strconv.Itoa(i) + `"}]}`
		}))
		if res.Status != 200 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		id := jsonField(t, res.Body, "id")
		waitSailBatch(t, base, id, 30*time.Second)
		item := do(t, "GET", base+"/v1/batches/"+id+"/item-1", "")
		var c openai.ChatCompletion
		if err := json.Unmarshal(item.Body, &c); err != nil || c.Object != "chat.completion" || c.Choices[0].Message.Content == "" {
			t.Fatalf("item: %s", item.Body)
		}
	})

	t.Run("completion webhooks of the batch and of an item", func(t *testing.T) {
		ok, hooks := listener(t, 200)
		meta := `,"metadata":{"completion_webhook":"` + ok.URL + `","webhook_token":"batch-tok"}`
		body := sailBody("/v1/responses", meta, 2, func(i int) string {
			if i == 1 {
				return `{"model":"sim-1","input":"hooked","metadata":{"completion_webhook":"` + ok.URL + `/item"}}`
			}
			return respItem("plain")(i)
		})
		res := do(t, "POST", base+"/v1/batches", body)
		id := jsonField(t, res.Body, "id")
		got := map[string]hook{}
		for len(got) < 2 {
			h := receive(t, hooks)
			got[jsonField(t, h.Body, "object")] = h
		}
		bh, ih := got["batch"], got["response"]
		if bh.Auth != "Bearer batch-tok" || jsonField(t, bh.Body, "id") != id || jsonField(t, bh.Body, "status") != "completed" {
			t.Fatalf("batch webhook: %+v %s", bh, bh.Body)
		}
		if jsonField(t, ih.Body, "status") != "completed" {
			t.Fatalf("item webhook: %s", ih.Body)
		}
	})
}

// jsonl builds a batch input file of n chat requests.
func jsonl(n int, url string, body func(i int) string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"custom_id":"req-%d","method":"POST","url":"%s","body":%s}`+"\n", i, url, body(i))
	}
	return b.String()
}

func chatLine(text string) func(int) string {
	return func(i int) string {
		return `{"model":"sim-1","messages":[{"role":"user","content":"` + text + ` ` + strconv.Itoa(i) + `"}]}`
	}
}

// outputLine is one line of an OpenAI batch output or error file.
type outputLine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// fileLines downloads a file with the SDK and decodes each line.
func fileLines(t testing.TB, c openai.Client, id string) []outputLine {
	t.Helper()
	if id == "" {
		return nil
	}
	resp, err := c.Files.Content(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []outputLine
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l outputLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil || l.ID == "" || l.CustomID == "" || (l.Response == nil && l.Error == nil) {
			t.Fatalf("line %d of %s is not in OpenAI's format (%v): %s", len(out)+1, id, err, sc.Text())
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitOpenAIBatch polls Batches.Get until the batch reaches a final status.
func waitOpenAIBatch(t testing.TB, c openai.Client, id string, timeout time.Duration) *openai.Batch {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := c.Batches.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		switch b.Status {
		case openai.BatchStatusCompleted, openai.BatchStatusFailed, openai.BatchStatusExpired, openai.BatchStatusCancelled:
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s still %s after %s", id, b.Status, timeout)
		}
		time.Sleep(50 * time.Millisecond) // a client's polling interval, not synchronisation
	}
}

func uploadJSONL(t testing.TB, c openai.Client, content string) *openai.FileObject {
	t.Helper()
	f, err := c.Files.New(context.Background(), openai.FileNewParams{
		File: openai.File(strings.NewReader(content), "batch.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBatchOpenAI(t *testing.T) {
	s := newStack(t)
	c := s.client
	ctx := context.Background()

	t.Run("files, batch, polling, output file", func(t *testing.T) {
		content := jsonl(3, "/v1/chat/completions", chatLine("hello"))
		f := uploadJSONL(t, c, content)
		if f.Purpose != "batch" || f.Bytes != int64(len(content)) || f.Filename != "batch.jsonl" {
			t.Fatalf("file: %s", f.RawJSON())
		}
		if got, err := c.Files.Get(ctx, f.ID); err != nil || got.ID != f.ID {
			t.Fatalf("Files.Get: %v", err)
		}
		in, err := c.Files.Content(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var raw strings.Builder
		_, _ = bufio.NewReader(in.Body).WriteTo(&raw)
		in.Body.Close()
		if raw.String() != content {
			t.Fatalf("content differs:\n%s", raw.String())
		}

		b, err := c.Batches.New(ctx, openai.BatchNewParams{
			InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
			CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
			Metadata:         map[string]string{"job": "e2e"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if b.Object != "batch" || b.InputFileID != f.ID || b.Status != openai.BatchStatusValidating || b.Metadata["job"] != "e2e" {
			t.Fatalf("created: %s", b.RawJSON())
		}
		done := waitOpenAIBatch(t, c, b.ID, 30*time.Second)
		if done.Status != openai.BatchStatusCompleted || done.RequestCounts.Total != 3 || done.RequestCounts.Completed != 3 || done.RequestCounts.Failed != 0 ||
			done.OutputFileID == "" || done.ErrorFileID != "" || done.CompletedAt == 0 || done.FinalizingAt == 0 {
			t.Fatalf("finished: %s", done.RawJSON())
		}
		lines := fileLines(t, c, done.OutputFileID)
		if len(lines) != 3 {
			t.Fatalf("%d output lines", len(lines))
		}
		for i, l := range lines {
			var cc openai.ChatCompletion
			if l.CustomID != "req-"+strconv.Itoa(i) || l.Error != nil || l.Response.StatusCode != 200 ||
				json.Unmarshal(l.Response.Body, &cc) != nil || cc.Choices[0].Message.Content == "" || l.Response.RequestID != cc.ID {
				t.Fatalf("line %d: %+v %s", i+1, l, l.Response.Body)
			}
		}
		list, err := c.Batches.List(ctx, openai.BatchListParams{})
		if err != nil || len(list.Data) == 0 || list.Data[0].ID != b.ID {
			t.Fatalf("Batches.List: %v %+v", err, list)
		}
		files, err := c.Files.List(ctx, openai.FileListParams{})
		if err != nil || len(files.Data) < 2 {
			t.Fatalf("Files.List: %v %+v", err, files)
		}
		if d, err := c.Files.Delete(ctx, f.ID); err != nil || !d.Deleted {
			t.Fatalf("Files.Delete: %v", err)
		}
		if _, err := c.Files.Get(ctx, f.ID); apiError(t, err).StatusCode != 404 {
			t.Fatal("deleted file still there")
		}
		// The batch keeps its own copy of the requests: still readable after the input is gone.
		if again, err := c.Batches.Get(ctx, b.ID); err != nil || again.Status != openai.BatchStatusCompleted {
			t.Fatalf("batch after deleting its input: %v", err)
		}
	})

	t.Run("responses endpoint", func(t *testing.T) {
		f := uploadJSONL(t, c, jsonl(2, "/v1/responses", func(i int) string {
			return `{"model":"sim-1","input":"resp ` + strconv.Itoa(i) + `","max_output_tokens":32}`
		}))
		b, err := c.Batches.New(ctx, openai.BatchNewParams{
			InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1Responses,
			CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
		})
		if err != nil {
			t.Fatal(err)
		}
		done := waitOpenAIBatch(t, c, b.ID, 30*time.Second)
		lines := fileLines(t, c, done.OutputFileID)
		if done.Status != openai.BatchStatusCompleted || len(lines) != 2 {
			t.Fatalf("%d lines: %s", len(lines), done.RawJSON())
		}
		for _, l := range lines {
			var r responses.Response
			if err := json.Unmarshal(l.Response.Body, &r); err != nil || r.Status != "completed" || r.OutputText() == "" || r.ID != l.Response.RequestID {
				t.Fatalf("line %s: %s", l.CustomID, l.Response.Body)
			}
			// The item's response is stored like any response.
			if got, err := c.Responses.Get(ctx, r.ID, responses.ResponseGetParams{}); err != nil || got.OutputText() != r.OutputText() {
				t.Fatalf("Responses.Get(%s): %v", r.ID, err)
			}
		}
	})

	t.Run("a bad line is a 400 naming the line", func(t *testing.T) {
		content := jsonl(2, "/v1/chat/completions", chatLine("ok")) +
			`{"custom_id":"bad","method":"POST","url":"/v1/chat/completions","body":{"model":"sim-1","messages":[{"role":"user","content":"x"}],"stream":true}}` + "\n"
		_, err := c.Files.New(ctx, openai.FileNewParams{
			File: openai.File(strings.NewReader(content), "bad.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch,
		})
		ae := apiError(t, err)
		if ae.StatusCode != 400 || !strings.Contains(ae.Message, "Line 3") || !strings.Contains(ae.Param, "stream") {
			t.Fatalf("%d param %q: %s", ae.StatusCode, ae.Param, ae.Message)
		}
		_, err = c.Files.New(ctx, openai.FileNewParams{
			File: openai.File(strings.NewReader("{\"custom_id\":\"a\"}\n"), "bad.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch,
		})
		if ae := apiError(t, err); ae.StatusCode != 400 || !strings.Contains(ae.Message, "Line 1") {
			t.Fatalf("%d: %s", ae.StatusCode, ae.Message)
		}
	})

	t.Run("a retried upload with an Idempotency-Key stores one file", func(t *testing.T) {
		content := jsonl(2, "/v1/chat/completions", chatLine("idem"))
		var ids []string
		for range 2 { // two requests, each with its own multipart boundary
			f, err := c.Files.New(ctx, openai.FileNewParams{
				File: openai.File(strings.NewReader(content), "idem.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch,
			}, option.WithHeader("Idempotency-Key", "upload-idem-1"))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, f.ID)
		}
		if ids[0] != ids[1] {
			t.Fatalf("the retry stored another file: %v", ids)
		}
	})

	t.Run("another key sees 404", func(t *testing.T) {
		f := uploadJSONL(t, c, jsonl(1, "/v1/chat/completions", chatLine("mine")))
		b, err := c.Batches.New(ctx, openai.BatchNewParams{
			InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
			CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
		})
		if err != nil {
			t.Fatal(err)
		}
		other := newClient(s.serve, option.WithAPIKey(otherKey))
		if _, err := other.Files.Get(ctx, f.ID); apiError(t, err).StatusCode != 404 {
			t.Fatal("another key read the file")
		}
		if _, err := other.Files.Content(ctx, f.ID); apiError(t, err).StatusCode != 404 {
			t.Fatal("another key read the file's content")
		}
		if _, err := other.Batches.Get(ctx, b.ID); apiError(t, err).StatusCode != 404 {
			t.Fatal("another key read the batch")
		}
		if _, err := other.Batches.New(ctx, openai.BatchNewParams{
			InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
			CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
		}); apiError(t, err).StatusCode != 404 {
			t.Fatal("another key made a batch of the file")
		}
		waitOpenAIBatch(t, c, b.ID, 30*time.Second)
	})
}

// simCounts reads the simulator's request and hung counters.
func simCounts(t testing.TB, sim *proc) (requests, hung int) {
	t.Helper()
	resp, err := http.Get(sim.URL + "/sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Requests, Hung int }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Requests, st.Hung
}

// TestBatchThousand: a 1,000-item batch in each shape completes with every custom_id exactly once.
func TestBatchThousand(t *testing.T) {
	const n = 1000
	s := newStack(t)

	t.Run("sail", func(t *testing.T) {
		before := simStats(t, s.sim)
		res := do(t, "POST", s.serve.URL+"/v1/batches", sailBody("/v1/responses", "", n, respItem("thousand")))
		if res.Status != 200 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		done := waitSailBatch(t, s.serve.URL, jsonField(t, res.Body, "id"), 60*time.Second)
		if len(done.RequestStatus) != n {
			t.Fatalf("request_status holds %d items", len(done.RequestStatus))
		}
		for i := 0; i < n; i++ {
			if st := done.RequestStatus["item-"+strconv.Itoa(i)].Status; st != "COMPLETED" {
				t.Fatalf("item-%d: %q", i, st)
			}
		}
		if ran := simStats(t, s.sim) - before; ran != n {
			t.Fatalf("the engine ran %d requests for %d items", ran, n)
		}
	})

	t.Run("openai", func(t *testing.T) {
		before := simStats(t, s.sim)
		f := uploadJSONL(t, s.client, jsonl(n, "/v1/chat/completions", chatLine("thousand")))
		b, err := s.client.Batches.New(context.Background(), openai.BatchNewParams{
			InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
			CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
		})
		if err != nil {
			t.Fatal(err)
		}
		done := waitOpenAIBatch(t, s.client, b.ID, 60*time.Second)
		if done.Status != openai.BatchStatusCompleted || done.RequestCounts.Completed != n || done.ErrorFileID != "" {
			t.Fatalf("%s", done.RawJSON())
		}
		seen := map[string]bool{}
		for _, l := range fileLines(t, s.client, done.OutputFileID) {
			if seen[l.CustomID] || l.Response == nil || l.Response.StatusCode != 200 {
				t.Fatalf("line for %s: duplicate or failed", l.CustomID)
			}
			seen[l.CustomID] = true
		}
		for i := 0; i < n; i++ {
			if !seen["req-"+strconv.Itoa(i)] {
				t.Fatalf("req-%d missing from the output (%d lines)", i, len(seen))
			}
		}
		if ran := simStats(t, s.sim) - before; ran != n {
			t.Fatalf("the engine ran %d requests for %d items", ran, n)
		}
	})
}

// TestBatchCancel cancels an OpenAI-shape batch mid-run: its first items have completed, the
// next two hang in the engine (two batch workers), the rest wait. Cancel answers "cancelling",
// the batch ends "cancelled", completed items keep their output and the others are in the
// error file.
func TestBatchCancel(t *testing.T) {
	const n, quick, workers = 300, 10, 2
	s := newStack(t, "--batch-workers", strconv.Itoa(workers))
	ctx := context.Background()
	f := uploadJSONL(t, s.client, jsonl(n, "/v1/chat/completions", func(i int) string {
		if i < quick {
			return chatLine("quick")(i)
		}
		return chatLine("[sim:hang]")(i)
	}))
	b, err := s.client.Batches.New(ctx, openai.BatchNewParams{
		InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
		CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := s.client.Batches.Get(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, hung := simCounts(t, s.sim); got.RequestCounts.Completed == quick && hung == workers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the batch never reached mid-run: %s", got.RawJSON())
		}
		time.Sleep(20 * time.Millisecond) // a client's polling interval
	}
	c, err := s.client.Batches.Cancel(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != openai.BatchStatusCancelling || c.CancellingAt == 0 {
		t.Fatalf("cancel answered %s", c.RawJSON())
	}
	done := waitOpenAIBatch(t, s.client, b.ID, 30*time.Second)
	if done.Status != openai.BatchStatusCancelled || done.CancelledAt == 0 || done.RequestCounts.Completed != quick {
		t.Fatalf("after cancel: %s", done.RawJSON())
	}
	if sent := simStats(t, s.sim); sent != quick+workers {
		t.Fatalf("the engine saw %d requests, want %d: the cancelled items must not run", sent, quick+workers)
	}
	out := fileLines(t, s.client, done.OutputFileID)
	errs := fileLines(t, s.client, done.ErrorFileID)
	if len(out) != quick || len(errs) != n-quick {
		t.Fatalf("%d output and %d error lines", len(out), len(errs))
	}
	for _, l := range errs {
		if l.Error == nil || l.Error.Code != "batch_cancelled" {
			t.Fatalf("error line for %s: %+v", l.CustomID, l)
		}
	}
	if _, err := s.client.Batches.Cancel(ctx, b.ID); err != nil {
		t.Fatalf("cancelling a cancelled batch again: %v", err)
	}
}

// TestBatchSurvivesSIGKILL kills sailshim while items of both shapes are in flight, restarts it
// on the same data directory and checks both batches complete with every item exactly once:
// the engine may see again only the items that were unfinished at the kill.
func TestBatchSurvivesSIGKILL(t *testing.T) {
	const n = 150
	sim := startSim(t, "--ttft", "100ms", "--max-concurrency", "8")
	dir := t.TempDir()
	serve := startServe(t, []string{sim.URL}, "--data-dir", dir, "--refresh-every", "100ms")
	client := newClient(serve)
	ctx := context.Background()

	res := do(t, "POST", serve.URL+"/v1/batches", sailBody("/v1/responses", "", n, respItem("durable")))
	sailID := jsonField(t, res.Body, "id")
	f := uploadJSONL(t, client, jsonl(n, "/v1/chat/completions", chatLine("durable")))
	ob, err := client.Batches.New(ctx, openai.BatchNewParams{
		InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
		CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitSim(t, sim, "a third of the items sent", func(_, _, requests int) bool { return requests >= 2*n/3 })
	finished := 0
	for _, st := range decodeSail(t, do(t, "GET", serve.URL+"/v1/batches/"+sailID, "").Body).RequestStatus {
		if st.Status == "COMPLETED" {
			finished++
		}
	}
	got, err := client.Batches.Get(ctx, ob.ID)
	if err != nil {
		t.Fatal(err)
	}
	finished += int(got.RequestCounts.Completed)
	serve.Kill()
	sentBeforeKill := simStats(t, sim)
	if finished >= 2*n {
		t.Fatal("the batches finished before the kill; nothing was in flight")
	}

	serve2 := startServe(t, []string{sim.URL}, "--data-dir", dir, "--refresh-every", "100ms")
	client2 := newClient(serve2)
	sb := waitSailBatch(t, serve2.URL, sailID, 60*time.Second)
	for i := 0; i < n; i++ {
		if st := sb.RequestStatus["item-"+strconv.Itoa(i)].Status; st != "COMPLETED" {
			t.Fatalf("sail item-%d after restart: %q", i, st)
		}
	}
	done := waitOpenAIBatch(t, client2, ob.ID, 60*time.Second)
	lines := fileLines(t, client2, done.OutputFileID)
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l.CustomID] {
			t.Fatalf("%s twice in the output", l.CustomID)
		}
		seen[l.CustomID] = true
	}
	if done.Status != openai.BatchStatusCompleted || len(seen) != n || done.RequestCounts.Completed != n {
		t.Fatalf("openai batch after restart: %d lines, %s", len(lines), done.RawJSON())
	}
	total := simStats(t, sim)
	rerun := total - 2*n
	if inflight := sentBeforeKill - finished; rerun > inflight {
		t.Fatalf("%d items ran twice, but at most %d were unfinished in flight at the kill (%d sent, %d finished)",
			rerun, inflight, sentBeforeKill, finished)
	}
	t.Logf("sent before kill %d, finished before kill ≥ %d, engine requests in all %d (%d re-run)", sentBeforeKill, finished, total, rerun)
}

// TestBatchBodyLimit: --batch-max-body-bytes bounds a batch body, whether its length is
// announced (refused before it is read) or it streams in chunks (refused once it passes the
// limit), and nothing of a refused batch is stored.
func TestBatchBodyLimit(t *testing.T) {
	sim := startSim(t)
	serve := startServe(t, []string{sim.URL}, "--batch-max-body-bytes", "65536")
	body := sailBody("/v1/responses", "", 200, respItem(strings.Repeat("x", 400)))
	if res := do(t, "POST", serve.URL+"/v1/batches", body); res.Status != 413 {
		t.Fatalf("announced length: %d %s", res.Status, res.Body)
	}
	req, err := http.NewRequest("POST", serve.URL+"/v1/batches", io.MultiReader(strings.NewReader(body))) // unknown length: chunked
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("chunked: %d %s", resp.StatusCode, b)
	}
	if res := do(t, "POST", serve.URL+"/v1/batches", sailBody("/v1/responses", "", 3, respItem("small"))); res.Status != 200 {
		t.Fatalf("a small batch: %d %s", res.Status, res.Body)
	}
	if list := do(t, "GET", serve.URL+"/v1/batches", ""); len(decodeSailList(t, list.Body)) != 1 {
		t.Fatalf("list: %s", list.Body)
	}
}

func decodeSailList(t testing.TB, b []byte) []sailBatch {
	t.Helper()
	var l []sailBatch
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return l
}
