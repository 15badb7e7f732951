// Command sailshim puts the Sail inference API in front of self-hosted engines.
//
//	sailshim serve        the proxy (docs/CONFIG.md lists every flag)
//	sailshim sim          the engine simulator, speaking vLLM's dialect
//	sailshim conformance  the support matrix as an executable suite against any base URL
//	sailshim rules        print the support matrix as sailshim implements it
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		fmt.Fprintln(os.Stderr, "sailshim:", err)
		os.Exit(2)
	}
}

// exitCode ends the process with a status and no further message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `usage: sailshim <command> [flags]

commands:
  serve         run the proxy in front of engines (or --sim)
  sim           run the engine simulator
  conformance   check a server against the support matrix
  rules         print the support matrix as implemented (--markdown)
  load          the completion-windows scenario benchmark against sim (docs/BENCHMARKS.md)

Run 'sailshim <command> -h' for a command's flags.`

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return exitCode(2)
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:])
	case "sim":
		return runSim(args[1:])
	case "conformance":
		return runConformance(args[1:])
	case "rules":
		return runRules(args[1:])
	case "load":
		return runLoad(args[1:])
	case "-h", "--help", "help":
		fmt.Println(usage)
		return nil
	}
	fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s\n", args[0], usage)
	return exitCode(2)
}
