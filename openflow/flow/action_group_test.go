package flow

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// parseGroupText parses the group syntax ovs-ofctl add-group accepts, as
// far as OVN uses it: group_id, type, selection_method, fields, and buckets
// with bucket_id, weight, watch_port and actions.
func parseGroupText(s string) (Group, error) {
	var g Group
	var cur *Bucket
	inActions := false
	for _, tok := range splitTop(s) {
		k, v, _ := strings.Cut(tok, "=")
		if strings.HasPrefix(tok, "bucket=") {
			g.Buckets = append(g.Buckets, Bucket{ID: uint32(len(g.Buckets)), Weight: g.defaultWeight()})
			cur = &g.Buckets[len(g.Buckets)-1]
			inActions = false
			tok = strings.TrimPrefix(tok, "bucket=")
			k, v, _ = strings.Cut(tok, "=")
		}
		if cur == nil {
			switch {
			case k == "group_id":
				n, err := strconv.ParseUint(v, 0, 32)
				if err != nil {
					return g, err
				}
				g.ID = uint32(n)
			case k == "type":
				found := false
				for i, name := range groupTypeNames[:4] {
					if name == v {
						g.Type, found = GroupType(i), true
					}
				}
				if !found {
					return g, fmt.Errorf("group type %q", v)
				}
			case k == "selection_method":
				g.SelectionMethod = v
			case k == "fields":
				f, ok := FieldByName(v)
				if !ok {
					return g, fmt.Errorf("field %q", v)
				}
				g.Fields = append(g.Fields, SelectField{Field: f})
			case strings.HasPrefix(tok, "fields("):
				for _, name := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(tok, "fields("), ")"), ",") {
					f, ok := FieldByName(name)
					if !ok {
						return g, fmt.Errorf("field %q", name)
					}
					g.Fields = append(g.Fields, SelectField{Field: f})
				}
			default:
				return g, fmt.Errorf("group key %q", tok)
			}
			continue
		}
		if !inActions {
			bk, bv, _ := strings.Cut(tok, ":")
			if strings.Contains(tok, "=") && !strings.HasPrefix(tok, "load=") {
				bk, bv = k, v
			}
			switch bk {
			case "bucket_id":
				n, err := strconv.ParseUint(bv, 0, 32)
				if err != nil {
					return g, err
				}
				cur.ID = uint32(n)
				continue
			case "weight":
				n, err := strconv.ParseUint(bv, 0, 16)
				if err != nil {
					return g, err
				}
				cur.Weight = uint16(n)
				continue
			case "watch_port":
				p, err := parsePort(bv)
				if err != nil {
					return g, err
				}
				cur.WatchPort = p
				continue
			case "actions":
				inActions = true
				tok = bv
				if strings.Contains(tok, "=") && !strings.Contains(tok, ":") {
					tok = strings.Replace(tok, "=", ":", 1)
				}
			}
			inActions = true
		}
		tok = strings.Replace(tok, "load=", "load:", 1)
		a, err := parseActionText(tok)
		if err != nil {
			return g, fmt.Errorf("%q: %w", tok, err)
		}
		cur.Actions = append(cur.Actions, a)
	}
	return g, nil
}

// vectorGroups returns the group descriptions of the OVN vectors (the
// "uses group" lines), as ovs-ofctl add-group arguments.
func vectorGroups(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(actionVectorsDir(t), "actions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v struct {
			Groups []string `json:"expected_groups"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		for _, g := range v.Groups {
			// "id(1), name(type=select,...)"
			id, rest, ok := strings.Cut(strings.TrimPrefix(g, "id("), "), name(")
			if !ok {
				t.Fatalf("group %q", g)
			}
			s := "group_id=" + id + "," + strings.TrimSuffix(rest, ")")
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

var extraGroupCorpus = []string{
	"group_id=1,type=all,bucket=output:1,bucket=output:2",
	"group_id=2,type=indirect,bucket=set_field:0x1->reg15,resubmit(,64)",
	"group_id=3,type=select,bucket=bucket_id:5,weight:10,actions=output:1,bucket=bucket_id:7,actions=output:2",
	"group_id=4,type=select,selection_method=hash,fields=ip_src,bucket=output:1",
	"group_id=5,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,output:2",
	"group_id=6,type=select,selection_method=hash,fields(ip_dst,eth_src,tcp_dst),bucket=output:1",
	"group_id=7,type=all",
}

// TestGroupsAgainstOVS checks groups both ways against ovs-ofctl add-group:
// our group_mod body equals OVS's, and OVS's decodes to the group OVS prints.
func TestGroupsAgainstOVS(t *testing.T) {
	needOfctl(t)
	sw := newFakeSwitch(t)
	texts := append(vectorGroups(t), extraGroupCorpus...)
	var nBytes, nText int
	for _, text := range texts {
		msg, err := sw.ovsEncode(t, ofptGroupMod, "add-group", text)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		printed, err := ofpPrint(msg)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		_, want, ok := strings.Cut(printed, "\n ADD ")
		if !ok {
			t.Errorf("ofp-print of %q: %s", text, printed)
			continue
		}
		cmd, got, err := DecodeGroupMod(msg[8:])
		if err != nil {
			t.Errorf("decode OVS group_mod of %q: %v", text, err)
			continue
		}
		if cmd != GroupAdd || got.String() != want {
			t.Errorf("decoded %q:\n got %v %s\nwant %s", text, cmd, got, want)
		} else {
			nText++
		}
		g, err := parseGroupText(text)
		if err != nil {
			t.Errorf("parse %q: %v", text, err)
			continue
		}
		if ours := g.AppendGroupMod(nil, GroupAdd); !bytes.Equal(ours, msg[8:]) {
			t.Errorf("group_mod of %q:\n ours %x\n  ovs %x", text, ours, msg[8:])
		} else {
			nBytes++
		}
		if g.String() != want {
			t.Errorf("String of %q:\n got %s\nwant %s", text, g, want)
		}
	}
	t.Logf("%d groups: decode+String match OVS %d, bytes match %d", len(texts), nText, nBytes)
}

func TestGroupDescRoundTrip(t *testing.T) {
	g := Group{ID: 9, Type: GroupSelect, SelectionMethod: "hash",
		Fields: []SelectField{{Field: FieldIPv4Dst, Mask: []byte{255, 255, 255, 0}}, {Field: FieldEthSrc}},
		Buckets: []Bucket{
			{ID: 0, Weight: 100, Actions: Actions{Resubmit{Table: 8}}},
			{ID: 1, Weight: 1, WatchPort: 3, WatchGroup: 4, Actions: nil},
		}}
	want := "group_id=9,type=select,selection_method=hash,fields(eth_src,ip_dst=255.255.255.0),bucket=bucket_id:0,weight:100,actions=resubmit(,8),bucket=bucket_id:1,watch_port:3,watch_group:4,actions=drop"
	if got := g.String(); got != want {
		t.Fatalf("String:\n got %s\nwant %s", got, want)
	}
	body := g.AppendGroupMod(nil, GroupModify)
	cmd, back, err := DecodeGroupMod(body)
	if err != nil || cmd != GroupModify || back.String() != want {
		t.Fatalf("group_mod round trip: %v %v %s", err, cmd, back)
	}
	// A group-desc entry is the group_mod body with a length in front
	// instead of the command.
	desc := append([]byte{0, 0}, body[2:]...)
	desc[0], desc[1] = byte(len(desc)>>8), byte(len(desc))
	gs, err := DecodeGroupDescs(append(desc, desc...))
	if err != nil || len(gs) != 2 || gs[1].String() != want {
		t.Fatalf("group desc: %v %v", err, gs)
	}
	if _, err := DecodeGroupDescs(desc[:len(desc)-3]); err == nil {
		t.Fatal("truncated group desc decoded")
	}
}

var meterCorpus = []struct {
	add  string // ovs-ofctl add-meter argument
	want Meter
}{
	{"meter=1,kbps,band=type=drop,rate=100", Meter{ID: 1, Flags: MeterKbps, Bands: []MeterBand{{Type: MeterBandDrop, Rate: 100}}}},
	{"meter=2,pktps,burst,stats,band=type=drop,rate=10,burst_size=20", Meter{ID: 2, Flags: MeterPktps | MeterBurst | MeterStats, Bands: []MeterBand{{Type: MeterBandDrop, Rate: 10, BurstSize: 20}}}},
	{"meter=3,kbps,burst,band=type=drop,rate=1000,burst_size=100,type=dscp_remark,rate=2000,burst_size=10,prec_level=1",
		Meter{ID: 3, Flags: MeterKbps | MeterBurst, Bands: []MeterBand{{Type: MeterBandDrop, Rate: 1000, BurstSize: 100}, {Type: MeterBandDSCPRemark, Rate: 2000, BurstSize: 10, PrecLevel: 1}}}},
}

// TestMetersAgainstOVS checks meter_mod bodies against ovs-ofctl add-meter
// and the text against what OVS prints for them.
func TestMetersAgainstOVS(t *testing.T) {
	needOfctl(t)
	sw := newFakeSwitch(t)
	for _, c := range meterCorpus {
		msg, err := sw.ovsEncode(t, ofptMeterMod, "add-meter", c.add)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if ours := c.want.AppendMeterMod(nil, MeterAdd); !bytes.Equal(ours, msg[8:]) {
			t.Errorf("meter_mod of %q:\n ours %x\n  ovs %x", c.add, ours, msg[8:])
		}
		cmd, m, err := DecodeMeterMod(msg[8:])
		if err != nil || cmd != MeterAdd {
			t.Errorf("decode %q: %v %v", c.add, cmd, err)
			continue
		}
		printed, err := ofpPrint(msg)
		if err != nil {
			t.Error(err)
			continue
		}
		// ofp-print shows a meter_mod as "ADD meter=1 kbps bands=\ntype=drop rate=100".
		_, want, _ := strings.Cut(printed, "\nADD ")
		if want == "" {
			_, want, _ = strings.Cut(printed, " ADD ")
		}
		if got := m.String(); got != want {
			t.Errorf("String of %q:\n got %q\nwant %q (from %q)", c.add, got, want, printed)
		}
		cfg := m.AppendMeterConfig(nil)
		ms, err := DecodeMeterConfigs(append(cfg, cfg...))
		if err != nil || len(ms) != 2 || ms[1].String() != m.String() {
			t.Errorf("meter config round trip: %v %v", err, ms)
		}
	}
}

// FuzzDecodeGroupsMeters feeds arbitrary bytes to the group and meter
// decoders: no panics, and an accepted group_mod re-encodes to itself.
func FuzzDecodeGroupsMeters(f *testing.F) {
	g := Group{ID: 1, Type: GroupSelect, SelectionMethod: "hash", Fields: []SelectField{{Field: FieldEthSrc}},
		Buckets: []Bucket{{ID: 0, Weight: 10, Actions: Actions{Output{Port: 1}}}, {ID: 1, WatchPort: 2}}}
	f.Add(g.AppendGroupMod(nil, GroupAdd))
	f.Add(meterCorpus[2].want.AppendMeterMod(nil, MeterAdd))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeGroupDescs(b)
		DecodeMeterConfigs(b)
		DecodeMeterMod(b)
		cmd, g, err := DecodeGroupMod(b)
		if err != nil {
			return
		}
		text := g.String()
		cmd2, back, err := DecodeGroupMod(g.AppendGroupMod(nil, cmd))
		if cmd == GroupDelete {
			return // deletes carry no buckets
		}
		if err != nil || cmd2 != cmd || back.String() != text {
			t.Fatalf("group_mod %s re-encodes to %v %s (%v)", text, cmd2, back, err)
		}
	})
}
