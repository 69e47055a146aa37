package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Daemonizing without fork: OVS daemons fork; a Go program re-executes
// itself instead. The original process (the launcher) starts a child with
// the same arguments and a pipe on fd 3; the child runs the agent and
// writes one byte to the pipe once its pidfile and control socket exist
// (daemonize_complete), and the launcher then exits 0. With --monitor the
// child is a monitor that starts the daemon the same way and restarts it
// when it crashes.

const (
	// stageEnv tells a re-executed chassisd which part it plays.
	stageEnv     = "CHASSISD_DAEMON_STAGE"
	stageMonitor = "monitor"
	stageDaemon  = "daemon"
	// readyFD is the pipe to the parent, in a re-executed child.
	readyFD = 3
)

// needsChild reports whether the process must re-execute itself: to
// detach, to be monitored, or to change user.
func (o *options) needsChild() bool { return o.detach || o.monitor || o.user != "" }

// childStage is the stage the launcher starts.
func (o *options) childStage() string {
	if o.monitor {
		return stageMonitor
	}
	return stageDaemon
}

// spawn starts this executable again as stage, with a pipe on fd 3 for the
// readiness byte. setsid puts it in a new session (--detach).
func spawn(stage string, setsid bool, cred *syscall.Credential) (*exec.Cmd, *os.File, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find my executable: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), stageEnv+"="+stage)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
	if cred != nil {
		cmd.SysProcAttr.Credential = cred
		// Keep what a chassis agent needs after dropping root, as OVS
		// keeps CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BROADCAST for
		// daemons that access the datapath.
		cmd.SysProcAttr.AmbientCaps = []uintptr{capNetAdmin, capNetRaw, capNetBroadcast}
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, nil, fmt.Errorf("start %s: %w", stage, err)
	}
	w.Close()
	return cmd, r, nil
}

const (
	capNetBroadcast = 11
	capNetAdmin     = 12
	capNetRaw       = 13
)

// waitReady waits for the child's readiness byte; it reports false when
// the pipe closed first (the child died or failed during startup).
func waitReady(r *os.File) bool {
	defer r.Close()
	var b [1]byte
	n, _ := r.Read(b[:])
	return n == 1
}

// runLauncher is the original process when a child is needed. With
// --detach it exits once the daemon is up; without, it stays in the
// foreground (--monitor or --user only), passing signals on and exiting
// as the child does.
func runLauncher(o *options) int {
	cred, err := credentialFor(o.user)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", programName, err)
		return 1
	}
	cmd, ready, err := spawn(o.childStage(), o.detach, cred)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: could not detach from foreground session (%v)\n", programName, err)
		return 1
	}
	if o.detach {
		if waitReady(ready) {
			return 0
		}
		err := cmd.Wait()
		fmt.Fprintf(os.Stderr, "%s: fork child died before signaling startup (%s)\n", programName, statusText(cmd.ProcessState, err))
		return 1
	}
	ready.Close()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	_ = cmd.Wait()
	signal.Stop(sigs)
	return exitCode(cmd.ProcessState)
}

// runMonitor is --monitor's process: it starts the daemon and restarts it
// when it crashes (killed by SIGSEGV, SIGABRT, ... as OVS's monitor does,
// or a Go runtime panic, which exits 2), at most once every 10 seconds.
// Any other exit ends the monitor.
func runMonitor(o *options, log *slog.Logger) int {
	parentReady := os.NewFile(readyFD, "ready")
	var lastStart time.Time
	crashes := 0
	for first := true; ; first = false {
		if wait := 10*time.Second - time.Since(lastStart); !first && wait > 0 {
			log.Warn(fmt.Sprintf("%d crashes: waiting until 10 seconds since last restart", crashes))
			time.Sleep(wait)
		}
		lastStart = time.Now()
		cmd, ready, err := spawn(stageDaemon, false, nil)
		if err != nil {
			log.Error("could not initiate process monitoring", "err", err)
			return 1
		}
		up := waitReady(ready)
		if first {
			if !up {
				_ = cmd.Wait()
				return exitCode(cmd.ProcessState)
			}
			if parentReady != nil {
				_, _ = parentReady.Write([]byte{0})
				parentReady.Close()
			}
			if o.detach {
				detachStdio()
			}
		}
		_ = cmd.Wait()
		st := cmd.ProcessState
		if !crashed(st) {
			log.Info(fmt.Sprintf("pid %d died, %s, exiting", cmd.Process.Pid, statusText(st, nil)))
			return 0
		}
		crashes++
		log.Error(fmt.Sprintf("%d crashes: pid %d died, %s, restarting", crashes, cmd.Process.Pid, statusText(st, nil)))
	}
}

// crashed reports whether the daemon died in a way the monitor restarts.
func crashed(st *os.ProcessState) bool {
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok {
		return false
	}
	if ws.Signaled() {
		switch ws.Signal() {
		case syscall.SIGABRT, syscall.SIGALRM, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL,
			syscall.SIGPIPE, syscall.SIGSEGV, syscall.SIGXCPU, syscall.SIGXFSZ:
			return true
		}
		return false
	}
	return ws.Exited() && ws.ExitStatus() == 2 // Go runtime panic or fatal error
}

func statusText(st *os.ProcessState, err error) string {
	if st == nil {
		if err != nil {
			return err.Error()
		}
		return "unknown status"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed (" + signalName(ws.Signal()) + ")"
	}
	return fmt.Sprintf("exit status %d", st.ExitCode())
}

func signalName(s syscall.Signal) string {
	name := s.String()
	if name == "" {
		return "signal " + strconv.Itoa(int(s))
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

func exitCode(st *os.ProcessState) int {
	if st == nil {
		return 1
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}

// notifyReady tells the parent (launcher or monitor) that startup is
// complete; a no-op when the process was not started as a child.
func notifyReady() {
	if os.Getenv(stageEnv) == "" {
		return
	}
	f := os.NewFile(readyFD, "ready")
	if f == nil {
		return
	}
	_, _ = f.Write([]byte{0})
	f.Close()
}

// detachStdio points stdin, stdout and stderr at /dev/null, as a detached
// OVS daemon does once it is up.
func detachStdio() {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer null.Close()
	for fd := 0; fd <= 2; fd++ {
		_ = syscall.Dup3(int(null.Fd()), fd, 0)
	}
}

// credentialFor resolves --user=USER[:GROUP]: the user's uid, the group's
// gid (default the user's primary group) and the user's groups.
func credentialFor(spec string) (*syscall.Credential, error) {
	if spec == "" {
		return nil, nil
	}
	userName, groupName, hasGroup := strings.Cut(spec, ":")
	u, err := user.Lookup(userName)
	if err != nil {
		return nil, fmt.Errorf("--user=%s: %w", spec, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if hasGroup {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			return nil, fmt.Errorf("--user=%s: %w", spec, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if n, err := strconv.Atoi(id); err == nil {
				groups = append(groups, uint32(n))
			}
		}
	}
	if os.Geteuid() != 0 && uid != os.Geteuid() {
		return nil, errors.New("--user: only root can change the daemon's user")
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}
