package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDHCP: a VM without an address gets its fixed IP, router and MTU from
// OVN's native DHCP (answered by the agent on the VM's chassis), as Neutron
// configures it with DHCP_Options.
func TestDHCP(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	ls := neutronNetwork(t, tp, "d4c90000-0000-0000-0000-000000000001", "dhcp-net", "1442")
	neutronPort(t, tp, ls, "dh-vm1", "fa:16:3e:d4:00:01", "192.168.101.11", "hv1")
	nb := tp.Central.MustNbctl
	opts := nb("dhcp-options-create", "192.168.101.0/24")
	if opts == "" {
		opts = nb("--bare", "--columns=_uuid", "find", "DHCP_Options", `cidr="192.168.101.0/24"`)
	}
	nb("dhcp-options-set-options", opts, "lease_time=43200", "router=192.168.101.254",
		"server_id=192.168.101.254", "server_mac=fa:16:3e:d4:ff:fe", "mtu=1442", "dns_server={192.168.101.53}")
	nb("lsp-set-dhcpv4-options", "dh-vm1", opts)
	must(t, tp.Central.WaitSync())
	vm := hv1.AddVM("dhvm1", "dh-vm1", "fa:16:3e:d4:00:01", "", 1500, "")

	// udhcpc hands the lease to a script; ours just prints it.
	script := filepath.Join(t.TempDir(), "lease.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1 ip=$ip mask=$mask router=$router mtu=$mtu dns=$dns\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out string
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		out, err = vm.NS.Exec("busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "4", "-T", "2",
			"-O", "mtu", "-O", "router", "-O", "dns", "-s", script)
		if strings.Contains(out, "bound ip=") {
			break
		}
	}
	if !strings.Contains(out, "bound ip=") {
		t.Fatalf("no DHCP lease: %v\n%s", err, out)
	}
	t.Logf("udhcpc: %s", strings.TrimSpace(out))
	for _, want := range []string{"ip=192.168.101.11", "mask=24", "router=192.168.101.254", "mtu=1442", "dns=192.168.101.53"} {
		if !strings.Contains(out, want) {
			t.Errorf("lease %q lacks %s", out, want)
		}
	}
}
