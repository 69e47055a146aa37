package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/expr"
)

func init() {
	for _, name := range expr.DebugCommands {
		debugCommands[name] = func(args []string, in io.Reader, out, errOut io.Writer) int {
			return runExprCommand(name, args, in, out, errOut)
		}
	}
	debugCommands["parse-actions"] = runParseActions
}

// runExprCommand runs one expression tool. --context names a JSON file
// shaped like the test vectors' context object (ports, address_sets,
// port_groups_sb, dp_id, chassis_resident_ports); without it names resolve
// to nothing.
func runExprCommand(name string, args []string, in io.Reader, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("chassisd debug "+name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	ctxFile := fs.String("context", "", "JSON context: ports, address_sets, port_groups_sb, dp_id, chassis_resident_ports")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := &expr.DebugContext{}
	if *ctxFile != "" {
		var err error
		if ctx, err = expr.LoadDebugContext(*ctxFile); err != nil {
			fmt.Fprintln(errOut, "chassisd debug:", err)
			return 1
		}
	}
	if err := expr.RunDebugCommand(name, ctx, in, out); err != nil {
		fmt.Fprintln(errOut, "chassisd debug:", err)
		return 1
	}
	return 0
}

// runParseActions prints what `ovstest test-ovn parse-actions` prints for
// each action string on stdin. --context is a test-ovn style context file
// (the vectors' context.json).
func runParseActions(args []string, in io.Reader, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("chassisd debug parse-actions", flag.ContinueOnError)
	fs.SetOutput(errOut)
	ctxFile := fs.String("context", "", "test-ovn style context JSON (ports, parse/encode parameters, option tables)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *ctxFile == "" {
		fmt.Fprintln(errOut, "chassisd debug parse-actions: --context FILE is required")
		return 2
	}
	f, err := os.Open(*ctxFile)
	if err != nil {
		fmt.Fprintln(errOut, "chassisd debug:", err)
		return 1
	}
	defer f.Close()
	ctx, err := actions.LoadContext(f)
	if err != nil {
		fmt.Fprintln(errOut, "chassisd debug:", err)
		return 1
	}
	if err := actions.RunParseActions(ctx, in, out); err != nil {
		fmt.Fprintln(errOut, "chassisd debug:", err)
		return 1
	}
	return 0
}
