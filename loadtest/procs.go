package loadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one sailshim process the harness started.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string // host:port from its "listening" log line
	log  *os.File
	done chan struct{}
}

// startProc runs `bin args…` with JSON logs written to logPath and waits for the "listening"
// line that names its address. SAILSHIM_* variables of the caller's environment are dropped so
// only the flags given here configure the process.
func startProc(name, bin, logPath string, args ...string) (*proc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args = append(args, "--log-format", "json")
	p := &proc{name: name, cmd: exec.Command(bin, args...), log: lf, done: make(chan struct{})}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SAILSHIM_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		lf.Close()
		return nil, err
	}
	p.cmd.Stdout = lf
	if err := p.cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	addrc := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			lf.Write(line)
			lf.Write([]byte{'\n'})
			var rec struct{ Msg, Addr string }
			if len(addrc) == 0 && json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
				addrc <- rec.Addr
			}
		}
		_ = p.cmd.Wait()
	}()
	select {
	case p.addr = <-addrc:
		return p, nil
	case <-p.done:
		lf.Close()
		return nil, fmt.Errorf("%s exited before listening; see %s", name, logPath)
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not start listening within 30s; see %s", name, logPath)
	}
}

// stop asks the process to shut down (SIGTERM) and kills it if it has not exited in 40s, which
// is longer than serve's own 30s shutdown bound.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// cpuTime is the CPU time (user + system) the process has used, read from /proc; ok is false
// where there is no /proc. It assumes the kernel's USER_HZ of 100, as on every common Linux build.
func (p *proc) cpuTime() (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	// Fields after the parenthesised command name, which may itself contain spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}
