// Package testbin builds the sailshim binary once for a test package whose tests start it as
// a real process (e2e, loadtest). It is used from TestMain only and must not be imported by
// non-test code.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Main builds cmd/sailshim into a temporary directory, stores its path in *binary, runs the
// package's tests and exits with their status.
func Main(m *testing.M, binary *string) {
	dir, err := os.MkdirTemp("", "sailshim-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary = filepath.Join(dir, "sailshim")
	build := exec.Command("go", "build", "-o", *binary, "sailshim/cmd/sailshim")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sailshim:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
