package agent_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chassisd/chassisd/agent"
	"github.com/chassisd/chassisd/e2e/sandbox"
	"github.com/chassisd/chassisd/metadata"
)

// TestMetadataAgentRegistration checks the Chassis_Private external_ids by
// which neutron-server lists the metadata agent: the UUIDv5 id (kept once
// there), the bridge and the SB nb_cfg echo, written again when the row is
// re-created.
func TestMetadataAgentRegistration(t *testing.T) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("compute-0", "172.16.0.1", "geneve")
	ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev")
	ini := filepath.Join(t.TempDir(), "metadata_agent.ini")
	if err := os.WriteFile(ini, []byte("[DEFAULT]\nmetadata_proxy_shared_secret = s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := metadata.LoadConfig(ini)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	a, err := agent.New(agent.Options{
		OVSRemote: ch.DBRemote(), RetryInterval: 200 * time.Millisecond,
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OVSRunDir: ch.Dir(),
		// No network is served here; a private directory keeps the
		// stale-namespace cleanup away from the host's.
		Metadata: agent.MetadataOptions{Config: cfg, NetnsDir: t.TempDir()},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.Run(ctx); err != nil {
			t.Errorf("agent: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if t.Failed() {
			t.Logf("chassisd log:\n%s", tail(logs.String(), 80))
		}
	})

	ids := func() map[string]string {
		rows := sbFind(t, central, "Chassis_Private", "name=compute-0")
		if len(rows) == 0 {
			return nil
		}
		return sandbox.StringMap(rows[0]["external_ids"])
	}
	sbCfg := func() int {
		rows := sbQuery(t, central, "list", "SB_Global")
		if len(rows) == 0 {
			return 0
		}
		n, _ := rows[0]["nb_cfg"].(float64)
		return int(n)
	}
	const wantID = "eca540f8-aa0d-50f2-baf6-185d2a9cb948" // reference §3, system-id compute-0
	eventually(t, 20*time.Second, "metadata agent registered", func() (bool, error) {
		m := ids()
		return m["neutron:ovn-metadata-id"] == wantID && m["neutron:ovn-bridge"] == "br-int" && m["neutron:ovn-metadata-sb-cfg"] != "", nil
	})

	// SB_Global.nb_cfg changes: the first is echoed at once, later ones
	// within max(3, min(75/3, 10)) = 10 s.
	for i := 0; i < 2; i++ {
		central.MustNbctl("--wait=sb", "sync")
		want := strconv.Itoa(sbCfg())
		limit := 3 * time.Second
		if i > 0 {
			limit = 13 * time.Second
		}
		eventually(t, limit, "neutron:ovn-metadata-sb-cfg = "+want, func() (bool, error) {
			return ids()["neutron:ovn-metadata-sb-cfg"] == want, nil
		})
	}

	// An id already there is kept.
	central.MustSbctl("set", "Chassis_Private", "compute-0", `external_ids:"neutron:ovn-metadata-id"=kept`)
	central.MustNbctl("--wait=sb", "sync")
	want := strconv.Itoa(sbCfg())
	eventually(t, 13*time.Second, "sb-cfg after the id changed", func() (bool, error) {
		return ids()["neutron:ovn-metadata-sb-cfg"] == want, nil
	})
	if id := ids()["neutron:ovn-metadata-id"]; id != "kept" {
		t.Errorf("neutron:ovn-metadata-id overwritten: %q", id)
	}

	// The row re-created (as by another ovn-controller run): registered
	// again.
	central.MustSbctl("destroy", "Chassis_Private", "compute-0")
	eventually(t, 20*time.Second, "registered again after re-creation", func() (bool, error) {
		m := ids()
		return m["neutron:ovn-metadata-id"] == wantID && m["neutron:ovn-bridge"] == "br-int" && m["neutron:ovn-metadata-sb-cfg"] == want, nil
	})
	if !strings.Contains(logs.String(), "registering the metadata agent again") {
		t.Errorf("no log line about the re-registration")
	}
}
