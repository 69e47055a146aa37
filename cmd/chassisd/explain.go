package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chassisd/chassisd/agent"
	"github.com/chassisd/chassisd/agent/explain"
	"github.com/chassisd/chassisd/agent/unixctl"
)

// registerExplain adds the explain command to the control socket, so that
// `ovn-appctl -t ovn-controller explain ...` works too.
func registerExplain(ctl *unixctl.Server, a *agent.Agent) {
	ctl.RegisterCommand(unixctl.Command{Name: "explain", Usage: "--from PORT --to IP[:PORT] [options] | FLOW", MaxArgs: -1,
		Handler: a.ExplainCommand})
}

const explainCLIUsage = `
chassisd explain runs the explain command of the chassisd running on this
node, found through its control socket as ovn-appctl finds ovn-controller's:
$OVN_RUNDIR/ovn-controller.pid names it (OVN_RUNDIR defaults to /var/run/ovn).
  -t, --target SOCKET    the control socket (a path, or a name in $OVN_RUNDIR)
  --timeout SECONDS      give up after this long (default 60)
`

// runExplain is `chassisd explain [-t SOCKET] ARGS...`.
func runExplain(args []string, out, errOut io.Writer) int {
	target, timeout, rest, err := explainCLIFlags(args)
	if err != nil {
		fmt.Fprintln(errOut, "chassisd explain:", err)
		return 2
	}
	// Check the arguments here so that mistakes and -h need no daemon.
	if _, err := explain.ParseArgs(rest); errors.Is(err, explain.ErrHelp) {
		fmt.Fprint(out, explain.Usage(), explainCLIUsage)
		return 0
	} else if err != nil {
		fmt.Fprintf(errOut, "chassisd explain: %v\n(chassisd explain -h for help)\n", err)
		return 2
	}
	sock, err := controlSocket(target)
	if err != nil {
		fmt.Fprintln(errOut, "chassisd explain:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := unixctl.Call(ctx, sock, "explain", rest...)
	if err != nil {
		var ce *unixctl.CommandError
		if errors.As(err, &ce) {
			fmt.Fprintln(errOut, "chassisd explain:", strings.TrimSpace(ce.Message))
			return 2
		}
		fmt.Fprintln(errOut, "chassisd explain:", err)
		return 1
	}
	fmt.Fprint(out, res)
	return 0
}

// explainCLIFlags takes out the flags that concern finding the daemon.
func explainCLIFlags(args []string) (target string, timeout time.Duration, rest []string, err error) {
	timeout = 60 * time.Second
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "t" && name != "target" && name != "timeout") {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return "", 0, nil, fmt.Errorf("%s needs a value", a)
			}
			i++
			val = args[i]
		}
		if name == "timeout" {
			secs, err := strconv.ParseFloat(val, 64)
			if err != nil || secs <= 0 {
				return "", 0, nil, fmt.Errorf("--timeout %q: want seconds", val)
			}
			timeout = time.Duration(secs * float64(time.Second))
			continue
		}
		target = val
	}
	return target, timeout, rest, nil
}

// controlSocket finds the agent's unixctl socket as chassisd ctl and
// ovs-appctl -t do (resolveTarget; default ovn-controller). Without a
// pidfile (chassisd writes one only with --pidfile, as ovn-controller), the
// one <name>.<pid>.ctl in $OVN_RUNDIR whose process is alive is used.
func controlSocket(target string) (string, error) {
	if target == "" {
		target = programName
	}
	path, err := resolveTarget(target)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return path, err
	}
	dir := ovnRunDir()
	matches, _ := filepath.Glob(filepath.Join(dir, target+".*.ctl"))
	var alive []string
	for _, m := range matches {
		pidText := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), target+"."), ".ctl")
		if pid, err := strconv.Atoi(pidText); err == nil && syscall.Kill(pid, 0) == nil {
			alive = append(alive, m)
		}
	}
	switch len(alive) {
	case 1:
		return alive[0], nil
	case 0:
		return "", fmt.Errorf("no running %s found in %s (no %s.pid, no live %s.<pid>.ctl); is chassisd running? (-t SOCKET, or set OVN_RUNDIR)", target, dir, target, target)
	}
	return "", fmt.Errorf("several %s control sockets in %s: %s; pick one with -t", target, dir, strings.Join(alive, ", "))
}
