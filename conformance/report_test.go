package conformance

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func sampleReport() *Report {
	return &Report{
		BaseURL: "http://127.0.0.1:8080", Model: "sim-1", Surfaces: []Surface{Responses, Chat},
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Elapsed: 812.5, Passed: 3, Failed: 1,
		Results: []Result{
			{ID: "responses/reject/stream", Surface: Responses, Section: SecRespRejected, Row: "Streaming",
				Expect: `stream: true → 400, param "stream"`, Pass: true, Duration: 1.5},
			{ID: "responses/reject/instructions", Surface: Responses, Section: SecRespRejected, Row: "Instructions",
				Expect: `instructions: "…" → 400, param "instructions"`, Pass: true, Duration: 1.25},
			{ID: "chat/notes/finish-length-is-stop", Surface: Chat, Section: SecChatNotes,
				Row:    `finish_reason is either "stop" or "tool_calls". Other values like "length" and "content_filter" are not returned.`,
				Expect: `an answer cut by max_completion_tokens → finish_reason "stop", never "length"`,
				Detail: `finish_reason "length", want "stop"` + "\n\tand a second line", Duration: 4},
			{ID: "chat/notes/logprobs-null", Surface: Chat, Section: SecChatNotes, Row: "logprobs is always null.",
				Expect: "choices[0].logprobs is present and null", Pass: true, Detail: "a note", Duration: 2},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (run go test -update):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.golden", b.Bytes())
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", b.Bytes())
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Failed != 1 || len(back.Results) != 4 || back.Results[2].Pass {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}
