package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chassisd/chassisd/agent/unixctl"
)

// runCtl is `chassisd ctl [-t TARGET] [-T SECS] COMMAND [ARG...]`: what
// ovn-appctl does, so an image without OVS's tools can drive the agent.
// TARGET is a socket path or a program name whose pidfile in $OVN_RUNDIR
// names the socket (default ovn-controller). Exit codes are ovs-appctl's:
// 0 success, 2 the command failed, 1 the target could not be reached.
func runCtl(args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("chassisd ctl", flag.ContinueOnError)
	fs.SetOutput(errOut)
	target := fs.String("t", programName, "target: a control socket path or a program name with a pidfile in $OVN_RUNDIR")
	timeout := fs.Int("T", 0, "give up after this many seconds (0: never)")
	fs.Usage = func() {
		fmt.Fprintln(errOut, "usage: chassisd ctl [-t TARGET] [-T SECS] COMMAND [ARG...]\n(use the command list-commands to see the commands)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 1
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 1
	}
	path, err := resolveTarget(*target)
	if err != nil {
		fmt.Fprintf(errOut, "chassisd ctl: %v\n", err)
		return 1
	}
	ctx := context.Background()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*timeout)*time.Second)
		defer cancel()
	}
	res, err := unixctl.Call(ctx, path, fs.Arg(0), fs.Args()[1:]...)
	var cmdErr *unixctl.CommandError
	switch {
	case errors.As(err, &cmdErr):
		fmt.Fprintln(errOut, cmdErr.Message)
		fmt.Fprintln(errOut, "chassisd ctl: "+path+": server returned an error")
		return 2
	case err != nil:
		fmt.Fprintf(errOut, "chassisd ctl: %v\n", err)
		return 1
	}
	fmt.Fprint(out, res)
	return 0
}

// resolveTarget turns -t into a socket path as ovs-appctl does: a path
// is used as is (relative to $OVN_RUNDIR); a name is looked up through
// its pidfile, $OVN_RUNDIR/NAME.pid, as NAME.<pid>.ctl.
func resolveTarget(target string) (string, error) {
	if strings.Contains(target, "/") || strings.HasSuffix(target, ".ctl") {
		if filepath.IsAbs(target) {
			return target, nil
		}
		return filepath.Join(ovnRunDir(), target), nil
	}
	pidfile := filepath.Join(ovnRunDir(), target+".pid")
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return "", fmt.Errorf("cannot read pidfile %q (%w)", pidfile, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return "", fmt.Errorf("%s: pidfile holds no pid", pidfile)
	}
	return filepath.Join(ovnRunDir(), fmt.Sprintf("%s.%d.ctl", target, pid)), nil
}
