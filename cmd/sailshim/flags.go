package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// layeredFlags fills one config struct from, in rising precedence: the struct's defaults, an
// optional YAML file (--config), SAILSHIM_* environment variables, then command-line flags.
// Environment values go through the same flag.Value parsers as flags, so both accept the same
// text; list flags given in a higher layer replace, not extend, the lower layer's list.
type layeredFlags struct {
	fs      *flag.FlagSet
	lists   []*listValue
	env     func(string) (string, bool)
	cfgPath string
}

func newLayeredFlags(name string) *layeredFlags {
	l := &layeredFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), env: os.LookupEnv}
	l.fs.StringVar(&l.cfgPath, "config", "", "optional YAML configuration file (keys as in docs/CONFIG.md)")
	return l
}

// listValue is a repeatable flag; the first Set in each layer starts the list afresh.
type listValue struct {
	set   func(string) error
	reset func()
	fresh bool
	show  func() string
}

func (v *listValue) String() string {
	if v == nil || v.show == nil {
		return ""
	}
	return v.show()
}

func (v *listValue) Set(s string) error {
	if v.fresh {
		v.reset()
		v.fresh = false
	}
	return v.set(s)
}

// list registers a repeatable flag. In the environment, items are separated by commas.
func (l *layeredFlags) list(name, usage string, set func(string) error, reset func(), show func() string) {
	v := &listValue{set: set, reset: reset, show: show}
	l.lists = append(l.lists, v)
	l.fs.Var(v, name, usage+" (repeatable)")
}

func (l *layeredFlags) strings(p *[]string, name, usage string) {
	l.list(name, usage, func(s string) error { *p = append(*p, s); return nil },
		func() { *p = nil }, func() string { return strings.Join(*p, ",") })
}

func (l *layeredFlags) newLayer() {
	for _, v := range l.lists {
		v.fresh = true
	}
}

// parse applies the layers to target (which the flags are bound to) and returns the positional
// arguments left over.
func (l *layeredFlags) parse(args []string, envPrefix string, target any) ([]string, error) {
	path := findConfigFlag(args)
	if path == "" {
		path, _ = l.env(envPrefix + "CONFIG")
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading --config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(target); err != nil {
			return nil, fmt.Errorf("--config %s: %w", path, err)
		}
	}
	l.newLayer()
	var envErr error
	l.fs.VisitAll(func(f *flag.Flag) {
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		val, ok := l.env(name)
		if !ok || f.Name == "config" || envErr != nil {
			return
		}
		items := []string{val}
		if _, isList := f.Value.(*listValue); isList {
			items = splitList(val)
		}
		for _, it := range items {
			if err := l.fs.Set(f.Name, it); err != nil {
				envErr = fmt.Errorf("environment %s: %w", name, err)
				return
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	l.newLayer()
	if err := l.fs.Parse(args); err != nil {
		return nil, err
	}
	return l.fs.Args(), nil
}

func splitList(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// findConfigFlag finds --config before the full parse, because the file is the lowest layer.
func findConfigFlag(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, p := range []string{"--config", "-config"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return ""
}
