package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/pinctrl"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// pinctrlRun is the running packet-in handler of the integration bridge.
type pinctrlRun struct {
	p      *pinctrl.Pinctrl
	cancel context.CancelFunc
	done   chan struct{}
	// inputsKey summarises what the GARP targets and DNS records were
	// last computed from, to skip recomputing them on unrelated passes.
	inputsKey string
}

// ensurePinctrl starts (or, when the bridge changed, restarts) pinctrl on
// its own OpenFlow connection to bridge.
func (a *Agent) ensurePinctrl(bridge string) {
	target := "unix:" + filepath.Join(a.ovsRunDir(), bridge+".mgmt")
	if a.pinctrl != nil && a.pinctrl.p.Target() == target {
		return
	}
	a.stopPinctrl()
	ctx, cancel := context.WithCancel(a.connCtx)
	pr := &pinctrlRun{
		p: pinctrl.New(target, pinctrl.Options{
			Logger: a.opts.Logger.With("module", "pinctrl"), Notify: a.poke,
			RetryInterval: a.opts.RetryInterval,
		}),
		cancel: cancel, done: make(chan struct{}),
	}
	go func() {
		defer close(pr.done)
		_ = pr.p.Run(ctx)
	}()
	a.pinctrl = pr
}

func (a *Agent) stopPinctrl() {
	if a.pinctrl == nil {
		return
	}
	a.pinctrl.cancel()
	<-a.pinctrl.done
	a.pinctrl = nil
}

// applyPinctrl tells pinctrl which VIFs to announce with GARPs and the DNS
// records of each datapath, writes its
// learned MAC bindings and FDB entries to the Southbound database and
// releases the packets that waited for a next hop whose binding is now
// known.
func (a *Agent) applyPinctrl(ctx context.Context, sbCl client.Client, chassisUUID string) error {
	if a.pinctrl == nil {
		return nil
	}
	now := time.Now()
	key := fmt.Sprintf("%s|%d|%d|%d", chassisUUID, a.sb.Generation(sbdb.PortBindingTable),
		a.sb.Generation(sbdb.DatapathBindingTable), a.sb.Generation(sbdb.DNSTable))
	if key != a.pinctrl.inputsKey {
		targets, err := garpTargets(ctx, sbCl, chassisUUID)
		if err != nil {
			return err
		}
		a.pinctrl.p.SetGARPTargets(now, targets)
		records, err := dnsByDatapath(ctx, sbCl)
		if err != nil {
			return err
		}
		a.pinctrl.p.SetDNS(records)
		a.pinctrl.inputsKey = key
	}
	learned := a.pinctrl.p.TakeMACBindings(now)
	waiting := a.pinctrl.p.WaitingNeighbours(now)
	fdb := a.pinctrl.p.TakeFDBEntries()
	if len(learned) == 0 && len(waiting) == 0 && len(fdb) == 0 {
		return nil
	}
	ports, err := portsByKey(ctx, sbCl)
	if err != nil {
		return err
	}
	writeErr := errors.Join(a.writeMACBindings(ctx, sbCl, ports, learned, now), writeFDB(ctx, sbCl, fdb))
	for _, n := range waiting {
		pb := ports[portKey{n.DatapathKey, n.PortKey}]
		if pb == nil {
			continue
		}
		// A gateway router's next hop is learned on the router port, the
		// packet waits on its chassisredirect port.
		names := []string{pb.LogicalPort, strings.TrimPrefix(pb.LogicalPort, "cr-")}
		ip := n.IP.String()
		var found []sbdb.MACBinding
		err := sbCl.WhereCache(func(m *sbdb.MACBinding) bool {
			return m.IP == ip && slices.Contains(names, m.LogicalPort)
		}).List(ctx, &found)
		if err != nil {
			return fmt.Errorf("read MAC_Binding: %w", err)
		}
		if len(found) == 0 {
			continue
		}
		if mac, err := net.ParseMAC(found[0].MAC); err == nil {
			a.pinctrl.p.Release(n, mac)
		}
	}
	return writeErr
}

type portKey struct{ dp, port int64 }

// portsByKey indexes the Port_Bindings by (datapath, port) tunnel keys, the
// way the switch names them in metadata and reg14/reg15.
func portsByKey(ctx context.Context, sbCl client.Client) (map[portKey]*sbdb.PortBinding, error) {
	var dps []sbdb.DatapathBinding
	if err := sbCl.List(ctx, &dps); err != nil {
		return nil, fmt.Errorf("read Datapath_Binding: %w", err)
	}
	dpKey := map[string]int64{}
	for _, d := range dps {
		dpKey[d.UUID] = int64(d.TunnelKey)
	}
	var pbs []sbdb.PortBinding
	if err := sbCl.List(ctx, &pbs); err != nil {
		return nil, fmt.Errorf("read Port_Binding: %w", err)
	}
	ports := make(map[portKey]*sbdb.PortBinding, len(pbs))
	for i := range pbs {
		ports[portKey{dpKey[pbs[i].Datapath], int64(pbs[i].TunnelKey)}] = &pbs[i]
	}
	return ports, nil
}

// writeMACBindings inserts a new (logical_port, ip), updates a changed MAC,
// and sets timestamp whenever mac is written.
func (a *Agent) writeMACBindings(ctx context.Context, sbCl client.Client, ports map[portKey]*sbdb.PortBinding,
	learned []pinctrl.MACBinding, now time.Time) error {
	ts := int(now.UnixMilli())
	var ops []ovsdb.Operation
	for _, b := range learned {
		pb := ports[portKey{b.DatapathKey, b.PortKey}]
		if pb == nil {
			a.log.Debug("learned MAC binding for an unknown port", "datapath", b.DatapathKey, "port", b.PortKey)
			continue
		}
		ip, mac := b.IP.String(), b.MAC.String()
		var existing []sbdb.MACBinding
		err := sbCl.WhereCache(func(m *sbdb.MACBinding) bool {
			return m.LogicalPort == pb.LogicalPort && m.IP == ip
		}).List(ctx, &existing)
		if err != nil {
			return fmt.Errorf("read MAC_Binding: %w", err)
		}
		var op []ovsdb.Operation
		switch {
		case len(existing) == 0:
			op, err = sbCl.Create(&sbdb.MACBinding{LogicalPort: pb.LogicalPort, IP: ip, MAC: mac,
				Datapath: pb.Datapath, Timestamp: ts})
		case existing[0].MAC != mac:
			row := existing[0]
			row.MAC, row.Timestamp = mac, ts
			op, err = sbCl.Where(&row).Update(&row, &row.MAC, &row.Timestamp)
		}
		if err != nil {
			return fmt.Errorf("MAC_Binding %s %s: %w", pb.LogicalPort, ip, err)
		}
		ops = append(ops, op...)
	}
	if _, err := db.Transact(ctx, sbCl, ops...); err != nil {
		return fmt.Errorf("write MAC_Binding: %w", err)
	}
	return nil
}

// writeFDB inserts the learned (datapath, MAC) or moves it to its new port.
func writeFDB(ctx context.Context, sbCl client.Client, learned []pinctrl.FDBEntry) error {
	var ops []ovsdb.Operation
	for _, e := range learned {
		mac := e.MAC.String()
		var existing []sbdb.FDB
		err := sbCl.WhereCache(func(f *sbdb.FDB) bool {
			return int64(f.DpKey) == e.DatapathKey && f.MAC == mac
		}).List(ctx, &existing)
		if err != nil {
			return fmt.Errorf("read FDB: %w", err)
		}
		var op []ovsdb.Operation
		switch {
		case len(existing) == 0:
			op, err = sbCl.Create(&sbdb.FDB{DpKey: int(e.DatapathKey), MAC: mac, PortKey: int(e.PortKey)})
		case int64(existing[0].PortKey) != e.PortKey:
			row := existing[0]
			row.PortKey = int(e.PortKey)
			op, err = sbCl.Where(&row).Update(&row, &row.PortKey)
		}
		if err != nil {
			return fmt.Errorf("FDB %d %s: %w", e.DatapathKey, mac, err)
		}
		ops = append(ops, op...)
	}
	if _, err := db.Transact(ctx, sbCl, ops...); err != nil {
		return fmt.Errorf("write FDB: %w", err)
	}
	return nil
}

// garpTargets lists the VIFs bound to this chassis on logical switches with
// a localnet port, with the first IPv4 address of their first address
// entry (none: announced with a RARP).
func garpTargets(ctx context.Context, sbCl client.Client, chassisUUID string) ([]pinctrl.GARPTarget, error) {
	var pbs []sbdb.PortBinding
	if err := sbCl.List(ctx, &pbs); err != nil {
		return nil, fmt.Errorf("read Port_Binding: %w", err)
	}
	localnet := map[string]bool{}
	for _, pb := range pbs {
		if pipeline.PortType(pb.Type) == pipeline.PortLocalnet {
			localnet[pb.Datapath] = true
		}
	}
	if len(localnet) == 0 {
		return nil, nil
	}
	var dps []sbdb.DatapathBinding
	if err := sbCl.List(ctx, &dps); err != nil {
		return nil, fmt.Errorf("read Datapath_Binding: %w", err)
	}
	dpKey := map[string]int64{}
	for _, d := range dps {
		dpKey[d.UUID] = int64(d.TunnelKey)
	}
	var out []pinctrl.GARPTarget
	for _, pb := range pbs {
		if pipeline.PortType(pb.Type) != pipeline.PortVIF || pb.Chassis == nil || *pb.Chassis != chassisUUID || !localnet[pb.Datapath] {
			continue
		}
		for _, entry := range pb.MAC {
			fields := strings.Fields(entry)
			if len(fields) == 0 {
				continue
			}
			mac, err := net.ParseMAC(fields[0])
			if err != nil {
				continue
			}
			t := pinctrl.GARPTarget{DatapathKey: dpKey[pb.Datapath], PortKey: int64(pb.TunnelKey), MAC: mac}
			for _, f := range fields[1:] {
				addr, _, _ := strings.Cut(f, "/")
				if ip, err := netip.ParseAddr(addr); err == nil && ip.Is4() {
					t.IPv4 = ip
					break
				}
			}
			out = append(out, t)
			break
		}
	}
	return out, nil
}

// dnsByDatapath merges the records of the SB DNS rows (those northd made
// from NB, which carry external_ids:dns_id) per datapath tunnel key, names
// lower-cased.
func dnsByDatapath(ctx context.Context, sbCl client.Client) (map[int64]pinctrl.DNSRecords, error) {
	var rows []sbdb.DNS
	if err := sbCl.List(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read DNS: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var dps []sbdb.DatapathBinding
	if err := sbCl.List(ctx, &dps); err != nil {
		return nil, fmt.Errorf("read Datapath_Binding: %w", err)
	}
	dpKey := map[string]int64{}
	for _, d := range dps {
		dpKey[d.UUID] = int64(d.TunnelKey)
	}
	out := map[int64]pinctrl.DNSRecords{}
	for _, row := range rows {
		if row.ExternalIDs["dns_id"] == "" {
			continue
		}
		for _, dp := range row.Datapaths {
			key, ok := dpKey[dp]
			if !ok {
				continue
			}
			if out[key] == nil {
				out[key] = pinctrl.DNSRecords{}
			}
			for name, value := range row.Records {
				out[key][strings.ToLower(name)] = value
			}
		}
	}
	return out, nil
}
