package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestSouthboundTLS: the Southbound listens only on SSL (certificates from
// ovs-pki) and the agent connects with --private-key/--certificate/
// --ca-cert, then with the Open_vSwitch SSL table; a wrong CA is refused
// with a clear error; a key that does not match its certificate is logged
// and retried, and fixing the files on disk is picked up without a
// restart.
func TestSouthboundTLS(t *testing.T) {
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("end-to-end suite disabled; set %s=1 to run it", EnableEnv)
	}
	sandbox.RequireRoot(t)
	agent := agentSpec(t)
	chassisd := agent.Kind == sandbox.AgentChassisd
	dir := t.TempDir()
	pki := sandbox.NewPKI(t, dir)
	server, err := pki.Sign("sb")
	must(t, err)
	client, err := pki.Sign("hv1")
	must(t, err)
	foreign := sandbox.NewPKI(t, dir+"/foreign")
	foreignFiles, err := foreign.Sign("hv1")
	must(t, err)

	// The central runs on the underlay so the chassis reaches its SSL
	// remote over TCP.
	ul := sandbox.NewNetns(t, uniq("ul"))
	mustRun(t, ul.Exec, "ip", "link", "add", "br-ul", "type", "bridge")
	mustRun(t, ul.Exec, "ip", "addr", "add", underlayPrefix+"254/24", "dev", "br-ul")
	mustRun(t, ul.Exec, "ip", "link", "set", "br-ul", "up")
	mustRun(t, ul.Exec, "ip", "link", "set", "lo", "up")
	central := sandbox.NewCentral(t, sandbox.CentralOptions{Netns: ul.Name, ListenIP: underlayPrefix + "254",
		SBSSLPort: 6642, SBSSL: server})
	tp := &Topology{t: t, Central: central, Underlay: ul, Agent: agent}
	hv1 := tp.AddNode("hv1")
	ls := neutronNetwork(t, tp, "7150aaaa-0000-0000-0000-000000000001", "tls-net", "1442")

	// From now on the only way to the Southbound is SSL.
	must(t, hv1.StopAgent())
	must(t, hv1.SetExternalIDs(map[string]string{"ovn-remote": central.SBRemoteSSL()}))
	phase := 0
	// connected checks the agent's Southbound connection: a new port bound
	// to hv1 goes up only if the agent claims it.
	connected := func(within time.Duration) error {
		phase++
		lport := "tls-p" + string(rune('0'+phase))
		central.MustNbctl("lsp-add", ls, lport, "--", "lsp-set-addresses", lport, "unknown",
			"--", "lsp-set-options", lport, "requested-chassis=hv1")
		must(t, hv1.AddVIF("tls"+string(rune('0'+phase)), "internal", lport))
		return sandbox.Eventually(within, func() (bool, error) {
			out, err := central.Sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port="+lport)
			return err == nil && strings.TrimSpace(out) == "true", nil
		})
	}
	restart := func(args ...string) {
		t.Helper()
		if hv1.AgentRunning() {
			must(t, hv1.StopAgent())
		}
		spec := agent
		spec.Args = append(append([]string{}, agent.Args...), args...)
		must(t, hv1.StartAgent(spec))
	}

	t.Run("command-line files", func(t *testing.T) {
		restart(client.Args()...)
		if err := connected(settle); err != nil {
			t.Fatalf("no Southbound over SSL with --private-key/--certificate/--ca-cert: %v", err)
		}
	})

	t.Run("wrong CA refused", func(t *testing.T) {
		wrong := client
		wrong.CACert = foreign.CACert()
		restart(wrong.Args()...)
		if err := connected(5 * time.Second); err == nil {
			t.Fatal("connected to a server whose certificate the CA file does not sign")
		}
		if chassisd && !strings.Contains(hv1.AgentLog(), "SSL peer certificate is not signed by the CA in "+foreign.CACert()) {
			t.Errorf("no clear error for the wrong CA in the log:\n%s", tail(hv1.AgentLog(), 10))
		}
	})

	t.Run("bad key retried, fixed on disk", func(t *testing.T) {
		// The key of another certificate: a mismatch.
		bad := sandbox.SSLFiles{PrivateKey: dir + "/live-privkey.pem", Certificate: dir + "/live-cert.pem", CACert: client.CACert}
		copyFile(t, foreignFiles.PrivateKey, bad.PrivateKey)
		copyFile(t, client.Certificate, bad.Certificate)
		restart(bad.Args()...)
		time.Sleep(3 * time.Second)
		if !hv1.AgentRunning() {
			t.Fatalf("the agent exited on a bad key (ovn-controller keeps running):\n%s", tail(hv1.AgentLog(), 10))
		}
		if chassisd && !strings.Contains(hv1.AgentLog(), "SSL key "+bad.PrivateKey) {
			t.Errorf("the bad key is not named in the log:\n%s", tail(hv1.AgentLog(), 10))
		}
		// Rotate the files in place: the next attempt uses them.
		copyFile(t, client.PrivateKey, bad.PrivateKey)
		within := settle
		if !chassisd {
			within = 10 * time.Second
		}
		if err := connected(within); err != nil {
			if !chassisd {
				// ovn-controller 23.03 here: measured, not a goal.
				t.Skipf("reference agent did not pick up the fixed key without a restart: %v", err)
			}
			t.Fatalf("fixed key not picked up without a restart: %v", err)
		}
	})

	t.Run("SSL table", func(t *testing.T) {
		restart()
		if _, err := hv1.Vsctl("set-ssl", client.PrivateKey, client.Certificate, client.CACert); err != nil {
			t.Fatal(err)
		}
		if err := connected(settle); err != nil {
			t.Fatalf("no Southbound over SSL with the files of the Open_vSwitch SSL table: %v", err)
		}
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	tmp := to + ".tmp"
	must(t, os.WriteFile(tmp, b, 0o600))
	must(t, os.Rename(tmp, to))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
