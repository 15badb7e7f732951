package loadtest

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"sailshim/internal/testbin"
)

// binary is the sailshim binary, built once for the package's tests.
var binary string

func TestMain(m *testing.M) { testbin.Main(m, &binary) }

// smokeConfig is a scenario of a few seconds: the same phases as the benchmark, scaled down.
func smokeConfig(t *testing.T) Config {
	c := DefaultConfig()
	c.Binary = binary
	c.WorkDir = t.TempDir()
	c.Engine = Engine{TokensPerSecond: 200, TTFT: 5 * time.Millisecond, MaxConcurrency: 8, BatchKnee: 8}
	c.Backlog = 60
	c.AsapTokens, c.StreamTokens, c.BacklogTokens = 20, 20, 20
	c.Window15m, c.Window24h = 5*time.Second, 30*time.Second
	c.RefreshEvery, c.SampleEvery = 200*time.Millisecond, 100*time.Millisecond
	c.Warmup, c.Baseline, c.Tail = 300*time.Millisecond, 2*time.Second, 300*time.Millisecond
	c.MaxMixed = 40 * time.Second
	c.Submitters = 4
	if testing.Verbose() {
		c.Progress = os.Stderr
	}
	return c
}

// TestSmokeScenario runs the whole harness against the real binary: both phases, every
// background request accounted for, samples taken, and a report and plot an operator can read.
func TestSmokeScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes and runs for several seconds")
	}
	c := smokeConfig(t)
	rep, err := Run(context.Background(), c)
	if err != nil {
		if rep != nil {
			t.Logf("work dir with logs: %s", rep.WorkDir)
		}
		t.Fatal(err)
	}
	if rep.Baseline.N == 0 || rep.Baseline.Failed != 0 {
		t.Errorf("baseline asap: %+v, want requests and no failures", rep.Baseline)
	}
	if rep.Mixed.N == 0 || rep.Mixed.Failed != 0 {
		t.Errorf("mixed asap: %+v, want requests and no failures (first error: %s)", rep.Mixed, rep.FirstAsapError)
	}
	if rep.Backlog != (Outcome{Submitted: c.Backlog, Completed: c.Backlog}) {
		t.Errorf("backlog outcome %+v, want all %d completed", rep.Backlog, c.Backlog)
	}
	if rep.Stream.Submitted == 0 || rep.Stream.Completed != rep.Stream.Submitted {
		t.Errorf("15m outcome %+v, want every submitted request completed", rep.Stream)
	}
	if n := rep.TotalMisses(); n != 0 {
		t.Errorf("deadline misses = %v, want 0 with generous windows", n)
	}
	if rep.DrainTime <= 0 || rep.DrainTime > c.Window24h {
		t.Errorf("drain time %s, want within (0, %s]", rep.DrainTime, c.Window24h)
	}
	if got := rep.Dispatched["24h/free"] + rep.Dispatched["24h/promoted"]; got != float64(c.Backlog) {
		t.Errorf("24h dispatches = %v, want %d", got, c.Backlog)
	}
	if len(rep.Samples) < 10 {
		t.Fatalf("%d samples, want one every %s", len(rep.Samples), c.SampleEvery)
	}
	if !(rep.UtilDrain > 0 && rep.UtilDrain <= 1.0001) {
		t.Errorf("utilisation while draining = %v, want in (0, 1]", rep.UtilDrain)
	}
	sawBacklog := false
	for _, s := range rep.Samples {
		sawBacklog = sawBacklog || s.Depth["24h"] > 0 || s.Running > 0
	}
	if !sawBacklog {
		t.Error("no sample saw queued or running work")
	}

	var text bytes.Buffer
	rep.WriteText(&text)
	for _, want := range []string{"baseline (asap only)", "while backlog exists", "deadline misses", "utilisation"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var svg bytes.Buffer
	if err := rep.WritePlot(&svg); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg.Bytes(), "scheduler queue depth", "engine slot utilisation", "asap latency")
}

// checkSVG asserts the plot is well-formed XML with an svg root and the named charts.
func checkSVG(t *testing.T, b []byte, titles ...string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	polylines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("plot is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "polyline" {
				polylines++
			}
		}
	}
	if root != "svg" {
		t.Errorf("plot root element %q, want svg", root)
	}
	if polylines < 6 {
		t.Errorf("plot has %d lines, want the series of three charts", polylines)
	}
	for _, title := range titles {
		if !bytes.Contains(b, []byte(title)) {
			t.Errorf("plot lacks the chart %q", title)
		}
	}
}
