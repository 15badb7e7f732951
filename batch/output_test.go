package batch

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\ngot  %s\nwant %s", name, got, want)
	}
}

func TestViewsGolden(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sail := &meta{
		ID: "batch_1", Shape: shapeSail, Endpoint: "/v1/responses", Surface: "responses", Label: "nightly",
		Status: statusInProgress, Total: 3, Created: created.UnixNano(), InProgressAt: created.Unix(),
	}
	oa := &meta{
		ID: "batch_2", Shape: shapeOpenAI, Endpoint: "/v1/chat/completions", Surface: "chat", Window: "24h",
		Status: statusCompleted, Total: 3, Completed: 2, Failed: 1, Created: created.UnixNano(),
		Expires: created.Add(24 * time.Hour).UnixNano(), InProgressAt: created.Unix(), FinalizingAt: created.Unix() + 60,
		CompletedAt: created.Unix() + 61, InputFileID: "file-1", OutputFileID: "file-2", ErrorFileID: "file-3",
		Metadata: []byte(`{"job":"nightly"}`),
	}
	failed := &meta{
		ID: "batch_3", Shape: shapeOpenAI, Endpoint: "/v1/responses", Surface: "responses", Window: "24h",
		Status: statusFailed, Created: created.UnixNano(), Expires: created.Add(24 * time.Hour).UnixNano(),
		FailedAt: created.Unix(), InputFileID: "file-1",
		Errors: batchErrors(apierr.BadValue("url", "The url differs from the batch's endpoint."), 4),
	}
	var lines []byte
	lines = appendResponse(appendLineHead(lines, lineID("batch_2", 0), "ok"), 200, "chatcmpl-1", []byte(`{"id":"chatcmpl-1","object":"chat.completion"}`), nil)
	lines = append(lines, '\n')
	lines = appendResponse(appendLineHead(lines, lineID("batch_2", 1), "refused"), 400, "chatcmpl-2", nil,
		apierr.BadValue("messages", "messages must not be empty.").AppendObject(nil))
	lines = append(lines, '\n')
	lines = appendLineError(appendLineHead(lines, lineID("batch_2", 2), "cancelled"), "batch_cancelled", "This request was not executed because the batch was cancelled.")
	lines = append(lines, '\n')
	for name, got := range map[string][]byte{
		"sail_batch.json":          appendSail(nil, sail),
		"openai_batch.json":        appendOpenAI(nil, oa),
		"openai_batch_failed.json": appendOpenAI(nil, failed),
		"output_lines.jsonl":       lines,
	} {
		t.Run(name, func(t *testing.T) {
			for _, l := range bytes.Split(bytes.TrimSpace(got), []byte("\n")) {
				if !json.Valid(l) {
					t.Fatalf("not JSON: %s", l)
				}
			}
			golden(t, name, got)
		})
	}
}

// The OpenAI shape end to end in the package: the batch object moves to completed with live
// counts, and the output and error files hold one line per item in OpenAI's format.
func TestOpenAIBatchOutputs(t *testing.T) {
	e := newEnv(t, Config{})
	e.exec.fail = func(b []byte) *apierr.Error {
		if strings.HasSuffix(gjson.GetBytes(b, "input").Str, " 1") {
			return apierr.BadValue("input", "the engine refused it")
		}
		return nil
	}
	fid := e.upload(jsonlFile(3, nil)).str("id")
	c := e.call("POST", "/v1/batches", `{"input_file_id":"`+fid+`","endpoint":"/v1/responses","completion_window":"24h","metadata":{"job":"x"}}`)
	if c.status != 200 || c.str("object") != "batch" || c.str("status") != "validating" || c.str("metadata.job") != "x" ||
		c.str("completion_window") != "24h" || c.str("input_file_id") != fid || c.str("expires_at") == "" {
		t.Fatalf("%d %s", c.status, c.body)
	}
	id := c.str("id")
	e.wait(id)
	g := e.call("GET", "/v1/batches/"+id, "")
	if g.str("status") != "completed" || g.str("request_counts.total") != "3" || g.str("request_counts.completed") != "2" || g.str("request_counts.failed") != "1" ||
		g.str("finalizing_at") == "" || g.str("completed_at") == "" || g.str("request_status") != "" {
		t.Fatalf("%s", g.body)
	}
	type line struct {
		ID       string `json:"id"`
		CustomID string `json:"custom_id"`
		Response *struct {
			StatusCode int             `json:"status_code"`
			RequestID  string          `json:"request_id"`
			Body       json.RawMessage `json:"body"`
		} `json:"response"`
		Error json.RawMessage `json:"error"`
	}
	read := func(fileID string) []line {
		r := e.call("GET", "/v1/files/"+fileID+"/content", "")
		var out []line
		for _, l := range bytes.Split(bytes.TrimSpace(r.body), []byte("\n")) {
			var x line
			dec := json.NewDecoder(bytes.NewReader(l))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&x); err != nil || !strings.HasPrefix(x.ID, "batch_req_") || x.Response == nil {
				t.Fatalf("line %s: %v", l, err)
			}
			out = append(out, x)
		}
		return out
	}
	out, errs := read(g.str("output_file_id")), read(g.str("error_file_id"))
	if len(out) != 2 || out[0].CustomID != "r0" || out[1].CustomID != "r2" || out[0].Response.StatusCode != 200 ||
		out[0].Response.RequestID != itemObjectID("resp_", id, 0) || gjson.GetBytes(out[0].Response.Body, "status").Str != "completed" {
		t.Fatalf("output: %+v", out)
	}
	if len(errs) != 1 || errs[0].CustomID != "r1" || errs[0].Response.StatusCode != 400 ||
		gjson.GetBytes(errs[0].Response.Body, "error.param").Str != "input" || string(errs[0].Error) != "null" {
		t.Fatalf("errors: %+v %s", errs, errs[0].Response.Body)
	}
	for _, f := range []string{g.str("output_file_id"), g.str("error_file_id")} {
		if r := e.call("GET", "/v1/files/"+f, ""); r.str("purpose") != "batch_output" {
			t.Fatalf("output file object: %s", r.body)
		}
	}
}
