package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"sailshim/apierr"
)

// Class says how the scheduler treats a window's work.
type Class int

// The zero Class is invalid so that a window whose class was left out of the configuration is
// caught by NewWindowTable instead of silently running as asap.
const (
	// Immediate work is dispatched at once, even above the capacity limit (asap).
	Immediate Class = iota + 1
	// Deferrable work waits, earliest latest-start-time first, for a free slot and is promoted
	// when its slack runs out.
	Deferrable
	// Flexible work is deferrable work that additionally waits until the engines are idle enough
	// (no engine queue, under the utilisation target); it is still promoted before its deadline.
	Flexible
)

var classNames = [...]string{Immediate: "immediate", Deferrable: "deferrable", Flexible: "flexible"}

func (c Class) valid() bool { return c >= Immediate && c <= Flexible }

func (c Class) String() string {
	if c.valid() {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// ParseClass reads "immediate", "deferrable" or "flexible".
func ParseClass(s string) (Class, error) {
	for c := Immediate; c <= Flexible; c++ {
		if s == classNames[c] {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown window class %q (want immediate, deferrable or flexible)", s)
}

// MarshalText writes the class name, so YAML and JSON configuration carry words, not numbers.
func (c Class) MarshalText() ([]byte, error) {
	if !c.valid() {
		return nil, fmt.Errorf("invalid window class %d", int(c))
	}
	return []byte(classNames[c]), nil
}

// UnmarshalText reads a class name.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := ParseClass(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Window is one completion window a request may name in metadata.completion_window.
type Window struct {
	Name           string        `yaml:"name"`
	Deadline       time.Duration `yaml:"deadline"` // target completion time after submission; 0 for Immediate
	Class          Class         `yaml:"class"`
	BackgroundOnly bool          `yaml:"background_only"` // e.g. "flex" in the four-tier vocabulary
	BatchAllowed   bool          `yaml:"batch_allowed"`   // batch items may use it (15m, 24h yes; asap no)
}

// DefaultWindows is the support matrix's vocabulary: asap, 15m (the default) and 24h.
func DefaultWindows() []Window {
	return []Window{
		{Name: "asap", Class: Immediate},
		{Name: "15m", Deadline: 15 * time.Minute, Class: Deferrable, BatchAllowed: true},
		{Name: "24h", Deadline: 24 * time.Hour, Class: Flexible, BatchAllowed: true},
	}
}

// FourTierWindows is the later four-tier vocabulary: asap, priority (~1 min), standard (~5 min,
// meant as the default) and flex (best effort, background only). Only standard and flex are open
// to batch items.
func FourTierWindows() []Window {
	return []Window{
		{Name: "asap", Class: Immediate},
		{Name: "priority", Deadline: time.Minute, Class: Deferrable},
		{Name: "standard", Deadline: 5 * time.Minute, Class: Deferrable, BatchAllowed: true},
		{Name: "flex", Deadline: 24 * time.Hour, Class: Flexible, BackgroundOnly: true, BatchAllowed: true},
	}
}

// WindowTable is the validated set of windows a deployment serves, with its default.
type WindowTable struct {
	list   []Window
	byName map[string]int
	def    int
	names  []string
}

// maxWindowName bounds names because they become metric label values and appear in errors.
const maxWindowName = 64

// NewWindowTable validates ws: names unique, non-empty, at most 64 of [A-Za-z0-9._-]; a valid
// class; Deadline 0 for Immediate and > 0 otherwise. def names the default window ("" → "15m"),
// which must exist and must not be BackgroundOnly (requests that name no window would fail).
func NewWindowTable(ws []Window, def string) (*WindowTable, error) {
	if len(ws) == 0 {
		return nil, errors.New("window table: no windows")
	}
	if def == "" {
		def = "15m"
	}
	t := &WindowTable{list: append([]Window(nil), ws...), byName: make(map[string]int, len(ws)), def: -1}
	for i, w := range t.list {
		if err := w.validate(); err != nil {
			return nil, fmt.Errorf("window table: %w", err)
		}
		if _, dup := t.byName[w.Name]; dup {
			return nil, fmt.Errorf("window table: window %q listed twice", w.Name)
		}
		t.byName[w.Name] = i
		t.names = append(t.names, w.Name)
		if w.Name == def {
			t.def = i
		}
	}
	if t.def < 0 {
		return nil, fmt.Errorf("window table: default window %q is not in the table (have %s)", def, strings.Join(t.names, ", "))
	}
	if t.list[t.def].BackgroundOnly {
		return nil, fmt.Errorf("window table: default window %q is background-only", def)
	}
	return t, nil
}

func (w Window) validate() error {
	if w.Name == "" || len(w.Name) > maxWindowName {
		return fmt.Errorf("window name %q must be 1 to %d characters", w.Name, maxWindowName)
	}
	for i := 0; i < len(w.Name); i++ {
		c := w.Name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("window name %q: only letters, digits, '.', '_' and '-' are allowed", w.Name)
		}
	}
	switch {
	case !w.Class.valid():
		return fmt.Errorf("window %q: class is missing or invalid (want immediate, deferrable or flexible)", w.Name)
	case w.Class == Immediate && w.Deadline != 0:
		return fmt.Errorf("window %q: an immediate window has no deadline (got %s)", w.Name, w.Deadline)
	case w.Class != Immediate && w.Deadline <= 0:
		return fmt.Errorf("window %q: a %s window needs a deadline > 0", w.Name, w.Class)
	}
	return nil
}

// Lookup finds a window by its exact name.
func (t *WindowTable) Lookup(name string) (Window, bool) {
	i, ok := t.byName[name]
	if !ok {
		return Window{}, false
	}
	return t.list[i], true
}

// Default is the window of a request that names none.
func (t *WindowTable) Default() Window { return t.list[t.def] }

// Names lists the window names in table order.
func (t *WindowTable) Names() []string { return append([]string(nil), t.names...) }

// Windows lists the windows in table order.
func (t *WindowTable) Windows() []Window { return append([]Window(nil), t.list...) }

const windowParam = "metadata.completion_window"

// Admit resolves the window a request names and checks the request may use it. name "" means
// the request named none and gets the default (a caller that must reject an explicit empty string
// does so before). background is the request's background flag; batch says it is a batch item.
// Errors are 400s naming metadata.completion_window; a batch caller rewrites Param to the item's
// path.
func (t *WindowTable) Admit(name string, background, batch bool) (Window, *apierr.Error) {
	if name == "" {
		return t.Default(), nil
	}
	w, ok := t.Lookup(name)
	if !ok {
		return Window{}, apierr.BadValue(windowParam,
			"Invalid value for 'metadata.completion_window': %q is not a completion window. Use one of %s.",
			name, t.quoted(func(Window) bool { return true }))
	}
	if batch && !w.BatchAllowed {
		return Window{}, apierr.BadValue(windowParam,
			"The completion window '%s' cannot be used for batch requests. Use one of %s.",
			name, t.quoted(func(w Window) bool { return w.BatchAllowed }))
	}
	if w.BackgroundOnly && !background && !batch {
		return Window{}, apierr.BadValue(windowParam,
			"The completion window '%s' runs only in background mode: set background to true, or use another window.", name)
	}
	return w, nil
}

// quoted lists the names of the windows keep accepts as "a", "b" or "c".
func (t *WindowTable) quoted(keep func(Window) bool) string {
	var b strings.Builder
	var picked []string
	for _, w := range t.list {
		if keep(w) {
			picked = append(picked, `"`+w.Name+`"`)
		}
	}
	for i, s := range picked {
		switch {
		case i == 0:
		case i == len(picked)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}
