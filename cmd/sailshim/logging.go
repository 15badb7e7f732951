package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// LogConfig chooses the log format and level.
type LogConfig struct {
	Level  string `yaml:"log_level"`  // debug, info, warn, error
	Format string `yaml:"log_format"` // text or json
}

func newLogger(w io.Writer, c LogConfig) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToLower(c.Level))); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.Level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch c.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", c.Format)
}
