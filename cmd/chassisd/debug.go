package main

import (
	"fmt"
	"io"
	"sort"
)

// debugCommands are the `chassisd debug` tools: each reads its input from
// stdin and prints what the matching upstream `ovstest test-ovn` command
// prints, so a suspicious logical flow can be checked by hand.
var debugCommands = map[string]func(args []string, in io.Reader, out, errOut io.Writer) int{}

func runDebug(args []string, in io.Reader, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(errOut, "usage: chassisd debug <command> [flags] < input")
		fmt.Fprintln(errOut, "commands:")
		names := make([]string, 0, len(debugCommands))
		for n := range debugCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintln(errOut, "  "+n)
		}
		return 2
	}
	cmd, ok := debugCommands[args[0]]
	if !ok {
		fmt.Fprintf(errOut, "chassisd debug: unknown command %q\n", args[0])
		return 2
	}
	return cmd(args[1:], in, out, errOut)
}
