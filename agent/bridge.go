package agent

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
)

// ensureBridge creates the integration bridge when it is missing and keeps
// the settings ovn-controller enforces on it. It returns nil right after
// creating the bridge.
func (a *Agent) ensureBridge(ctx context.Context, cl client.Client, ovsRow *vswitchd.OpenvSwitch, cfg config.Config) (*vswitchd.Bridge, error) {
	br, err := findBridge(ctx, cl, cfg.Bridge)
	if err != nil {
		return nil, err
	}
	if br == nil {
		return nil, a.createBridge(ctx, cl, ovsRow, cfg)
	}

	var ops []ovsdb.Operation
	update := &vswitchd.Bridge{UUID: br.UUID}
	var fields []any
	wantType := cfg.DatapathType
	if wantType == "" && br.DatapathType == "" {
		wantType = config.DefaultDatapathType
	}
	if wantType != "" && br.DatapathType != wantType {
		a.log.Info("setting integration bridge datapath type", "bridge", cfg.Bridge, "from", br.DatapathType, "to", wantType)
		update.DatapathType = wantType
		fields = append(fields, &update.DatapathType)
	}
	if br.FailMode == nil || *br.FailMode != vswitchd.BridgeFailModeSecure {
		a.log.Warn("integration bridge fail_mode is not secure; setting it back", "bridge", cfg.Bridge)
		secure := vswitchd.BridgeFailModeSecure
		update.FailMode = &secure
		fields = append(fields, &update.FailMode)
	}
	if len(br.Protocols) > 0 && !containsProtocol(br.Protocols, vswitchd.BridgeProtocolsOpenflow15) {
		update.Protocols = append(append([]vswitchd.BridgeProtocols{}, br.Protocols...), vswitchd.BridgeProtocolsOpenflow15)
		fields = append(fields, &update.Protocols)
	}
	if len(fields) > 0 {
		op, err := cl.Where(update).Update(update, fields...)
		if err != nil {
			return nil, fmt.Errorf("build bridge update: %w", err)
		}
		ops = append(ops, op...)
	}
	if br.OtherConfig["disable-in-band"] != "true" {
		op, err := mutateMap(cl, &vswitchd.Bridge{UUID: br.UUID}, func(m *vswitchd.Bridge) any { return &m.OtherConfig },
			map[string]string{"disable-in-band": "true"})
		if err != nil {
			return nil, err
		}
		ops = append(ops, op...)
	}
	if startTS := strconv.FormatInt(a.startTS, 10); br.ExternalIDs["ovn-startup-ts"] != startTS {
		// Record when this agent started, as ovn-controller does.
		op, err := mutateMap(cl, &vswitchd.Bridge{UUID: br.UUID}, func(m *vswitchd.Bridge) any { return &m.ExternalIDs },
			map[string]string{"ovn-startup-ts": startTS})
		if err != nil {
			return nil, err
		}
		ops = append(ops, op...)
	}
	if dpType := br.DatapathType; dpType != "" {
		if _, ok := ovsRow.Datapaths[dpType]; !ok {
			// ovs-vswitchd reports the datapath's capabilities (e.g.
			// ct_zero_snat) in this row; ovn-controller creates it too.
			// An insert of all-default columns would carry no "row"
			// member, which OVSDB rejects, so name one column.
			insert := ovsdb.Operation{
				Op: ovsdb.OperationInsert, Table: vswitchd.DatapathTable, UUIDName: "newdatapath",
				Row: ovsdb.Row{"ct_zones": ovsdb.OvsMap{GoMap: map[any]any{}}},
			}
			root := &vswitchd.OpenvSwitch{UUID: ovsRow.UUID}
			mut, err := cl.Where(root).Mutate(root, model.Mutation{
				Field: &root.Datapaths, Mutator: ovsdb.MutateOperationInsert, Value: map[string]string{dpType: insert.UUIDName},
			})
			if err != nil {
				return nil, fmt.Errorf("build Datapath attach: %w", err)
			}
			ops = append(append(ops, insert), mut...)
		}
	}
	idxKey := "ovn-chassis-idx-" + cfg.ChassisName
	if _, ok := ovsRow.OtherConfig[idxKey]; !ok {
		op, err := mutateMap(cl, &vswitchd.OpenvSwitch{UUID: ovsRow.UUID}, func(m *vswitchd.OpenvSwitch) any { return &m.OtherConfig },
			map[string]string{idxKey: ""})
		if err != nil {
			return nil, err
		}
		ops = append(ops, op...)
	}
	if len(ops) > 0 {
		if _, err := db.Transact(ctx, cl, ops...); err != nil {
			return nil, err
		}
	}
	return br, nil
}

func (a *Agent) createBridge(ctx context.Context, cl client.Client, ovsRow *vswitchd.OpenvSwitch, cfg config.Config) error {
	dpType := cfg.DatapathType
	if dpType == "" {
		dpType = config.DefaultDatapathType
	}
	secure := vswitchd.BridgeFailModeSecure
	iface := &vswitchd.Interface{UUID: "newiface", Name: cfg.Bridge, Type: "internal"}
	port := &vswitchd.Port{UUID: "newport", Name: cfg.Bridge, Interfaces: []string{iface.UUID}}
	br := &vswitchd.Bridge{
		UUID:         "newbridge",
		Name:         cfg.Bridge,
		FailMode:     &secure,
		DatapathType: dpType,
		Ports:        []string{port.UUID},
		// A fixed hwaddr keeps the datapath id stable when ports come and
		// go, so the OpenFlow connection is not reset.
		OtherConfig: map[string]string{"disable-in-band": "true", "hwaddr": randomMAC()},
		ExternalIDs: map[string]string{"ovn-startup-ts": strconv.FormatInt(a.startTS, 10)},
	}
	ops, err := cl.Create(iface, port, br)
	if err != nil {
		return fmt.Errorf("build bridge insert: %w", err)
	}
	root := &vswitchd.OpenvSwitch{UUID: ovsRow.UUID}
	mut, err := cl.Where(root).Mutate(root, model.Mutation{
		Field: &root.Bridges, Mutator: ovsdb.MutateOperationInsert, Value: []string{br.UUID},
	})
	if err != nil {
		return fmt.Errorf("build bridge attach: %w", err)
	}
	ops = append(ops, mut...)
	if _, err := db.Transact(ctx, cl, ops...); err != nil {
		return err
	}
	a.log.Info("created integration bridge", "bridge", cfg.Bridge, "datapath-type", dpType)
	return nil
}

func findBridge(ctx context.Context, cl client.Client, name string) (*vswitchd.Bridge, error) {
	var brs []vswitchd.Bridge
	err := cl.WhereCache(func(b *vswitchd.Bridge) bool { return b.Name == name }).List(ctx, &brs)
	if err != nil {
		return nil, fmt.Errorf("read Bridge table: %w", err)
	}
	if len(brs) == 0 {
		return nil, nil
	}
	return &brs[0], nil
}

func containsProtocol(ps []vswitchd.BridgeProtocols, p vswitchd.BridgeProtocols) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// mutateMap builds a mutation that sets keys in one map column of row,
// replacing any previous values of those keys (delete, then insert).
func mutateMap[T model.Model](cl client.Client, row T, column func(T) any, kv map[string]string) ([]ovsdb.Operation, error) {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	ops, err := cl.Where(row).Mutate(row,
		model.Mutation{Field: column(row), Mutator: ovsdb.MutateOperationDelete, Value: keys},
		model.Mutation{Field: column(row), Mutator: ovsdb.MutateOperationInsert, Value: kv},
	)
	if err != nil {
		return nil, fmt.Errorf("build map mutation: %w", err)
	}
	return ops, nil
}

// deleteMapKeys builds a mutation that removes keys from one map column.
func deleteMapKeys[T model.Model](cl client.Client, row T, column func(T) any, keys ...string) ([]ovsdb.Operation, error) {
	ops, err := cl.Where(row).Mutate(row, model.Mutation{Field: column(row), Mutator: ovsdb.MutateOperationDelete, Value: keys})
	if err != nil {
		return nil, fmt.Errorf("build map key deletion: %w", err)
	}
	return ops, nil
}

func randomMAC() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	b[0] = (b[0] &^ 1) | 2 // unicast, locally administered
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
}

// datapathCapabilities returns the capabilities ovs-vswitchd reports for
// the datapath type of the integration bridge.
func datapathCapabilities(ctx context.Context, cl client.Client, ovsRow *vswitchd.OpenvSwitch, dpType string) map[string]string {
	uuid, ok := ovsRow.Datapaths[dpType]
	if !ok {
		return nil
	}
	dp := &vswitchd.Datapath{UUID: uuid}
	if err := cl.Get(ctx, dp); err != nil {
		return nil
	}
	return dp.Capabilities
}
