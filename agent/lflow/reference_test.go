package lflow

import (
	"strings"
	"testing"
)

// The live ovn-controller 23.03.1 captures of ovn-chassis.md §3.2 (port
// security of a VIF bound here) and §3.15 (load-balancer hairpin with the
// natted bit in ct_label), with the Southbound rows behind them.
const (
	refPortSecurity = `
  cookie=0x29eafae7, table=73, priority=95,arp,reg14=0x1,metadata=0x1 actions=resubmit(,74)
  cookie=0x29eafae7, table=73, priority=90,ip,reg14=0x1,metadata=0x1,dl_src=00:00:00:00:01:01,nw_src=10.0.0.11 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=73, priority=90,udp,reg14=0x1,metadata=0x1,dl_src=00:00:00:00:01:01,nw_src=0.0.0.0,nw_dst=255.255.255.255,tp_src=68,tp_dst=67 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=73, priority=80,reg14=0x1,metadata=0x1 actions=set_field:0x1000/0x1000->reg10
  cookie=0x29eafae7, table=74, priority=90,arp,reg14=0x1,metadata=0x1,dl_src=00:00:00:00:01:01,arp_spa=10.0.0.11,arp_sha=00:00:00:00:01:01 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=74, priority=90,icmp6,reg14=0x1,metadata=0x1,nw_ttl=225,icmp_type=135,icmp_code=0,nd_sll=00:00:00:00:01:01 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=74, priority=80,arp,reg14=0x1,metadata=0x1 actions=set_field:0x1000/0x1000->reg10
  cookie=0x29eafae7, table=74, priority=80,icmp6,reg14=0x1,metadata=0x1,nw_ttl=255,icmp_type=136 actions=set_field:0x1000/0x1000->reg10
  cookie=0x29eafae7, table=74, priority=80,icmp6,reg14=0x1,metadata=0x1,nw_ttl=255,icmp_type=135 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=75, priority=95,ip,reg15=0x1,metadata=0x1,dl_dst=00:00:00:00:01:01,nw_dst=10.0.0.11 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=75, priority=95,ip,reg15=0x1,metadata=0x1,dl_dst=00:00:00:00:01:01,nw_dst=255.255.255.255 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=75, priority=95,ip,reg15=0x1,metadata=0x1,dl_dst=00:00:00:00:01:01,nw_dst=224.0.0.0/4 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=75, priority=90,ip,reg15=0x1,metadata=0x1,dl_dst=00:00:00:00:01:01 actions=set_field:0x1000/0x1000->reg10
  cookie=0x29eafae7, table=75, priority=90,ipv6,reg15=0x1,metadata=0x1,dl_dst=00:00:00:00:01:01 actions=set_field:0x1000/0x1000->reg10
  cookie=0x29eafae7, table=75, priority=85,reg15=0x1,metadata=0x1,dl_dst=00:00:00:00:01:01 actions=set_field:0/0x1000->reg10
  cookie=0x29eafae7, table=75, priority=80,reg15=0x1,metadata=0x1 actions=set_field:0x1000/0x1000->reg10
`
	refLBHairpin = `
 cookie=0x9659c115, table=68, priority=100,ct_label=0x2/0x2,tcp,reg1=0xa0000c8,reg2=0x50/0xffff,nw_src=10.0.0.11,nw_dst=10.0.0.11,tp_dst=8080 actions=set_field:0x80/0x80->reg10,learn(table=69,delete_learned,cookie=0x9659c115,OXM_OF_METADATA[],eth_type=0x800,NXM_OF_IP_SRC[],ip_dst=10.0.0.200,nw_proto=6,NXM_OF_TCP_SRC[]=NXM_OF_TCP_DST[],load:0x1->NXM_NX_REG10[7])
 cookie=0x9659c115, table=70, priority=100,tcp,reg1=0xa0000c8,reg2=0x50/0xffff actions=ct(commit,zone=NXM_NX_REG12[0..15],nat(src=10.0.0.200))
`
)

func referenceHelperInput() *Input {
	uuid := func(prefix string) string { return prefix + "-0000-0000-0000-000000000000" }
	ls := map[string]string{"logical-switch": "ls1"}
	lr := map[string]string{"logical-router": "lr0"}
	return &Input{
		Datapaths: []Datapath{
			{UUID: "dp-ls1", TunnelKey: 1, ExternalIDs: ls, Local: true},
			{UUID: "dp-lr0", TunnelKey: 2, ExternalIDs: lr, Local: true},
			{UUID: "dp-remote", TunnelKey: 99, ExternalIDs: ls},
		},
		Ports: []PortBinding{
			{UUID: uuid("29eafae7"), Name: "vm1", Datapath: "dp-ls1", TunnelKey: 1, Chassis: "hv1", Resident: true, Related: true,
				MACs: []string{"00:00:00:00:01:01 10.0.0.11"}, PortSecurity: []string{"00:00:00:00:01:01 10.0.0.11"}},
			{UUID: uuid("7f3a9e32"), Name: "vm2", Datapath: "dp-ls1", TunnelKey: 2, Chassis: "hv2",
				PortSecurity: []string{"00:00:00:00:01:02 10.0.0.12"}},
			{UUID: uuid("a0000001"), Name: "lr0-ls1", Datapath: "dp-lr0", TunnelKey: 1, Type: "patch", Related: true},
		},
		LoadBalancers: []LoadBalancer{{UUID: uuid("9659c115"), VIPs: map[string]string{"10.0.0.200:80": "10.0.0.11:8080"},
			Options: map[string]string{"hairpin_orig_tuple": "true"}, Datapaths: []string{"dp-ls1"}}},
		LBHairpinUseCTLabel: true,
		FDBs: []FDB{{UUID: "f0000000-0", DPKey: 99, PortKey: 1, MAC: "00:00:00:00:00:01"},
			{UUID: "f1000000-0", DPKey: 1, PortKey: 2, MAC: "00:00:00:00:00:02"}},
		MACBindings: []MACBinding{{UUID: "e0000000-0", LogicalPort: "lr0-ls1", IP: "10.0.0.50", MAC: "00:00:00:00:00:50"}},
	}
}

// TestHelperTablesReference checks the helper tables against ovn-controller's
// captures, and that rows that do not concern this chassis add nothing.
func TestHelperTablesReference(t *testing.T) {
	tr := New(Options{Logger: quietLogger})
	tr.Full(referenceHelperInput())
	got := map[string]bool{}
	for _, f := range tr.Flows() {
		got[FlowText(f)] = true
	}
	want := refPortSecurity + refLBHairpin + `
 cookie=0xf1000000, table=71, priority=100,metadata=0x1,dl_dst=00:00:00:00:00:02 actions=set_field:0x2->reg15
 cookie=0xf1000000, table=72, priority=100,reg14=0x2,metadata=0x1,dl_src=00:00:00:00:00:02 actions=set_field:0x100/0x100->reg10
 cookie=0xe0000000, table=66, priority=100,reg0=0xa000032,reg15=0x1,metadata=0x2 actions=set_field:00:00:00:00:00:50->eth_dst,set_field:0x40/0x40->reg10
 cookie=0xe0000000, table=67, priority=100,arp,reg0=0xa000032,reg14=0x1,metadata=0x2,dl_src=00:00:00:00:00:50 actions=set_field:0x40/0x40->reg10
`
	for _, w := range strings.Split(want, "\n") {
		if w = strings.TrimSpace(w); w != "" && !got[w] {
			t.Errorf("missing:\n %s", w)
		}
	}
	// The captures are not every flow of their rows; but a port bound
	// elsewhere and an FDB row of a datapath that is not local give none.
	for g := range got {
		if strings.HasPrefix(g, "cookie=0x7f3a9e32,") || strings.HasPrefix(g, "cookie=0xf0000000,") {
			t.Errorf("unexpected:\n %s", g)
		}
	}
}
