package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chassisd/chassisd/agent/metrics"
	"github.com/chassisd/chassisd/agent/unixctl"
	"github.com/chassisd/chassisd/agent/vlog"
)

// registerProcessCommands adds the commands every OVS daemon answers
// (exit, version, vlog/*, coverage/*, stopwatch/*); the agent adds its own.
func registerProcessCommands(s *unixctl.Server, vl *vlog.Log, exitReq chan<- bool) {
	cmd := func(name, usage string, minArgs, maxArgs int, h unixctl.Handler) {
		s.RegisterCommand(unixctl.Command{Name: name, Usage: usage, MinArgs: minArgs, MaxArgs: maxArgs, Handler: h})
	}
	cmd("exit", "", 0, 1, func(args []string) (string, error) {
		restart := len(args) == 1 && args[0] == "--restart"
		select {
		case exitReq <- restart:
		default: // already exiting
		}
		return "", nil
	})
	cmd("version", "", 0, 0, func([]string) (string, error) { return programVersion(), nil })

	cmd("vlog/set", "{spec | PATTERN:destination:pattern}", 0, -1, func(args []string) (string, error) {
		if len(args) == 0 {
			vl.SetLevels("", -1, vlog.Dbg)
		}
		for _, a := range args {
			if err := vl.SetLevelsFromString(a); err != nil {
				return "", err
			}
		}
		return "", nil
	})
	cmd("vlog/list", "", 0, 0, func([]string) (string, error) { return vl.Levels(), nil })
	cmd("vlog/list-pattern", "", 0, 0, func([]string) (string, error) { return vl.Patterns(), nil })
	cmd("vlog/reopen", "", 0, 0, func([]string) (string, error) { return "", vl.Reopen() })
	cmd("vlog/close", "", 0, 0, func([]string) (string, error) { return "", vl.SetLogFile("") })
	// Rate limits belong to the call sites that a guest can trigger; these
	// commands exist so scripts written for OVS do not fail.
	cmd("vlog/enable-rate-limit", "[module]...", 0, -1, func([]string) (string, error) { return "", nil })
	cmd("vlog/disable-rate-limit", "[module]...", 0, -1, func([]string) (string, error) { return "", nil })

	cmd("coverage/show", "", 0, 0, func([]string) (string, error) { return metrics.ShowCoverage(), nil })
	cmd("coverage/read-counter", "COUNTER", 1, 1, func(args []string) (string, error) {
		v, ok := metrics.ReadCounter(args[0])
		if !ok {
			return "", errors.New("No such counter")
		}
		return fmt.Sprintf("%d\n", v), nil
	})
	cmd("stopwatch/show", "[NAME]", 0, 1, func(args []string) (string, error) {
		return metrics.ShowStopwatch(strings.Join(args, ""))
	})
	cmd("stopwatch/reset", "[NAME]", 0, 1, func(args []string) (string, error) {
		metrics.ResetStopwatch(strings.Join(args, ""))
		return "", nil
	})
}
