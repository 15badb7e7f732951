package policy

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestNewWindowTable(t *testing.T) {
	tests := []struct {
		name    string
		ws      []Window
		def     string
		wantDef string
		wantErr string
	}{
		{name: "defaults", ws: DefaultWindows(), wantDef: "15m"},
		{name: "four tiers", ws: FourTierWindows(), def: "standard", wantDef: "standard"},
		{name: "empty", ws: nil, wantErr: "no windows"},
		{name: "missing default", ws: FourTierWindows(), wantErr: `default window "15m" is not in the table`},
		{name: "background-only default", ws: FourTierWindows(), def: "flex", wantErr: "background-only"},
		{name: "duplicate", ws: append(DefaultWindows(), Window{Name: "15m", Deadline: time.Minute, Class: Deferrable}), wantErr: "listed twice"},
		{name: "no class", ws: []Window{{Name: "15m", Deadline: time.Minute}}, wantErr: "class is missing"},
		{name: "immediate with deadline", ws: []Window{{Name: "15m", Deadline: time.Minute, Class: Immediate}}, wantErr: "no deadline"},
		{name: "deferrable without deadline", ws: []Window{{Name: "15m", Class: Deferrable}}, wantErr: "needs a deadline"},
		{name: "bad name", ws: []Window{{Name: "15 m", Deadline: time.Minute, Class: Deferrable}}, def: "15 m", wantErr: "only letters"},
		{name: "empty name", ws: []Window{{Deadline: time.Minute, Class: Deferrable}}, wantErr: "1 to 64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := NewWindowTable(tc.ws, tc.def)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tab.Default().Name; got != tc.wantDef {
				t.Errorf("Default = %q, want %q", got, tc.wantDef)
			}
		})
	}
}

func TestWindowTableLookup(t *testing.T) {
	tab, err := NewWindowTable(DefaultWindows(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Names(); !reflect.DeepEqual(got, []string{"asap", "15m", "24h"}) {
		t.Errorf("Names = %v", got)
	}
	for _, name := range []string{"asap", "15m", "24h"} {
		if w, ok := tab.Lookup(name); !ok || w.Name != name {
			t.Errorf("Lookup(%q) = %+v, %v", name, w, ok)
		}
	}
	for _, name := range []string{"", "ASAP", "15M", "1h", " 15m", "flex"} {
		if _, ok := tab.Lookup(name); ok {
			t.Errorf("Lookup(%q) found a window; names are exact", name)
		}
	}
	if w, _ := tab.Lookup("24h"); w.Class != Flexible || w.Deadline != 24*time.Hour || !w.BatchAllowed || w.BackgroundOnly {
		t.Errorf("24h = %+v", w)
	}
	if w, _ := tab.Lookup("asap"); w.Class != Immediate || w.BatchAllowed {
		t.Errorf("asap = %+v", w)
	}
}

func TestAdmit(t *testing.T) {
	three, _ := NewWindowTable(DefaultWindows(), "")
	four, _ := NewWindowTable(FourTierWindows(), "standard")
	tests := []struct {
		name       string
		tab        *WindowTable
		window     string
		background bool
		batch      bool
		want       string // window name, or "" when an error is expected
		wantMsg    string
	}{
		{name: "absent gets default", tab: three, want: "15m"},
		{name: "asap", tab: three, window: "asap", want: "asap"},
		{name: "24h sync", tab: three, window: "24h", want: "24h"},
		{name: "unknown", tab: three, window: "1h", wantMsg: `"1h" is not a completion window. Use one of "asap", "15m" or "24h".`},
		{name: "wrong case", tab: three, window: "ASAP", wantMsg: "is not a completion window"},
		{name: "batch asap", tab: three, window: "asap", batch: true, wantMsg: `cannot be used for batch requests. Use one of "15m" or "24h".`},
		{name: "batch 24h", tab: three, window: "24h", batch: true, want: "24h"},
		{name: "four-tier default", tab: four, want: "standard"},
		{name: "flex sync", tab: four, window: "flex", wantMsg: "runs only in background mode"},
		{name: "flex background", tab: four, window: "flex", background: true, want: "flex"},
		{name: "flex batch", tab: four, window: "flex", batch: true, want: "flex"},
		{name: "priority batch", tab: four, window: "priority", batch: true, wantMsg: "cannot be used for batch"},
		{name: "15m in four tiers", tab: four, window: "15m", wantMsg: "is not a completion window"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, e := tc.tab.Admit(tc.window, tc.background, tc.batch)
			if tc.want != "" {
				if e != nil {
					t.Fatalf("Admit: %v", e)
				}
				if w.Name != tc.want {
					t.Fatalf("window = %q, want %q", w.Name, tc.want)
				}
				return
			}
			if e == nil {
				t.Fatalf("Admit accepted %q as %+v", tc.window, w)
			}
			if e.Status != 400 || e.Param != "metadata.completion_window" || e.Type != "invalid_request_error" {
				t.Errorf("error = %+v, want a 400 invalid_request_error naming metadata.completion_window", e)
			}
			if !strings.Contains(e.Message, tc.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", e.Message, tc.wantMsg)
			}
		})
	}
}

func TestParseWindows(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Window
		wantErr string
	}{
		{
			name: "issue example",
			in:   "asap=0:immediate,15m=15m:deferrable,24h=24h:flexible,flex=24h:flexible:background",
			want: append(DefaultWindows(), Window{Name: "flex", Deadline: 24 * time.Hour, Class: Flexible, BackgroundOnly: true, BatchAllowed: true}),
		},
		{
			name: "four tiers with spaces and flags",
			in:   " asap = 0 : immediate , priority=1m:deferrable:nobatch, standard=5m:deferrable, flex=24h:flexible:background ",
			want: FourTierWindows(),
		},
		{name: "batch flag on immediate", in: "asap=0:immediate:batch", want: []Window{{Name: "asap", Class: Immediate, BatchAllowed: true}}},
		{name: "empty", in: "  ", wantErr: "empty"},
		{name: "no equals", in: "asap", wantErr: "want name=deadline:class"},
		{name: "no class", in: "15m=15m", wantErr: "want name=deadline:class"},
		{name: "bad duration", in: "15m=15:deferrable", wantErr: "deadline"},
		{name: "bad class", in: "15m=15m:later", wantErr: "unknown window class"},
		{name: "bad flag", in: "15m=15m:deferrable:urgent", wantErr: `unknown flag "urgent"`},
		{name: "trailing comma", in: "15m=15m:deferrable,", wantErr: "want name=deadline:class"},
		{name: "negative deadline", in: "15m=-1m:deferrable", wantErr: "needs a deadline"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWindows(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestWindowYAML(t *testing.T) {
	const doc = `
windows:
  - name: asap
    class: immediate
    deadline: "0"
  - {name: priority, deadline: 1m, class: deferrable, batch_allowed: false}
  - name: standard
    deadline: 5m
    class: deferrable
  - flex=24h:flexible:background
`
	var cfg struct {
		Windows []Window `yaml:"windows"`
	}
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Windows, FourTierWindows()) {
		t.Fatalf("got  %+v\nwant %+v", cfg.Windows, FourTierWindows())
	}

	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Windows []Window `yaml:"windows"`
	}
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("round trip of\n%s: %v", out, err)
	}
	if !reflect.DeepEqual(back.Windows, FourTierWindows()) {
		t.Errorf("round trip of\n%s\ngot %+v", out, back.Windows)
	}

	for _, bad := range []struct{ doc, want string }{
		{"- {name: x, deadline: 15m, class: deferrable, dedline: 1m}", `"dedline": unknown key`},
		{"- {name: x, deadline: 900, class: deferrable}", "missing unit"},
		{"- {name: x, deadline: 15m, class: soon}", "unknown window class"},
		{"- {name: x, deadline: 15m}", "class is missing"},
		{"- [x]", "a window is a mapping"},
	} {
		var ws []Window
		err := yaml.Unmarshal([]byte(bad.doc), &ws)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want one containing %q", bad.doc, err, bad.want)
		}
	}
}

func FuzzParseWindows(f *testing.F) {
	f.Add("asap=0:immediate,15m=15m:deferrable,24h=24h:flexible,flex=24h:flexible:background")
	f.Add("priority=1m:deferrable:nobatch")
	f.Add("x=:")
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := ParseWindows(s)
		if err != nil {
			return
		}
		for _, w := range ws {
			if err := w.validate(); err != nil {
				t.Fatalf("ParseWindows(%q) returned an invalid window: %v", s, err)
			}
		}
		if tab, err := NewWindowTable(ws, ws[0].Name); err == nil {
			for _, n := range tab.Names() {
				if _, ok := tab.Lookup(n); !ok {
					t.Fatalf("Lookup(%q) failed", n)
				}
			}
		}
	})
}
