package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeConfigLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sailshim.yaml")
	os.WriteFile(file, []byte(`
listen: 0.0.0.0:9000
api_keys: [from-file]
upstreams:
  - {url: "http://a:8000/v1", dialect: tgi, concurrency: 4, models: [m]}
sync_timeout: 5m
pool: {retry_backoff: 1s}
`), 0o600)
	keys := filepath.Join(dir, "keys")
	os.WriteFile(keys, []byte("# comment\nk-file-1\n\nk-file-2\n"), 0o600)

	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c ServeConfig)
		err   string
	}{
		{name: "file only", args: []string{"--config", file}, check: func(t *testing.T, c ServeConfig) {
			if c.Listen != "0.0.0.0:9000" || c.SyncTimeout != 5*time.Minute || c.Pool.RetryBackoff != time.Second {
				t.Fatalf("%+v", c)
			}
			u := c.Upstreams[0]
			if u.URL != "http://a:8000/v1" || u.Dialect != "tgi" || u.Concurrency != 4 || len(c.APIKeys) != 1 {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "env over file", args: []string{"--config", file}, env: map[string]string{"SAILSHIM_LISTEN": "127.0.0.1:1", "SAILSHIM_API_KEY": "e1,e2"},
			check: func(t *testing.T, c ServeConfig) {
				if c.Listen != "127.0.0.1:1" || strings.Join(c.APIKeys, ",") != "e1,e2" {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "flags over env", args: []string{"--config", file, "--listen", "127.0.0.1:2", "--api-key", "f1"}, env: map[string]string{"SAILSHIM_LISTEN": "127.0.0.1:1"},
			check: func(t *testing.T, c ServeConfig) {
				if c.Listen != "127.0.0.1:2" || strings.Join(c.APIKeys, ",") != "f1" {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "upstream options", args: []string{"--sim", "--api-key", "k", "--upstream", "http://h:1;dialect=llamacpp;concurrency=4;models=a|b"},
			check: func(t *testing.T, c ServeConfig) {
				u := c.Upstreams[0]
				if u.Dialect != "llamacpp" || u.Concurrency != 4 || strings.Join(u.Models, ",") != "a,b" {
					t.Fatalf("%+v", u)
				}
			}},
		{name: "keys file", args: []string{"--sim", "--api-keys-file", keys}, check: func(t *testing.T, c ServeConfig) {
			if strings.Join(c.APIKeys, ",") != "k-file-1,k-file-2" {
				t.Fatalf("%q", c.APIKeys)
			}
		}},
		{name: "batch limits", args: []string{"--sim", "--api-key", "k", "--batch-max-body-bytes", "1048576", "--batch-workers", "8"},
			check: func(t *testing.T, c ServeConfig) {
				if c.BatchMaxBodyBytes != 1<<20 || c.BatchWorkers != 8 {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "batch body default", args: []string{"--sim", "--api-key", "k"}, check: func(t *testing.T, c ServeConfig) {
			if c.BatchMaxBodyBytes != 256<<20 {
				t.Fatalf("%d", c.BatchMaxBodyBytes)
			}
		}},
		{name: "batch body over 256 MiB", args: []string{"--sim", "--api-key", "k", "--batch-max-body-bytes", "268435457"}, err: "batch-max-body-bytes"},
		{name: "no upstream", args: []string{"--api-key", "k"}, err: "--sim"},
		{name: "no key", args: []string{"--sim"}, err: "no API keys"},
		{name: "bad dialect", args: []string{"--api-key", "k", "--upstream", "http://h:1;dialect=foo"}, err: "unknown dialect"},
		{name: "bad window table", args: []string{"--sim", "--api-key", "k", "--windows", "asap"}, err: "window"},
		{name: "unknown yaml key", args: []string{"--config", writeFile(t, dir, "bad.yaml", "nope: 1\n")}, err: "nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"SAILSHIM_LISTEN", "SAILSHIM_API_KEY", "SAILSHIM_CONFIG", "SAILSHIM_UPSTREAM"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := loadServeConfig(c.args)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, cfg)
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
