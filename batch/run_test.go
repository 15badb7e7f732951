package batch

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
	"sailshim/store"
)

func TestSailBatchRuns(t *testing.T) {
	e := newEnv(t, Config{})
	body := `{"endpoint":"/v1/responses","label":"run","requests":[` +
		`{"custom_id":"plain","params":{"model":"sim-1","input":"one"}},` +
		`{"custom_id":"with/slash","params":{"model":"sim-1","input":"two"}},` +
		`{"custom_id":"fails","params":{"model":"sim-1","input":"bad"}}]}`
	e.exec.fail = func(b []byte) *apierr.Error {
		if gjson.GetBytes(b, "input").Str == "bad" {
			return apierr.BadValue("input", "the engine refused it")
		}
		return nil
	}
	c := e.call("POST", "/v1/batches", body)
	id := c.str("id")
	if c.status != 200 || c.str("request_counts") != "3" || c.str("label") != "run" {
		t.Fatalf("%d %s", c.status, c.body)
	}
	e.wait(id)
	g := e.call("GET", "/v1/batches/"+id, "")
	want := map[string]string{"plain": "COMPLETED", "with/slash": "COMPLETED", "fails": "FAILED"}
	for cid, st := range want {
		if got := gjson.GetBytes(g.body, "request_status."+gjson.Escape(cid)+".status").Str; got != st {
			t.Fatalf("%s: %q, want %q: %s", cid, got, st, g.body)
		}
	}
	if g.str("status") != "completed" || g.str("request_counts") != "3" {
		t.Fatalf("batch: %s", g.body)
	}
	for _, p := range []string{"plain", "with/slash", "with%2Fslash"} {
		r := e.call("GET", "/v1/batches/"+id+"/"+p, "")
		if r.status != 200 || r.str("status") != "completed" || r.str("object") != "response" {
			t.Fatalf("item %s: %d %s", p, r.status, r.body)
		}
	}
	if r := e.call("GET", "/v1/batches/"+id+"/fails", ""); r.status != 200 || r.str("status") != "failed" {
		t.Fatalf("failed item: %d %s", r.status, r.body)
	}
	if e.exec.finished[itemObjectID("resp_", id, 2)] != "failed" {
		t.Fatalf("the failed item was not recorded through Finish: %v", e.exec.finished)
	}
	if r := e.call("GET", "/v1/batches/"+id+"/nope", ""); r.status != 404 {
		t.Fatalf("unknown custom_id: %d", r.status)
	}
	for _, p := range []string{"/v1/batches/" + id, "/v1/batches/" + id + "/plain"} {
		if r := e.callAs(other, "GET", p, ""); r.status != 404 {
			t.Fatalf("%s as another key: %d %s", p, r.status, r.body)
		}
	}
	if r := e.call("POST", "/v1/batches/"+id+"/cancel", ""); r.status != 409 {
		t.Fatalf("cancel a finished batch: %d %s", r.status, r.body)
	}
}

// An upstream failure (5xx, 429) is retried; the item completes on a later attempt.
func TestItemRetried(t *testing.T) {
	e := newEnv(t, Config{Attempts: 3})
	var mu sync.Mutex
	tries := map[string]int{}
	e.exec.fail = func(b []byte) *apierr.Error {
		mu.Lock()
		defer mu.Unlock()
		in := gjson.GetBytes(b, "input").Str
		tries[in]++
		switch {
		case in == "flaky" && tries[in] < 3:
			return apierr.Unavailable(1, "engine busy")
		case in == "down":
			return apierr.New(502, apierr.TypeServer, "", "upstream_error", "unreachable")
		}
		return nil
	}
	id := e.call("POST", "/v1/batches", sailBody("/v1/responses", "", 2, func(i int) string {
		return []string{`{"model":"sim-1","input":"flaky"}`, `{"model":"sim-1","input":"down"}`}[i]
	})).str("id")
	e.wait(id)
	g := e.call("GET", "/v1/batches/"+id, "")
	if g.str("request_status.c0.status") != "COMPLETED" || g.str("request_status.c1.status") != "FAILED" {
		t.Fatalf("%s", g.body)
	}
	if tries["flaky"] != 3 || tries["down"] != 3 {
		t.Fatalf("attempts: %v", tries)
	}
}

// While items run, GET shows them RUNNING (request_status) and "running" (the item object).
func TestItemStatusWhileRunning(t *testing.T) {
	e := newEnv(t, Config{Workers: 1})
	e.exec.hold = func([]byte) bool { return true }
	e.exec.started = make(chan string, 4)
	id := e.call("POST", "/v1/batches", sailBody("/v1/responses", "", 2, nil)).str("id")
	<-e.exec.started
	g := e.call("GET", "/v1/batches/"+id, "")
	if g.str("status") != "in_progress" || g.str("request_status.c0.status") != "RUNNING" || g.str("request_status.c1.status") != "PENDING" {
		t.Fatalf("%s", g.body)
	}
	if r := e.call("GET", "/v1/batches/"+id+"/c0", ""); r.str("status") != "running" {
		t.Fatalf("running item: %s", r.body)
	}
	if r := e.call("GET", "/v1/batches/"+id+"/c1", ""); r.str("status") != "pending" || r.str("input") != "item 1" {
		t.Fatalf("pending item: %s", r.body)
	}
	close(e.exec.release)
	e.wait(id)
	if g := e.call("GET", "/v1/batches/"+id, ""); g.str("status") != "completed" {
		t.Fatalf("%s", g.body)
	}
}

func TestCancel(t *testing.T) {
	for _, shape := range []string{"sail", "openai"} {
		t.Run(shape, func(t *testing.T) {
			e := newEnv(t, Config{Workers: 2})
			e.exec.hold = func(b []byte) bool { return !strings.HasSuffix(gjson.GetBytes(b, "input").Str, " 0") }
			e.exec.started = make(chan string, 16)
			e.exec.completed = make(chan string, 16)
			var id string
			if shape == "sail" {
				id = e.call("POST", "/v1/batches", sailBody("/v1/responses", "", 10, nil)).str("id")
			} else {
				fid := e.upload(jsonlFile(10, nil)).str("id")
				id = e.call("POST", "/v1/batches", `{"input_file_id":"`+fid+`","endpoint":"/v1/responses","completion_window":"24h"}`).str("id")
			}
			<-e.exec.completed // item 0
			<-e.exec.started   // items 1 and 2 hold both workers
			<-e.exec.started
			c := e.call("POST", "/v1/batches/"+id+"/cancel", "")
			if c.status != 200 || c.str("status") != "cancelling" {
				t.Fatalf("cancel: %d %s", c.status, c.body)
			}
			e.wait(id)
			g := e.call("GET", "/v1/batches/"+id, "")
			if g.str("status") != "cancelled" {
				t.Fatalf("%s", g.body)
			}
			if again := e.call("POST", "/v1/batches/"+id+"/cancel", ""); again.status != 200 || again.str("status") != "cancelled" {
				t.Fatalf("cancel again: %d %s", again.status, again.body)
			}
			cancelled := 0
			for _, st := range e.exec.finished {
				if st == "cancelled" {
					cancelled++
				}
			}
			if len(e.exec.runs) != 1 || cancelled != 9 {
				t.Fatalf("%d items ran, %d cancelled", len(e.exec.runs), cancelled)
			}
			if shape == "sail" {
				if g.str("request_status.c0.status") != "COMPLETED" || g.str("request_status.c5.status") != "CANCELLED" {
					t.Fatalf("%s", g.body)
				}
				if r := e.call("GET", "/v1/batches/"+id+"/c5", ""); r.str("status") != "cancelled" {
					t.Fatalf("cancelled item: %s", r.body)
				}
				return
			}
			if g.str("request_counts.completed") != "1" || g.str("cancelled_at") == "" || g.str("cancelling_at") == "" {
				t.Fatalf("%s", g.body)
			}
			out := e.call("GET", "/v1/files/"+g.str("output_file_id")+"/content", "")
			errs := e.call("GET", "/v1/files/"+g.str("error_file_id")+"/content", "")
			if n := bytes.Count(out.body, []byte("\n")); n != 1 {
				t.Fatalf("%d output lines: %s", n, out.body)
			}
			if n := bytes.Count(errs.body, []byte(`"code":"batch_cancelled"`)); n != 9 {
				t.Fatalf("%d cancelled lines: %s", n, errs.body)
			}
		})
	}
}

// A restart resumes a batch: finished items are not run again, items that were in flight run
// again, and an item whose reply was stored just before the crash (its state not yet updated)
// is adopted, not re-run.
func TestRestartResumes(t *testing.T) {
	const n = 10
	e := newEnv(t, Config{Workers: 2})
	e.exec.hold = func(b []byte) bool {
		i, _ := strconv.Atoi(strings.TrimPrefix(gjson.GetBytes(b, "input").Str, "item "))
		return i >= 4
	}
	e.exec.started = make(chan string, n)
	e.exec.completed = make(chan string, n)
	id := e.call("POST", "/v1/batches", sailBody("/v1/responses", "", n, nil)).str("id")
	for i := 0; i < 4; i++ {
		<-e.exec.completed
	}
	<-e.exec.started
	<-e.exec.started
	first := e.exec
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	// Item 9's reply reached the store but its state update did not.
	adopted := itemObjectID("resp_", id, 9)
	obj := first.object("responses", adopted, []byte(`{"model":"sim-1","input":"item 9"}`), "completed")
	if err := e.st.Put(&store.Record{ID: adopted, Owner: owner, Surface: "responses", Status: "completed", Object: obj}, true); err != nil {
		t.Fatal(err)
	}
	first.runs[adopted]++

	e.start(newFakeExec(e.st), Config{Workers: 2})
	e.wait(id)
	g := e.call("GET", "/v1/batches/"+id, "")
	if g.str("status") != "completed" {
		t.Fatalf("%s", g.body)
	}
	for i := 0; i < n; i++ {
		oid := itemObjectID("resp_", id, uint32(i))
		before, after := first.runCount(oid), e.exec.runCount(oid)
		if st := g.str("request_status.c" + strconv.Itoa(i) + ".status"); st != "COMPLETED" || before+after != 1 {
			t.Fatalf("item %d: %s, ran %d times before the restart and %d after", i, st, before, after)
		}
	}
}

// An OpenAI batch answers "validating" and reads its input file in its run; a restart during
// validation starts it over from the file, whatever items the interrupted pass had stored.
func TestRestartDuringValidation(t *testing.T) {
	e := newEnv(t, Config{})
	fid := e.upload(jsonlFile(5, nil)).str("id")
	m := &meta{
		ID: "batch_0123", Owner: owner, Shape: shapeOpenAI, Endpoint: "/v1/responses", Surface: "responses",
		Window: "24h", Status: statusValidating, InputFileID: fid, Created: 1, Expires: 1 << 62,
	}
	if err := e.st.Put(m.record(), true); err != nil {
		t.Fatal(err)
	}
	if err := e.st.KVPut(nsIndex, indexKey(owner, shapeOpenAI, m.Created, m.ID), nil, true); err != nil {
		t.Fatal(err)
	}
	// Leftovers of the interrupted pass: a state for an index the file does not have.
	if err := e.st.KVPut(nsItems, string(stateKey(nil, m.ID, 7)), (&itemState{status: itemPending, customID: "ghost"}).append(nil), true); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	e.start(newFakeExec(e.st), Config{})
	e.wait(m.ID)
	g := e.call("GET", "/v1/batches/"+m.ID, "")
	if g.str("status") != "completed" || g.str("request_counts.total") != "5" || g.str("request_counts.completed") != "5" {
		t.Fatalf("%s", g.body)
	}
	if n := e.kvCount(nsItems, m.ID+"/s/"); n != 5 {
		t.Fatalf("%d item states after the restart, want 5", n)
	}
}

// Cancelling a batch right after it was created (validating, or just validated) cancels every
// item and runs none.
func TestCancelEarly(t *testing.T) {
	e := newEnv(t, Config{})
	e.exec.hold = func([]byte) bool { return true }
	fid := e.upload(jsonlFile(50, nil)).str("id")
	id := e.call("POST", "/v1/batches", `{"input_file_id":"`+fid+`","endpoint":"/v1/responses","completion_window":"24h"}`).str("id")
	if c := e.call("POST", "/v1/batches/"+id+"/cancel", ""); c.status != 200 || c.str("status") != "cancelling" {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	e.wait(id)
	g := e.call("GET", "/v1/batches/"+id, "")
	if g.str("status") != "cancelled" || g.str("request_counts.completed") != "0" || len(e.exec.runs) != 0 {
		t.Fatalf("%s (ran %d)", g.body, len(e.exec.runs))
	}
	if total := g.str("request_counts.total"); total != "0" && total != "50" {
		t.Fatalf("total %s", total)
	}
}
