package flow

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/ovstest"
)

// TestActionsOnBridge installs the action corpus on a real userspace
// bridge twice: in table 0 from text with ovs-ofctl, in table 1 as flow_mods
// carrying this package's encoding. String of each action list must equal
// what "ovs-ofctl -O OpenFlow15 dump-flows --no-stats" prints for both. It
// adds what a live br-int has and the fake-switch test cannot: groups and
// meters the actions refer to, and the Geneve TLV mapping of tun_metadata0.
func TestActionsOnBridge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ovs-vswitchd")
	}
	sw := ovstest.Start(t)
	sw.AddBridge("br0")
	sw.Ofctl("add-tlv-map", "br0", "{class=0x102,type=0x80,len=4}->tun_metadata0")
	for id := 1; id <= 30; id++ {
		sw.Ofctl("add-group", "br0", fmt.Sprintf("group_id=%d,type=all", id))
	}
	for id := 1; id <= 4; id++ {
		sw.Ofctl("add-meter", "br0", fmt.Sprintf("meter=%d,pktps,band=type=drop,rate=10", id))
	}

	texts := append(actionCorpus(t),
		"set_field:0x3->tun_metadata0",
		"set_field:0x1/0xffffff->tun_id,set_field:0x2->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],output:1",
		"move:NXM_NX_TUN_METADATA0[16..30]->NXM_NX_REG14[0..14],move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15]",
		"push:NXM_OF_IN_PORT[],load:0xffff->NXM_OF_IN_PORT[],resubmit(,65),pop:NXM_OF_IN_PORT[]",
	)
	fake := newFakeSwitch(t)
	var lines []string
	var ours [][]byte
	want := map[int]string{}
	for i, text := range texts {
		m, err := matchFor(text)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		as, err := parseActionsText(text)
		if err != nil {
			t.Errorf("parse %q: %v", text, err)
			continue
		}
		fitTunMetadata(as)
		prio := i + 1
		want[prio] = as.String()
		flow := "priority=" + strconv.Itoa(prio)
		if m != "" {
			flow += "," + m
		}
		lines = append(lines, "table=0,"+flow+",actions="+text)
		msg, err := fake.ovsEncode(t, ofptFlowMod, "add-flow", "table=1,"+flow+",actions="+text)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		ours = append(ours, withActions(msg, as.Append(nil)))
	}
	file := filepath.Join(t.TempDir(), "flows.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("--bundle", "add-flows", "br0", file)
	for _, rejected := range sendFlowMods(t, strings.TrimPrefix(sw.Mgmt("br0"), "unix:"), ours) {
		t.Errorf("ovs-vswitchd rejects our encoding: %s", rejected)
	}
	dump := sw.Ofctl("--no-names", "dump-flows", "--no-stats", "br0")

	prioRE := regexp.MustCompile(`priority=(\d+)`)
	tableRE := regexp.MustCompile(`table=(\d+)`)
	seen := map[string]int{}
	for _, line := range strings.Split(dump, "\n") {
		head, acts, ok := strings.Cut(line, " actions=")
		if !ok {
			continue
		}
		m := prioRE.FindStringSubmatch(head)
		if m == nil {
			continue
		}
		prio, _ := strconv.Atoi(m[1])
		w, ok := want[prio]
		if !ok {
			continue
		}
		table := "0"
		if tm := tableRE.FindStringSubmatch(head); tm != nil {
			table = tm[1]
		}
		seen[table]++
		if acts != w {
			t.Errorf("table %s priority %d (%s):\n dump %s\n ours %s", table, prio, texts[prio-1], acts, w)
		}
	}
	if seen["0"] != len(want) || seen["1"] != len(ours) {
		t.Errorf("dump shows %d+%d of %d+%d flows:\n%s", seen["0"], seen["1"], len(want), len(ours), dump)
	}
	t.Logf("%d action lists from text and %d from our encoding match dump-flows", seen["0"], seen["1"])
}

// fitTunMetadata gives tun_metadata set_field values the 4-byte length of
// the TLV mapping the test installs, as a chassis encoder must.
func fitTunMetadata(as Actions) {
	for i, a := range as {
		if sf, ok := a.(SetField); ok && sf.Field == FieldTunMetadata(0) && len(sf.Value) > 4 {
			sf.Value = sf.Value[len(sf.Value)-4:]
			if sf.Mask != nil {
				sf.Mask = sf.Mask[len(sf.Mask)-4:]
			}
			as[i] = sf
		}
	}
}

// sendFlowMods sends OpenFlow 1.5 flow_mods to a bridge's management socket
// followed by a barrier, and returns a description of each one the switch
// answered with an error.
func sendFlowMods(t *testing.T, path string, msgs [][]byte) []string {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := writeMsg(c, ofptHello, 0, nil); err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		m = append([]byte(nil), m...)
		binary.BigEndian.PutUint32(m[4:], uint32(i+1))
		if _, err := c.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeMsg(c, ofptBarrierRequest, 0xffffffff, nil); err != nil {
		t.Fatal(err)
	}
	var rejected []string
	for {
		h := make([]byte, 8)
		if _, err := io.ReadFull(c, h); err != nil {
			t.Fatalf("reading replies: %v", err)
		}
		body := make([]byte, int(binary.BigEndian.Uint16(h[2:]))-8)
		if _, err := io.ReadFull(c, body); err != nil {
			t.Fatal(err)
		}
		xid := binary.BigEndian.Uint32(h[4:])
		switch h[1] {
		case 1: // OFPT_ERROR
			desc := fmt.Sprintf("xid %d: error %x", xid, body[:min(4, len(body))])
			if xid >= 1 && int(xid) <= len(msgs) {
				if text, err := ovsActionsText(msgs[xid-1]); err == nil {
					desc += ": " + text
				}
			}
			rejected = append(rejected, desc)
		case ofptBarrierReply:
			if xid == 0xffffffff {
				return rejected
			}
		}
	}
}

// TestGroupsMetersOnBridge installs the group corpus and meters on a real
// bridge and checks Group.String and Meter.String against dump-groups and
// dump-meters.
func TestGroupsMetersOnBridge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ovs-vswitchd")
	}
	sw := ovstest.Start(t)
	sw.AddBridge("br0")
	want := map[uint32]string{}
	for _, text := range append(vectorGroups(t), extraGroupCorpus...) {
		g, err := parseGroupText(text)
		if err != nil {
			t.Errorf("parse %q: %v", text, err)
			continue
		}
		if _, dup := want[g.ID]; dup {
			continue
		}
		want[g.ID] = g.String()
		sw.Ofctl("add-group", "br0", text)
	}
	dump := sw.Ofctl("--no-names", "dump-groups", "br0")
	seen := 0
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimPrefix(line, " ")
		if !strings.HasPrefix(line, "group_id=") {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimPrefix(strings.SplitN(line, ",", 2)[0], "group_id="), 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if w := want[uint32(id)]; line != w {
			t.Errorf("group %d:\n dump %s\n ours %s", id, line, w)
		}
	}
	if seen != len(want) {
		t.Errorf("dump-groups shows %d of %d groups:\n%s", seen, len(want), dump)
	}

	wantMeters := map[uint32]string{}
	for _, c := range meterCorpus {
		if strings.Contains(c.add, "dscp_remark") {
			continue // the userspace datapath only has drop bands
		}
		sw.Ofctl("add-meter", "br0", c.add)
		wantMeters[c.want.ID] = c.want.String()
	}
	dump = sw.Ofctl("dump-meters", "br0")
	_, body, _ := strings.Cut(dump, "\n")
	n := 0
	for _, m := range strings.Split(strings.TrimSpace(body), "\nmeter=") {
		m = "meter=" + strings.TrimRight(strings.TrimPrefix(m, "meter="), "\n")
		id, err := strconv.ParseUint(strings.Fields(strings.TrimPrefix(m, "meter="))[0], 10, 32)
		if err != nil {
			t.Fatalf("dump-meters: %q", dump)
		}
		n++
		if w := wantMeters[uint32(id)]; m != w {
			t.Errorf("meter %d:\n dump %q\n ours %q", id, m, w)
		}
	}
	if n != len(wantMeters) {
		t.Errorf("dump-meters shows %d of %d meters:\n%s", n, len(wantMeters), dump)
	}
	t.Logf("%d groups and %d meters match dump-groups/dump-meters", seen, n)
}

// multipart sends one OpenFlow 1.5 multipart request to a bridge and
// returns the bodies of its replies (after the 16 bytes of OpenFlow and
// multipart headers), following the "more" flag.
func multipart(t *testing.T, path string, mpType uint16, req []byte) [][]byte {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := writeMsg(c, ofptHello, 0, nil); err != nil {
		t.Fatal(err)
	}
	body := append([]byte{byte(mpType >> 8), byte(mpType), 0, 0, 0, 0, 0, 0}, req...)
	if err := writeMsg(c, ofptMultipartRequest, 7, body); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		h := make([]byte, 8)
		if _, err := io.ReadFull(c, h); err != nil {
			t.Fatalf("reading multipart reply: %v", err)
		}
		b := make([]byte, int(binary.BigEndian.Uint16(h[2:]))-8)
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
		if h[1] == 1 {
			t.Fatalf("multipart %d: error %x", mpType, b)
		}
		if h[1] != ofptMultipartReply || len(b) < 8 {
			continue
		}
		out = append(out, b[8:])
		if binary.BigEndian.Uint16(b[2:])&1 == 0 {
			return out
		}
	}
}

// TestDecodeBridgeReplies decodes what ovs-vswitchd itself sends: the
// actions of a flow-stats dump, a group-desc reply and a meter-config
// reply, and compares them with dump-flows, dump-groups and dump-meters.
func TestDecodeBridgeReplies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ovs-vswitchd")
	}
	sw := ovstest.Start(t)
	sw.AddBridge("br0")
	path := strings.TrimPrefix(sw.Mgmt("br0"), "unix:")
	for id := 1; id <= 30; id++ {
		sw.Ofctl("add-group", "br0", fmt.Sprintf("group_id=%d,type=all", id))
	}
	for id := 1; id <= 4; id++ {
		sw.Ofctl("add-meter", "br0", fmt.Sprintf("meter=%d,pktps,band=type=drop,rate=10", id))
	}
	var lines []string
	want := map[uint16]string{}
	for i, text := range actionCorpus(t) {
		m, err := matchFor(text)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		flow := "table=2,priority=" + strconv.Itoa(i+1)
		if m != "" {
			flow += "," + m
		}
		lines = append(lines, flow+",actions="+text)
	}
	file := filepath.Join(t.TempDir(), "flows.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("--bundle", "add-flows", "br0", file)
	prioRE := regexp.MustCompile(`priority=(\d+)`)
	for _, line := range strings.Split(sw.Ofctl("--no-names", "dump-flows", "--no-stats", "br0"), "\n") {
		head, acts, ok := strings.Cut(line, " actions=")
		if m := prioRE.FindStringSubmatch(head); ok && m != nil {
			p, _ := strconv.Atoi(m[1])
			want[uint16(p)] = acts
		}
	}

	// OFPMP_FLOW_DESC (1) request: table all, out port/group any, no cookie, empty match.
	req := []byte{0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0}
	nFlows := 0
	for _, body := range multipart(t, path, 1, req) {
		for len(body) > 0 {
			n := int(binary.BigEndian.Uint16(body))
			if n < 40 || n > len(body) {
				t.Fatalf("flow desc length %d of %d", n, len(body))
			}
			entry := body[:n]
			body = body[n:]
			prio := binary.BigEndian.Uint16(entry[6:])
			// ofp15_flow_desc: 24 bytes, then the match and the stats, each
			// padded to 8, then the instructions.
			off := 24
			mlen := int(binary.BigEndian.Uint16(entry[off+2:]))
			off += (mlen + 7) / 8 * 8
			slen := int(binary.BigEndian.Uint16(entry[off+2:]))
			off += (slen + 7) / 8 * 8
			var acts Actions
			for off < n {
				ilen := int(binary.BigEndian.Uint16(entry[off+2:]))
				if ilen < 8 || off+ilen > n {
					t.Fatalf("priority %d: instruction length %d at %d of %d", prio, ilen, off, n)
				}
				if binary.BigEndian.Uint16(entry[off:]) == 4 {
					wire := entry[off+8 : off+ilen]
					a, err := DecodeActions(wire)
					if err != nil {
						t.Fatalf("priority %d: %v", prio, err)
					}
					if again := a.Append(nil); !bytes.Equal(again, wire) {
						t.Errorf("priority %d: re-encoding differs from ovs-vswitchd's bytes:\n %x\n %x", prio, again, wire)
					}
					acts = a
				}
				off += ilen
			}
			nFlows++
			if got := acts.String(); got != want[prio] {
				t.Errorf("priority %d: decoded %s\n dump-flows %s", prio, got, want[prio])
			}
		}
	}
	if nFlows != len(want) {
		t.Errorf("decoded %d flows, dump-flows shows %d", nFlows, len(want))
	}

	wantGroups := map[uint32]string{}
	for _, text := range append(vectorGroups(t), extraGroupCorpus...) {
		g, err := parseGroupText(text)
		if err != nil {
			t.Fatal(err)
		}
		// Groups 1..30 exist already (the flows use them): shift the ids.
		_, rest, _ := strings.Cut(text, ",")
		id := g.ID + 100
		if _, dup := wantGroups[id]; !dup {
			sw.Ofctl("add-group", "br0", fmt.Sprintf("group_id=%d,%s", id, rest))
			wantGroups[id] = ""
		}
	}
	for _, line := range strings.Split(sw.Ofctl("--no-names", "dump-groups", "br0"), "\n") {
		line = strings.TrimPrefix(line, " ")
		if id, err := strconv.ParseUint(strings.TrimPrefix(strings.SplitN(line, ",", 2)[0], "group_id="), 10, 32); err == nil {
			wantGroups[uint32(id)] = line
		}
	}
	nGroups := 0
	for _, body := range multipart(t, path, 7, []byte{0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0}) {
		gs, err := DecodeGroupDescs(body)
		if err != nil {
			t.Fatal(err)
		}
		// Buckets and properties of a group-desc entry are laid out as in a
		// group_mod: re-encoding must reproduce vswitchd's bytes.
		for i, rest := 0, body; len(rest) >= 16 && i < len(gs); i++ {
			n := int(binary.BigEndian.Uint16(rest))
			if mod := gs[i].AppendGroupMod(nil, GroupAdd); !bytes.Equal(mod[16:], rest[16:n]) {
				t.Errorf("group %d: re-encoded buckets differ:\n %x\n %x", gs[i].ID, mod[16:], rest[16:n])
			}
			rest = rest[n:]
		}
		for _, g := range gs {
			nGroups++
			if g.String() != wantGroups[g.ID] {
				t.Errorf("group %d: decoded %s\n dump-groups %s", g.ID, g, wantGroups[g.ID])
			}
		}
	}
	if nGroups != len(wantGroups) {
		t.Errorf("decoded %d groups, want %d", nGroups, len(wantGroups))
	}

	nMeters := 0
	for _, body := range multipart(t, path, 10, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) {
		ms, err := DecodeMeterConfigs(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			nMeters++
			if want := fmt.Sprintf("meter=%d pktps bands=\ntype=drop rate=10", m.ID); m.String() != want {
				t.Errorf("meter: decoded %q, want %q", m, want)
			}
		}
	}
	if nMeters != 4 {
		t.Errorf("decoded %d meters, want 4", nMeters)
	}
	t.Logf("decoded from ovs-vswitchd: %d flows, %d groups, %d meters", nFlows, nGroups, nMeters)
}
