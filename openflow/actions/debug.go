package actions

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/expr"
	"github.com/chassisd/chassisd/openflow/flow"
)

// Context is everything RunParseActions needs: the parse parameters, the
// encode parameters and the state (group and meter tables) that carries over
// from line to line.
type Context struct {
	Parse  ParseParams
	Encode EncodeParams
}

// contextFile is the shape of the vectors' context.json "actions" section.
type contextFile struct {
	Actions struct {
		Ports       map[string]uint32 `json:"ports"`
		ParseParams struct {
			NTables  int `json:"n_tables"`
			CurTable int `json:"cur_ltable"`
		} `json:"parse_params"`
		EncodeParams map[string]json.RawMessage `json:"encode_params"`
		Collectors   []uint32                   `json:"collector_set_ids"`
		DHCP         []optionJSON               `json:"dhcp_opts"`
		DHCPv6       []optionJSON               `json:"dhcpv6_opts"`
		NDRA         []optionJSON               `json:"nd_ra_opts"`
		Events       []struct {
			Event int `json:"event"`
			optionJSON
		} `json:"controller_event_opts"`
		EventNames map[string]string `json:"controller_event_names"`
		Features   map[string]bool   `json:"ovs_features"`
	} `json:"actions"`
}

type optionJSON struct {
	Name string `json:"name"`
	Code int    `json:"code"`
	Type string `json:"type"`
}

func optionTable(opts []optionJSON) OptionTable {
	t := OptionTable{}
	for _, o := range opts {
		t[o.Name] = Option{Name: o.Name, Code: o.Code, Type: OptionType(o.Type)}
	}
	return t
}

// LoadContext reads a test-ovn style context (the vectors' context.json,
// whose "actions" section has ports, parse and encode parameters and option
// tables). The symbol table is OVN's plus upstream's five test symbols.
func LoadContext(r io.Reader) (Context, error) {
	var cf contextFile
	if err := json.NewDecoder(r).Decode(&cf); err != nil {
		return Context{}, fmt.Errorf("decode actions context: %w", err)
	}
	a := &cf.Actions
	symtab := expr.NewOVNSymtab()
	symtab.AddTestSymbols()

	events := map[string]ControllerEvent{}
	eventIDs := map[int]string{}
	for key, name := range a.EventNames {
		if key == "OVN_EVENT_EMPTY_LB_BACKENDS" {
			eventIDs[eventEmptyLBBackends] = name
		}
	}
	for _, o := range a.Events {
		name, ok := eventIDs[o.Event]
		if !ok {
			return Context{}, fmt.Errorf("controller event %d has no name", o.Event)
		}
		ev := events[name]
		if ev.Options == nil {
			ev = ControllerEvent{Name: name, Type: o.Event, Options: OptionTable{}}
		}
		ev.Options[o.Name] = Option{Name: o.Name, Code: o.Code, Type: OptionType(o.Type)}
		events[name] = ev
	}

	ctx := Context{Parse: ParseParams{
		Symtab:           symtab,
		DHCPOptions:      optionTable(a.DHCP),
		DHCPv6Options:    optionTable(a.DHCPv6),
		NDRAOptions:      optionTable(a.NDRA),
		ControllerEvents: events,
		Pipeline:         Ingress,
		NTables:          a.ParseParams.NTables,
		CurTable:         a.ParseParams.CurTable,
	}}

	ep := DefaultEncodeParams(Ingress, true)
	intParam := func(name string, dst *uint8) error {
		raw, ok := a.EncodeParams[name]
		if !ok {
			return nil
		}
		var v int
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("encode param %s: %w", name, err)
		}
		*dst = uint8(v)
		return nil
	}
	for name, dst := range map[string]*uint8{
		"ingress_ptable": &ep.IngressTable, "egress_ptable": &ep.EgressTable, "output_ptable": &ep.OutputTable,
		"mac_bind_ptable": &ep.MACBindTable, "mac_lookup_ptable": &ep.MACLookupTable,
		"lb_hairpin_ptable": &ep.LBHairpinTable, "lb_hairpin_reply_ptable": &ep.LBHairpinReplyTable,
		"ct_snat_vip_ptable": &ep.CTSnatVIPTable, "fdb_ptable": &ep.FDBTable, "fdb_lookup_ptable": &ep.FDBLookupTable,
		"in_port_sec_ptable": &ep.InPortSecTable, "out_port_sec_ptable": &ep.OutPortSecTable,
		"mac_cache_use_table": &ep.MACCacheUseTable,
	} {
		if err := intParam(name, dst); err != nil {
			return Context{}, err
		}
	}
	if raw, ok := a.EncodeParams["is_switch"]; ok {
		if err := json.Unmarshal(raw, &ep.IsSwitch); err != nil {
			return Context{}, fmt.Errorf("encode param is_switch: %w", err)
		}
	}
	if raw, ok := a.EncodeParams["dp_key"]; ok {
		if err := json.Unmarshal(raw, &ep.DPKey); err != nil {
			return Context{}, fmt.Errorf("encode param dp_key: %w", err)
		}
	}
	if raw, ok := a.EncodeParams["lflow_uuid"]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Context{}, fmt.Errorf("encode param lflow_uuid: %w", err)
		}
		u, err := ParseUUID(s)
		if err != nil {
			return Context{}, err
		}
		ep.LflowUUID = u
	}
	if raw, ok := a.EncodeParams["common_nat_ct_zone"]; ok {
		var z struct{ Field string }
		if err := json.Unmarshal(raw, &z); err != nil {
			return Context{}, fmt.Errorf("encode param common_nat_ct_zone: %w", err)
		}
		name := strings.ToLower(strings.TrimPrefix(z.Field, "MFF_"))
		f, ok := flow.FieldByName(name)
		if !ok {
			return Context{}, fmt.Errorf("encode param common_nat_ct_zone: unknown field %q", z.Field)
		}
		ep.CommonNATCTZone = f
	}
	ep.DPMeterSupport = a.Features["OVS_DP_METER_SUPPORT"]
	ep.CTZeroSNATSupport = a.Features["OVS_CT_ZERO_SNAT_SUPPORT"]
	ep.DPHashL4Sym = a.Features["OVS_DP_HASH_L4_SYM_SUPPORT"]
	ports := a.Ports
	ep.LookupPort = func(name string) (uint32, bool) { p, ok := ports[name]; return p, ok }
	ep.TunnelOFPort = ep.LookupPort
	ep.CollectorSetIDs = map[uint32]bool{}
	for _, id := range a.Collectors {
		ep.CollectorSetIDs[id] = true
	}
	ep.GroupTable = NewExtendTable("group-table", MaxGroupID)
	ep.MeterTable = NewExtendTable("meter-table", MaxMeterID)
	ctx.Encode = ep
	return ctx, nil
}

// ParseUUID parses the textual form of a UUID.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	h := strings.ReplaceAll(s, "-", "")
	if len(s) != 36 || len(h) != 32 {
		return u, fmt.Errorf("bad UUID %q", s)
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("bad UUID %q: %w", s, err)
	}
	return u, nil
}

// RunParseActions reads one action string per line from in and writes what
// upstream's `ovstest test-ovn parse-actions` prints: the line, then
// "    formats as ...", "    encodes as ...", "    uses group: ...",
// "    has prereqs ...", or the indented error. Comment lines are echoed,
// blank ones print an empty line. Group and meter ids persist across lines
// (ctx's tables are shared by copies of ctx).
func RunParseActions(ctx Context, in io.Reader, out io.Writer) error {
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			fmt.Fprintln(w, line)
			continue
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.Trim(line, " \t\n") == "" {
			fmt.Fprintln(w)
			continue
		}
		for _, l := range ParseActionsLine(&ctx, line) {
			fmt.Fprintln(w, l)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read actions: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write parse-actions output: %w", err)
	}
	return nil
}

// ParseActionsLine handles one processed input line of parse-actions and
// returns the lines printed for it, the input line first.
func ParseActionsLine(ctx *Context, line string) []string {
	out := []string{line}
	expanded, _ := expr.ExpandTemplates(line, nil)
	acts, prereqs, err := Parse(expanded, &ctx.Parse)
	if err != nil {
		return append(out, "    "+err.Error())
	}
	formatted := acts.String()
	if formatted != line {
		out = append(out, "    formats as "+formatted)
	}
	ofacts, err := acts.Encode(&ctx.Encode)
	if err != nil {
		out = append(out, "    encode error: "+err.Error())
	} else {
		encoded := ofacts.String()
		out = append(out, "    encodes as "+encoded)
		for _, g := range ctx.Encode.GroupTable.Entries() {
			if strings.Contains("group:"+strconv.FormatUint(uint64(g.ID), 10), encoded) {
				out = append(out, fmt.Sprintf("    uses group: id(%d), name(%s)", g.ID, g.Description))
			}
		}
	}
	if prereqs != nil {
		out = append(out, "    has prereqs "+prereqs.String())
	}
	acts2, _, err := Parse(formatted, &ctx.Parse)
	if err != nil {
		out = append(out, "    reparse error: "+err.Error())
	} else if f2 := acts2.String(); f2 != formatted {
		out = append(out, "    bad reformat: "+f2)
	}
	return out
}
