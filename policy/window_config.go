package policy

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseWindows reads a comma-separated window list from configuration text:
//
//	asap=0:immediate,15m=15m:deferrable,24h=24h:flexible,flex=24h:flexible:background
//
// Each item is name=deadline:class followed by optional flags: "background" (BackgroundOnly),
// "batch" or "nobatch" (BatchAllowed; without either flag, every class but immediate allows
// batch items). Deadlines use Go duration syntax ("90s", "15m", "24h", "0"). Spaces around items
// and parts are ignored. Validation of the whole table (duplicates, the default) is
// NewWindowTable's.
func ParseWindows(s string) ([]Window, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("window list is empty")
	}
	var ws []Window
	for item := range strings.SplitSeq(s, ",") {
		w, err := ParseWindow(item)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// ParseWindow reads one item of ParseWindows' syntax, such as "flex=24h:flexible:background".
func ParseWindow(item string) (Window, error) {
	item = strings.TrimSpace(item)
	name, spec, ok := strings.Cut(item, "=")
	if !ok {
		return Window{}, fmt.Errorf("window %q: want name=deadline:class[:flags]", item)
	}
	parts := strings.Split(spec, ":")
	if len(parts) < 2 {
		return Window{}, fmt.Errorf("window %q: want name=deadline:class[:flags]", item)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	w := Window{Name: strings.TrimSpace(name)}
	d, err := time.ParseDuration(parts[0])
	if err != nil {
		return Window{}, fmt.Errorf("window %q: deadline: %w", item, err)
	}
	w.Deadline = d
	if w.Class, err = ParseClass(parts[1]); err != nil {
		return Window{}, fmt.Errorf("window %q: %w", item, err)
	}
	w.BatchAllowed = w.Class != Immediate
	for _, f := range parts[2:] {
		switch f {
		case "background":
			w.BackgroundOnly = true
		case "batch":
			w.BatchAllowed = true
		case "nobatch":
			w.BatchAllowed = false
		default:
			return Window{}, fmt.Errorf("window %q: unknown flag %q (want background, batch or nobatch)", item, f)
		}
	}
	if err := w.validate(); err != nil {
		return Window{}, err
	}
	return w, nil
}

// UnmarshalYAML reads a window either as the one-line form of ParseWindow
// ("flex=24h:flexible:background") or as a mapping with the keys name, deadline ("15m"),
// class, background_only and batch_allowed. An absent batch_allowed means what it means in
// ParseWindow: every class but immediate allows batch items. Unknown keys are errors, so a typo
// does not silently change a deadline.
func (w *Window) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, err := ParseWindow(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		*w = v
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a window is a mapping or a name=deadline:class string", n.Line)
	}
	var v Window
	var batchSet bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "name":
			err = val.Decode(&v.Name)
		case "deadline":
			var s string
			if err = val.Decode(&s); err == nil {
				v.Deadline, err = time.ParseDuration(s)
			}
		case "class":
			err = val.Decode(&v.Class)
		case "background_only":
			err = val.Decode(&v.BackgroundOnly)
		case "batch_allowed":
			err, batchSet = val.Decode(&v.BatchAllowed), true
		default:
			err = fmt.Errorf("unknown key (want name, deadline, class, background_only, batch_allowed)")
		}
		if err != nil {
			return fmt.Errorf("line %d: window key %q: %w", k.Line, k.Value, err)
		}
	}
	if !batchSet {
		v.BatchAllowed = v.Class != Immediate
	}
	if err := v.validate(); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*w = v
	return nil
}
