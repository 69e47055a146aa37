package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
)

// AgentKind selects the chassis agent.
type AgentKind string

const (
	// AgentOVNController is the real ovn-controller (the reference).
	AgentOVNController AgentKind = "ovn-controller"
	// AgentChassisd is this project's agent.
	AgentChassisd AgentKind = "chassisd"
)

// Environment variables read by AgentSpec defaults.
const (
	// AgentEnv picks the agent: "ovn-controller" (default) or "chassisd".
	AgentEnv = "CHASSISD_E2E_AGENT"
	// ChassisdBinEnv is the path of the chassisd binary when the spec has none.
	ChassisdBinEnv = "CHASSISD_BIN"
)

// AgentKindFromEnv returns the agent named by CHASSISD_E2E_AGENT, defaulting
// to ovn-controller.
func AgentKindFromEnv() (AgentKind, error) {
	switch v := os.Getenv(AgentEnv); v {
	case "", string(AgentOVNController):
		return AgentOVNController, nil
	case string(AgentChassisd):
		return AgentChassisd, nil
	default:
		return "", fmt.Errorf("%s=%q: want %q or %q", AgentEnv, v, AgentOVNController, AgentChassisd)
	}
}

// AgentSpec says which agent to start and how.
type AgentSpec struct {
	// Kind is the agent; empty means AgentKindFromEnv().
	Kind AgentKind
	// Binary is the agent's executable: required for chassisd unless
	// CHASSISD_BIN is set; defaults to "ovn-controller" from PATH.
	Binary string
	// Args are extra flags placed before the OVS database argument.
	Args []string
	// Env are extra KEY=VALUE entries added to the environment (OVS_RUNDIR
	// and OVN_RUNDIR already point to the chassis directory).
	Env []string
}

// Resolve fills in Kind and Binary from the environment.
func (s AgentSpec) Resolve() (AgentSpec, error) {
	if s.Kind == "" {
		k, err := AgentKindFromEnv()
		if err != nil {
			return s, err
		}
		s.Kind = k
	}
	if s.Binary == "" {
		switch s.Kind {
		case AgentOVNController:
			s.Binary = "ovn-controller"
		case AgentChassisd:
			s.Binary = os.Getenv(ChassisdBinEnv)
			if s.Binary == "" {
				return s, fmt.Errorf("agent chassisd needs AgentSpec.Binary or %s", ChassisdBinEnv)
			}
		default:
			return s, fmt.Errorf("unknown agent kind %q", s.Kind)
		}
	}
	return s, nil
}

// StartAgent starts the agent against this chassis' OVS database, inside the
// chassis' network namespace if it has one, and waits until its control
// socket $OVN_RUNDIR/ovn-controller.<pid>.ctl answers (both agents create
// it). Its log is <dir>/ovn-controller.log, or <dir>/chassisd.out (stderr).
func (ch *Chassis) StartAgent(spec AgentSpec) error {
	spec, err := spec.Resolve()
	if err != nil {
		return err
	}
	if ch.agent != nil && !ch.agent.exited() {
		return fmt.Errorf("chassis %s already runs agent %s", ch.opts.Name, ch.agentKind)
	}
	argv := []string{spec.Binary}
	if spec.Kind == AgentOVNController {
		// 23.03 has no --unixctl: its control socket is
		// $OVN_RUNDIR/ovn-controller.<pid>.ctl.
		argv = append(argv, "-vconsole:err", "--log-file="+filepath.Join(ch.dir, "ovn-controller.log"))
	}
	argv = append(argv, spec.Args...)
	argv = append(argv, ch.DBRemote())
	d, err := startDaemon(string(spec.Kind), ch.dir, ch.opts.Netns, append(ch.env(), spec.Env...), argv)
	if err != nil {
		return err
	}
	ch.agent, ch.agentKind = d, spec.Kind
	if err := waitSocket(d, ch.controllerCtl(), DefaultTimeout); err != nil {
		return fmt.Errorf("wait for %s control socket on %s: %w", spec.Kind, ch.opts.Name, err)
	}
	return nil
}

// MustStartAgent is StartAgent that fails the test on error.
func (ch *Chassis) MustStartAgent(spec AgentSpec) {
	ch.must(ch.StartAgent(spec))
}

// AgentKind is the kind of the agent last started ("" if none).
func (ch *Chassis) AgentKind() AgentKind { return ch.agentKind }

// AgentRunning reports whether the agent process is alive.
func (ch *Chassis) AgentRunning() bool { return ch.agent != nil && !ch.agent.exited() }

// AgentPid is the agent's process id (0 if none was started).
func (ch *Chassis) AgentPid() int {
	if ch.agent == nil {
		return 0
	}
	return ch.agent.pid()
}

// StopAgent stops the agent with SIGTERM (SIGKILL after a grace period); the
// Chassis row and bindings stay, as after a restart-style exit.
func (ch *Chassis) StopAgent() error {
	err := ch.agent.stop()
	ch.agent = nil
	return err
}

// KillAgent kills the agent with SIGKILL (a crash: nothing is cleaned up,
// its control socket stays behind).
func (ch *Chassis) KillAgent() error {
	err := ch.agent.kill()
	ch.agent = nil
	return err
}

// AgentLog is the agent's log so far (chassisd writes to stderr, captured
// in <dir>/chassisd.out; ovn-controller to ovn-controller.log).
func (ch *Chassis) AgentLog() string {
	name := string(AgentChassisd) + ".out"
	if ch.agentKind == AgentOVNController {
		name = "ovn-controller.log"
	}
	b, _ := os.ReadFile(filepath.Join(ch.dir, name))
	return string(b)
}

// AgentAppctl runs ovs-appctl against the agent's control socket.
func (ch *Chassis) AgentAppctl(args ...string) (string, error) {
	if ch.agent == nil {
		return "", fmt.Errorf("chassis %s runs no agent", ch.opts.Name)
	}
	return run(append([]string{"ovs-appctl", "-t", ch.controllerCtl()}, args...)...)
}

// ControllerAppctl is AgentAppctl (kept for callers written against
// ovn-controller).
func (ch *Chassis) ControllerAppctl(args ...string) (string, error) { return ch.AgentAppctl(args...) }

// ExitAgent asks the agent to exit through its control socket and waits for
// it: with restart=false ("exit") it removes its Chassis row and releases
// its ports first; with restart=true ("exit --restart") it leaves them.
func (ch *Chassis) ExitAgent(restart bool) error {
	args := []string{"exit"}
	if restart {
		args = append(args, "--restart")
	}
	if _, err := ch.AgentAppctl(args...); err != nil {
		return err
	}
	d := ch.agent
	if err := Eventually(DefaultTimeout, func() (bool, error) { return d.exited(), nil }); err != nil {
		return fmt.Errorf("%s on %s did not exit: %w", ch.agentKind, ch.opts.Name, err)
	}
	ch.agent = nil
	return nil
}

func (ch *Chassis) controllerCtl() string {
	return filepath.Join(ch.dir, fmt.Sprintf("ovn-controller.%d.ctl", ch.agent.pid()))
}
