package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/explain"
)

// nbExplainTables are the Northbound tables a logical flow's stage-hint
// can name, with the columns explain shows.
var nbExplainTables = map[string][]string{
	"ACL":                         {"name", "direction", "priority", "match", "action", "log"},
	"NAT":                         {"type", "external_ip", "logical_ip", "logical_port", "external_mac"},
	"Logical_Router_Static_Route": {"ip_prefix", "nexthop", "output_port", "policy"},
	"Logical_Router_Policy":       {"priority", "match", "action", "nexthop", "nexthops"},
	"Load_Balancer":               {"name", "protocol", "vips"},
	"Logical_Switch_Port":         {"name", "type", "addresses"},
	"Logical_Router_Port":         {"name", "mac", "networks"},
	"QoS":                         {"priority", "direction", "match", "action"},
	"DHCP_Options":                {"cidr"},
	"Forwarding_Group":            {"name", "vip", "vmac"},
}

// lookupNorthbound reads, once, the Northbound rows whose UUIDs start with
// one of the hints (a logical flow's stage-hint is the first 8 hex digits
// of the NB row's UUID).
func lookupNorthbound(ctx context.Context, remote string, tlsCfg *tls.Config, hints []string) ([]explain.NBRow, error) {
	if len(hints) == 0 {
		return nil, nil
	}
	dbModel, err := model.NewClientDBModel("OVN_Northbound", map[string]model.Model{})
	if err != nil {
		return nil, err
	}
	quiet := logr.Discard()
	opts := []client.Option{client.WithEndpoint(remote), client.WithLeaderOnly(false), client.WithLogger(&quiet)}
	if tlsCfg != nil {
		opts = append(opts, client.WithTLSConfig(tlsCfg))
	}
	cl, err := client.NewOVSDBClient(dbModel, opts...)
	if err != nil {
		return nil, err
	}
	if err := cl.Connect(ctx); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer cl.Close()
	schema := cl.Schema()
	var ops []ovsdb.Operation
	var tables []string
	for _, t := range sortedTableNames() {
		ts, ok := schema.Tables[t]
		if !ok {
			continue
		}
		cols := []string{"_uuid", "external_ids"}
		for _, c := range nbExplainTables[t] {
			if _, ok := ts.Columns[c]; ok {
				cols = append(cols, c)
			}
		}
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: t, Where: []ovsdb.Condition{}, Columns: cols})
		tables = append(tables, t)
	}
	results, err := cl.Transact(ctx, ops...)
	if err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	var rows []explain.NBRow
	for i, res := range results {
		if res.Error != "" {
			return nil, fmt.Errorf("select %s: %s: %s", tables[i], res.Error, res.Details)
		}
		if i >= len(tables) {
			break
		}
		for _, r := range res.Rows {
			uuid := ovsText(r["_uuid"])
			if !hasAnyPrefix(uuid, hints) {
				continue
			}
			row := explain.NBRow{Table: tables[i], UUID: uuid, Columns: map[string]string{}}
			if m, ok := r["external_ids"].(ovsdb.OvsMap); ok {
				row.ExternalIDs = map[string]string{}
				for k, v := range m.GoMap {
					row.ExternalIDs[fmt.Sprint(k)] = fmt.Sprint(v)
				}
			}
			for col, v := range r {
				if col != "_uuid" && col != "external_ids" {
					row.Columns[col] = ovsText(v)
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func sortedTableNames() []string {
	names := make([]string, 0, len(nbExplainTables))
	for t := range nbExplainTables {
		names = append(names, t)
	}
	sort.Strings(names)
	return names
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ovsText prints an OVSDB value as text: sets space-separated, maps as
// k=v pairs, integers without a fraction.
func ovsText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case ovsdb.UUID:
		return x.GoUUID
	case ovsdb.OvsSet:
		parts := make([]string, 0, len(x.GoSet))
		for _, e := range x.GoSet {
			parts = append(parts, ovsText(e))
		}
		sort.Strings(parts)
		return strings.Join(parts, " ")
	case ovsdb.OvsMap:
		parts := make([]string, 0, len(x.GoMap))
		for k, e := range x.GoMap {
			parts = append(parts, ovsText(k)+"="+ovsText(e))
		}
		sort.Strings(parts)
		return strings.Join(parts, ",")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
