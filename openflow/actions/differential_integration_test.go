//go:build integration

package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/expr"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// TestDifferentialAgainstOVNController builds a small topology (switch,
// router, NAT, load balancers, ACLs with log/reject, DHCP, DNS, virtual
// port, QoS, ECMP, forwarding group) in a private sandbox with the installed
// ovn-northd and ovn-controller (Debian: 23.03.1), then checks that every
// logical flow installed on br-int has exactly the actions our encoder
// produces with OVN2303 set.
//
// Known, deliberate differences are normalised, not hidden:
//   - group and meter ids depend on allocation order: groups are compared by
//     their OVS-canonical description, meters by position only;
//   - OVS prints the NXAST_DEC_TTL_CNT_IDS form OVN sends as "dec_ttl()";
//     flow.DecTTL has no way to ask for that form (see the report);
//   - 23.03.x/24.03.0 drop a ct_commit that is not the first action (fixed
//     upstream in a8a4b87e1 "controller: Fix issue with ct_commit encode"); we
//     encode the fixed behaviour.
func TestDifferentialAgainstOVNController(t *testing.T) {
	for _, bin := range []string{"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl",
		"ovn-northd", "ovn-controller", "ovn-nbctl", "ovn-sbctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed", bin)
			}
			t.Skipf("%s not installed", bin)
		}
	}
	sb := startSandbox(t)
	sb.configure(t)

	lflows := sb.sbJSON(t, "_uuid,logical_datapath,logical_dp_group,pipeline,table_id,actions", "Logical_Flow")
	dpRows := sb.sbJSON(t, "_uuid,tunnel_key,external_ids", "Datapath_Binding")
	dpgRows := sb.sbJSON(t, "_uuid,datapaths", "Logical_DP_Group")
	pbRows := sb.sbJSON(t, "logical_port,datapath,tunnel_key", "Port_Binding")
	mcRows := sb.sbJSON(t, "name,datapath,tunnel_key", "Multicast_Group")
	flows := sb.run(t, "ovs-ofctl", "-O", "OpenFlow15", "--no-stats", "dump-flows", sb.mgmt("br-int"))
	realGroups := canonicalGroups(sb.run(t, "ovs-ofctl", "-O", "OpenFlow15", "dump-groups", sb.mgmt("br-int")))

	type datapath struct {
		key      uint32
		isSwitch bool
		ports    map[string]uint32
	}
	dps := map[string]*datapath{}
	for _, r := range dpRows {
		dps[sbUUID(r[0])] = &datapath{key: sbUint(r[1]), isSwitch: strings.Contains(string(r[2]), "logical-switch"), ports: map[string]uint32{}}
	}
	dpGroups := map[string][]string{}
	for _, r := range dpgRows {
		dpGroups[sbUUID(r[0])] = sbUUIDSet(r[1])
	}
	for _, rows := range [][][]json.RawMessage{pbRows, mcRows} {
		for _, r := range rows {
			var name string
			_ = json.Unmarshal(r[0], &name)
			if d := dps[sbUUID(r[1])]; d != nil {
				if _, dup := d.ports[name]; !dup {
					d.ports[name] = sbUint(r[2])
				}
			}
		}
	}

	groupRe := regexp.MustCompile(`group:(\d+)`)
	meterRe := regexp.MustCompile(`(meter:|meter_id=)\d+`)
	normalize := func(s string, groups map[string]string) string {
		s = groupRe.ReplaceAllStringFunc(s, func(g string) string { return "group:{" + groups[g[len("group:"):]] + "}" })
		s = strings.ReplaceAll(s, "dec_ttl()", "dec_ttl")
		return meterRe.ReplaceAllString(s, "${1}N")
	}
	installed := map[string]map[string]bool{}
	flowRe := regexp.MustCompile(`cookie=0x([0-9a-f]+), table=(\d+), .* actions=(.*)$`)
	for _, l := range strings.Split(flows, "\n") {
		if m := flowRe.FindStringSubmatch(l); m != nil {
			k := m[1] + "/" + m[2]
			if installed[k] == nil {
				installed[k] = map[string]bool{}
			}
			installed[k][normalize(m[3], realGroups)] = true
		}
	}

	symtab := expr.NewOVNSymtab()
	groups, meters := NewExtendTable("group-table", MaxGroupID), NewExtendTable("meter-table", MaxMeterID)
	type result struct{ lflow, key, got string }
	var results []result
	for _, r := range lflows {
		uuid := sbUUID(r[0])
		var pipe, actions string
		var table int
		_ = json.Unmarshal(r[3], &pipe)
		_ = json.Unmarshal(r[4], &table)
		_ = json.Unmarshal(r[5], &actions)
		dpl := []string{sbUUID(r[1])}
		if dpl[0] == "" {
			dpl = dpGroups[sbUUID(r[2])]
		}
		p, base := Ingress, pipeline.TableLogIngress
		if pipe == "egress" {
			p, base = Egress, pipeline.TableLogEgress
		}
		for _, du := range dpl {
			d := dps[du]
			if d == nil {
				continue
			}
			acts, _, err := Parse(actions, NewParseParams(symtab, p, table))
			if err != nil {
				continue // ovn-controller rejects it too (it logs the same error)
			}
			ep := DefaultEncodeParams(p, d.isSwitch)
			ep.OVN2303 = true
			ep.DPMeterSupport, ep.CTZeroSNATSupport, ep.DPHashL4Sym = true, true, true
			ep.GroupTable, ep.MeterTable, ep.DPKey = groups, meters, d.key
			ports := d.ports
			ep.LookupPort = func(n string) (uint32, bool) { k, ok := ports[n]; return k, ok }
			ep.LflowUUID, _ = ParseUUID(uuid)
			of, err := acts.Encode(&ep)
			if err != nil {
				t.Errorf("%s: encode: %v", actions, err)
				continue
			}
			key := strings.TrimLeft(uuid[:8], "0") + "/" + strconv.Itoa(base+table)
			results = append(results, result{actions, key, of.String()})
		}
	}
	ourGroups := canonicalGroups(sb.addGroups(t, groups))
	checked, upstreamBug := 0, 0
	for _, res := range results {
		want := installed[res.key]
		if len(want) == 0 {
			continue // not installed on this chassis
		}
		checked++
		got := normalize(res.got, ourGroups)
		if want[got] {
			continue
		}
		if want[dropLateCTCommit(got)] {
			upstreamBug++
			continue
		}
		var ws []string
		for w := range want {
			ws = append(ws, w)
		}
		sort.Strings(ws)
		t.Errorf("%s\n  ours:      %s\n  installed: %s", res.lflow, got, strings.Join(ws, "\n             "))
	}
	if checked < 250 {
		t.Errorf("only %d logical flows compared", checked)
	}
	t.Logf("%d logical flow encodings compared with ovn-controller; %d differ only by the upstream ct_commit bug", checked, upstreamBug)
}

// dropLateCTCommit removes top-level ct(commit...) actions that are not the
// first action, which OVN 23.03/24.03.0 lose when encoding.
func dropLateCTCommit(s string) string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || (s[i] == ',' && depth == 0) {
			parts = append(parts, s[start:i])
			start = i + 1
			continue
		}
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	out := parts[:1]
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, "ct(commit") {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

func canonicalGroups(dump string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(dump, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "group_id=") {
			continue
		}
		i := strings.IndexByte(l, ',')
		out[l[len("group_id="):i]] = l[i+1:]
	}
	return out
}

type sandbox struct {
	dir string
	env []string
}

func (s *sandbox) mgmt(br string) string { return "unix:" + filepath.Join(s.dir, br+".mgmt") }

func (s *sandbox) run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = s.dir, s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func startSandbox(t *testing.T) *sandbox {
	dir, err := os.MkdirTemp("/tmp", "actsbx")
	if err != nil {
		t.Fatal(err)
	}
	s := &sandbox{dir: dir}
	s.env = append(os.Environ(),
		"OVS_RUNDIR="+dir, "OVS_LOGDIR="+dir, "OVS_DBDIR="+dir,
		"OVN_RUNDIR="+dir, "OVN_LOGDIR="+dir, "OVN_DBDIR="+dir,
		"OVN_NB_DB=unix:"+dir+"/nb.sock", "OVN_SB_DB=unix:"+dir+"/sb.sock")
	t.Cleanup(func() {
		for _, pf := range []string{"controller", "northd", "vswitchd", "sb", "nb", "ovsdb"} {
			if b, err := os.ReadFile(filepath.Join(dir, pf+".pid")); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					_ = syscall.Kill(pid, syscall.SIGTERM)
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
		_ = os.RemoveAll(dir)
	})
	db := "unix:" + dir + "/db.sock"
	s.run(t, "ovsdb-tool", "create", "conf.db", "/usr/share/openvswitch/vswitch.ovsschema")
	s.run(t, "ovsdb-tool", "create", "nb.db", "/usr/share/ovn/ovn-nb.ovsschema")
	s.run(t, "ovsdb-tool", "create", "sb.db", "/usr/share/ovn/ovn-sb.ovsschema")
	for _, d := range [][3]string{{"ovsdb", "db.sock", "conf.db"}, {"nb", "nb.sock", "nb.db"}, {"sb", "sb.sock", "sb.db"}} {
		s.run(t, "ovsdb-server", "--detach", "--pidfile="+dir+"/"+d[0]+".pid", "--remote=punix:"+dir+"/"+d[1],
			"--unixctl="+dir+"/"+d[0]+".ctl", "--log-file="+dir+"/"+d[0]+".log", d[2])
	}
	s.run(t, "ovs-vsctl", "--db="+db, "--no-wait", "init")
	s.run(t, "ovs-vswitchd", "--detach", "--pidfile="+dir+"/vswitchd.pid", "--unixctl="+dir+"/vswitchd.ctl",
		"--log-file="+dir+"/vswitchd.log", "--enable-dummy=override", db)
	s.run(t, "ovn-northd", "--detach", "--pidfile="+dir+"/northd.pid", "--unixctl="+dir+"/northd.ctl",
		"--log-file="+dir+"/northd.log", "--ovnnb-db=unix:"+dir+"/nb.sock", "--ovnsb-db=unix:"+dir+"/sb.sock")
	s.run(t, "ovs-vsctl", "--db="+db, "set", "open_vswitch", ".", "external_ids:system-id=hv1",
		"external_ids:ovn-remote=unix:"+dir+"/sb.sock", "external_ids:ovn-encap-type=geneve",
		"external_ids:ovn-encap-ip=192.168.0.1")
	s.run(t, "ovn-controller", "--detach", "--pidfile="+dir+"/controller.pid", "--log-file="+dir+"/controller.log", db)
	s.env = append(s.env, "OVS_DB="+db)
	return s
}

func (s *sandbox) configure(t *testing.T) {
	db := "--db=unix:" + s.dir + "/db.sock"
	nb := func(args ...string) string { return strings.TrimSpace(s.run(t, "ovn-nbctl", args...)) }
	nb("ls-add", "sw0")
	nb("lsp-add", "sw0", "vm1", "--", "lsp-set-addresses", "vm1", "50:54:00:00:00:01 10.0.0.11 fd00::11",
		"--", "lsp-set-port-security", "vm1", "50:54:00:00:00:01 10.0.0.11 fd00::11")
	nb("lsp-add", "sw0", "vm2", "--", "lsp-set-addresses", "vm2", "50:54:00:00:00:02 10.0.0.12")
	nb("lsp-add", "sw0", "vm3", "--", "lsp-set-addresses", "vm3", "unknown")
	d4 := nb("create", "DHCP_Options", "cidr=10.0.0.0/24",
		`options="server_id"="10.0.0.1" "server_mac"="50:54:00:00:00:ff" "lease_time"="3600" "router"="10.0.0.1" `+
			`"dns_server"="{8.8.8.8,1.1.1.1}" "classless_static_route"="{169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1}" `+
			`"domain_search_list"="\"ovn.org,abc.ovn.org\"" "mtu"="1400" "domain_name"="\"ovn.org\"" `+
			`"bootfile_name"="\"pxe.efi\"" "tftp_server"="\"tftp.ovn.org\"" "ip_forward_enable"="1"`)
	nb("lsp-set-dhcpv4-options", "vm1", d4)
	d6 := nb("create", "DHCP_Options", `cidr=fd00\:\:/64`,
		`options="server_id"="50:54:00:00:00:ff" "dns_server"="{fd00::1}" "domain_search"="\"ovn.org\""`)
	nb("lsp-set-dhcpv6-options", "vm1", d6)
	dns := nb("create", "DNS", `records={"vm1.ovn.org"="10.0.0.11"}`)
	nb("add", "logical_switch", "sw0", "dns_records", dns)
	nb("acl-add", "sw0", "from-lport", "1001", `inport == "vm1" && ip4.dst == 10.0.0.12 && tcp`, "allow-related")
	nb("--log", "--name=acl1", "--severity=alert", "--meter=m1", "acl-add", "sw0", "to-lport", "1002", `outport == "vm1" && udp`, "reject")
	nb("--log", "acl-add", "sw0", "to-lport", "1003", `outport == "vm1" && icmp4`, "drop")
	nb("acl-add", "sw0", "from-lport", "1004", `inport == "vm1" && tcp.dst == 23`, "reject")
	nb("meter-add", "m1", "drop", "10", "pktps")
	nb("lb-add", "lb0", "10.0.0.100:80", "10.0.0.11:8080,10.0.0.12:8080", "tcp")
	nb("ls-lb-add", "sw0", "lb0")
	nb("lb-add", "lb1", "10.0.0.101:443", "10.0.0.11:8443,10.0.0.12:8443", "tcp")
	nb("set", "load_balancer", "lb1", "options:affinity_timeout=60", "selection_fields=ip_src,ip_dst")
	nb("ls-lb-add", "sw0", "lb1")
	nb("lb-add", "lb2", "10.0.0.102:80", "", "tcp")
	nb("set", "load_balancer", "lb2", "options:event=true")
	nb("ls-lb-add", "sw0", "lb2")
	nb("set", "nb_global", ".", "options:controller_event=true")
	nb("lsp-add", "sw0", "vip1", "--", "lsp-set-type", "vip1", "virtual", "--", "lsp-set-addresses", "vip1",
		"50:54:00:00:00:10 10.0.0.50", "--", "set", "logical_switch_port", "vip1",
		"options:virtual-ip=10.0.0.50", "options:virtual-parents=vm1,vm2")
	nb("set", "logical_switch", "sw0", "other_config:mcast_snoop=true")
	nb("qos-add", "sw0", "from-lport", "100", `inport == "vm1"`, "rate=10000", "burst=1000")
	nb("qos-add", "sw0", "from-lport", "101", `inport == "vm1" && udp`, "dscp=10")
	nb("fwd-group-add", "fg0", "sw0", "10.0.0.200", "50:54:00:00:00:20", "vm1", "vm2")
	nb("lr-add", "lr0")
	nb("lrp-add", "lr0", "lr0-sw0", "50:54:00:00:00:ff", "10.0.0.1/24", "fd00::1/64")
	nb("lsp-add", "sw0", "sw0-lr0", "--", "lsp-set-type", "sw0-lr0", "router", "--", "lsp-set-addresses",
		"sw0-lr0", "router", "--", "lsp-set-options", "sw0-lr0", "router-port=lr0-sw0")
	nb("lrp-add", "lr0", "lr0-pub", "50:54:00:00:01:ff", "172.16.0.1/24")
	nb("lrp-set-gateway-chassis", "lr0-pub", "hv1")
	nb("set", "logical_router_port", "lr0-pub", "options:gateway_mtu=1400")
	nb("set", "logical_router_port", "lr0-sw0", "ipv6_ra_configs:address_mode=slaac")
	nb("lr-nat-add", "lr0", "snat", "172.16.0.1", "10.0.0.0/24")
	nb("lr-nat-add", "lr0", "dnat_and_snat", "172.16.0.11", "10.0.0.11")
	nb("lr-lb-add", "lr0", "lb0")
	nb("--ecmp-symmetric-reply", "lr-route-add", "lr0", "192.168.100.0/24", "172.16.0.254")
	nb("--ecmp-symmetric-reply", "lr-route-add", "lr0", "192.168.100.0/24", "172.16.0.253")
	s.run(t, "ovs-vsctl", db, "add-port", "br-int", "vm1", "--", "set", "interface", "vm1", "external_ids:iface-id=vm1")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := s.run(t, "ovn-sbctl", "--bare", "--columns=chassis", "find", "port_binding", "logical_port=vm1")
		if strings.TrimSpace(out) != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("vm1 never bound")
		}
		time.Sleep(200 * time.Millisecond)
	}
	nb("--wait=hv", "sync")
}

func (s *sandbox) sbJSON(t *testing.T, columns, table string) [][]json.RawMessage {
	var tb struct {
		Data [][]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(s.run(t, "ovn-sbctl", "-f", "json", "--columns="+columns, "list", table)), &tb); err != nil {
		t.Fatalf("sbctl list %s: %v", table, err)
	}
	return tb.Data
}

// addGroups installs our group descriptions on a scratch bridge and returns
// OVS's dump of them, so they compare in OVS's canonical spelling.
func (s *sandbox) addGroups(t *testing.T, groups *ExtendTable) string {
	s.run(t, "ovs-vsctl", "--db=unix:"+s.dir+"/db.sock", "add-br", "br-grp", "--", "set", "bridge", "br-grp", "datapath_type=netdev")
	var lines []string
	for _, g := range groups.Entries() {
		lines = append(lines, fmt.Sprintf("group_id=%d,%s", g.ID, g.Description))
	}
	file := filepath.Join(s.dir, "groups.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(s.dir, "br-grp.mgmt")); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.run(t, "ovs-ofctl", "-O", "OpenFlow15", "add-groups", s.mgmt("br-grp"), file)
	return s.run(t, "ovs-ofctl", "-O", "OpenFlow15", "dump-groups", s.mgmt("br-grp"))
}

func sbUUID(r json.RawMessage) string {
	var v []any
	if json.Unmarshal(r, &v) == nil && len(v) == 2 && v[0] == "uuid" {
		return v[1].(string)
	}
	return ""
}

func sbUUIDSet(r json.RawMessage) []string {
	if u := sbUUID(r); u != "" {
		return []string{u}
	}
	var v []any
	var out []string
	if json.Unmarshal(r, &v) == nil && len(v) == 2 && v[0] == "set" {
		for _, x := range v[1].([]any) {
			if p, ok := x.([]any); ok && len(p) == 2 {
				out = append(out, fmt.Sprint(p[1]))
			}
		}
	}
	return out
}

func sbUint(r json.RawMessage) uint32 {
	var v uint32
	_ = json.Unmarshal(r, &v)
	return v
}
