package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/chassis"
	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
)

// chassisState is what the main loop remembers about its registration
// within one Southbound epoch.
type chassisState struct {
	registeredLogged bool
}

// ensureChassis registers this chassis (Chassis, its Encaps and
// Chassis_Private) or brings the rows up to date. It returns nil after
// inserting, until the insert shows up in the cache.
func (a *Agent) ensureChassis(ctx context.Context, cl client.Client, cfg config.Config, ifaceTypes []string) (*sbdb.Chassis, error) {
	spec := chassis.Desired(cfg, ifaceTypes)
	ch, err := findChassis(ctx, cl, cfg.ChassisName)
	if err != nil {
		return nil, err
	}
	var ops []ovsdb.Operation
	if ch == nil {
		encapOps, encapRefs, err := createEncaps(cl, spec)
		if err != nil {
			return nil, err
		}
		row := &sbdb.Chassis{
			UUID:           "newchassis",
			Name:           spec.Name,
			Hostname:       spec.Hostname,
			Encaps:         encapRefs,
			OtherConfig:    spec.OtherConfig,
			TransportZones: spec.TransportZones,
		}
		create, err := cl.Create(row)
		if err != nil {
			return nil, fmt.Errorf("build Chassis insert: %w", err)
		}
		ops = append(append(ops, encapOps...), create...)
		priv, err := a.chassisPrivateOps(ctx, cl, spec.Name, row.UUID)
		if err != nil {
			return nil, err
		}
		ops = append(ops, priv...)
		if _, err := db.Transact(ctx, cl, ops...); err != nil {
			return nil, err
		}
		a.noteChassisCreated(spec)
		a.log.Info("registered chassis in the Southbound database", "chassis", spec.Name, "encaps", len(spec.Encaps))
		return nil, nil
	}

	update := &sbdb.Chassis{UUID: ch.UUID}
	var fields []any
	if ch.Hostname != spec.Hostname {
		update.Hostname = spec.Hostname
		fields = append(fields, &update.Hostname)
	}
	if oc := spec.MergeOtherConfig(ch.OtherConfig); !maps.Equal(oc, ch.OtherConfig) {
		update.OtherConfig = oc
		fields = append(fields, &update.OtherConfig)
	}
	if !slices.Equal(ch.TransportZones, spec.TransportZones) && len(ch.TransportZones)+len(spec.TransportZones) > 0 {
		update.TransportZones = spec.TransportZones
		fields = append(fields, &update.TransportZones)
	}
	current, err := encapsOf(ctx, cl, ch)
	if err != nil {
		return nil, err
	}
	if a.chassisContended(spec, ch, current) {
		return ch, nil
	}
	if !spec.EncapsEqual(current) {
		encapOps, refs, err := createEncaps(cl, spec)
		if err != nil {
			return nil, err
		}
		ops = append(ops, encapOps...)
		update.Encaps = refs
		fields = append(fields, &update.Encaps)
		a.log.Info("updating chassis encapsulations", "chassis", spec.Name, "encaps", spec.Encaps)
	}
	if len(fields) > 0 {
		op, err := cl.Where(update).Update(update, fields...)
		if err != nil {
			return nil, fmt.Errorf("build Chassis update: %w", err)
		}
		ops = append(ops, op...)
	}
	priv, err := a.chassisPrivateOps(ctx, cl, spec.Name, ch.UUID)
	if err != nil {
		return nil, err
	}
	ops = append(ops, priv...)
	if len(ops) > 0 {
		if _, err := db.Transact(ctx, cl, ops...); err != nil {
			return nil, err
		}
	}
	if !a.chassis.registeredLogged {
		a.chassis.registeredLogged = true
		a.log.Info("chassis registered", "chassis", spec.Name, "uuid", ch.UUID)
	}
	return ch, nil
}

func createEncaps(cl client.Client, spec chassis.Spec) ([]ovsdb.Operation, []string, error) {
	var ops []ovsdb.Operation
	var refs []string
	for i, e := range spec.Encaps {
		row := &sbdb.Encap{UUID: "newencap" + strconv.Itoa(i), ChassisName: spec.Name, IP: e.IP, Type: e.Type, Options: e.Options}
		op, err := cl.Create(row)
		if err != nil {
			return nil, nil, fmt.Errorf("build Encap insert: %w", err)
		}
		ops = append(ops, op...)
		refs = append(refs, row.UUID)
	}
	return ops, refs, nil
}

func encapsOf(ctx context.Context, cl client.Client, ch *sbdb.Chassis) ([]chassis.Encap, error) {
	var rows []sbdb.Encap
	err := cl.WhereCache(func(e *sbdb.Encap) bool { return slices.Contains(ch.Encaps, e.UUID) }).List(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read Encap table: %w", err)
	}
	out := make([]chassis.Encap, 0, len(rows))
	for _, r := range rows {
		out = append(out, chassis.Encap{Type: r.Type, IP: r.IP, Options: r.Options})
	}
	return out, nil
}

func findChassis(ctx context.Context, cl client.Client, name string) (*sbdb.Chassis, error) {
	var rows []sbdb.Chassis
	if err := cl.WhereCache(func(c *sbdb.Chassis) bool { return c.Name == name }).List(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read Chassis table: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

func findChassisPrivate(ctx context.Context, cl client.Client, name string) (*sbdb.ChassisPrivate, error) {
	var rows []sbdb.ChassisPrivate
	if err := cl.WhereCache(func(c *sbdb.ChassisPrivate) bool { return c.Name == name }).List(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read Chassis_Private table: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// chassisPrivateOps creates Chassis_Private or points it at chassisRef.
func (a *Agent) chassisPrivateOps(ctx context.Context, cl client.Client, name, chassisRef string) ([]ovsdb.Operation, error) {
	priv, err := findChassisPrivate(ctx, cl, name)
	if err != nil {
		return nil, err
	}
	if priv == nil {
		ops, err := cl.Create(&sbdb.ChassisPrivate{UUID: "newprivate", Name: name, Chassis: &chassisRef})
		if err != nil {
			return nil, fmt.Errorf("build Chassis_Private insert: %w", err)
		}
		return ops, nil
	}
	if priv.Chassis != nil && *priv.Chassis == chassisRef {
		return nil, nil
	}
	update := &sbdb.ChassisPrivate{UUID: priv.UUID, Chassis: &chassisRef}
	ops, err := cl.Where(update).Update(update, &update.Chassis)
	if err != nil {
		return nil, fmt.Errorf("build Chassis_Private update: %w", err)
	}
	return ops, nil
}

// reportNbCfg echoes SB_Global.nb_cfg into Chassis_Private and br-int once
// this pass's writes are done, which is what `ovn-nbctl --wait=hv` waits
// for.
func (a *Agent) reportNbCfg(ctx context.Context, sbCl, ovsCl client.Client, br *vswitchd.Bridge, cfg config.Config) error {
	var globals []sbdb.SBGlobal
	if err := sbCl.List(ctx, &globals); err != nil {
		return fmt.Errorf("read SB_Global: %w", err)
	}
	if len(globals) == 0 {
		return nil
	}
	nbCfg := globals[0].NbCfg
	if a.flows != nil {
		installed, ok := a.flows.installedNbCfg()
		if !ok {
			return nil // nothing installed yet
		}
		nbCfg = installed
	}
	priv, err := findChassisPrivate(ctx, sbCl, cfg.ChassisName)
	if err != nil || priv == nil {
		return err
	}
	now := time.Now().UnixMilli()
	if priv.NbCfg != nbCfg && a.holdNbCfgReport(nbCfg) {
		return nil // debug/delay-nb-cfg-report
	}
	if priv.NbCfg != nbCfg {
		update := &sbdb.ChassisPrivate{UUID: priv.UUID, NbCfg: nbCfg, NbCfgTimestamp: int(now)}
		ops, err := sbCl.Where(update).Update(update, &update.NbCfg, &update.NbCfgTimestamp)
		if err != nil {
			return fmt.Errorf("build Chassis_Private nb_cfg update: %w", err)
		}
		if _, err := db.Transact(ctx, sbCl, ops...); err != nil {
			return fmt.Errorf("report nb_cfg %d: %w", nbCfg, err)
		}
	}
	if want := strconv.Itoa(nbCfg); br.ExternalIDs["ovn-nb-cfg"] != want {
		ops, err := mutateMap(ovsCl, &vswitchd.Bridge{UUID: br.UUID}, func(m *vswitchd.Bridge) any { return &m.ExternalIDs },
			map[string]string{"ovn-nb-cfg": want, "ovn-nb-cfg-ts": strconv.FormatInt(now, 10)})
		if err != nil {
			return err
		}
		if _, err := db.Transact(ctx, ovsCl, ops...); err != nil {
			return fmt.Errorf("record nb_cfg %d on %s: %w", nbCfg, br.Name, err)
		}
	}
	return nil
}

// removeChassis releases every port this chassis holds and deletes its
// Chassis and Chassis_Private rows (the Encaps go with the Chassis).
func (a *Agent) removeChassis(ctx context.Context) error {
	if a.cfg == nil {
		return nil
	}
	name := a.cfg.ChassisName
	sbCl, _ := a.sb.Client()
	if sbCl == nil {
		return fmt.Errorf("remove chassis %s: %w", name, db.ErrNotConnected)
	}
	var ops []ovsdb.Operation
	ch, err := findChassis(ctx, sbCl, name)
	if err != nil {
		return err
	}
	if ch != nil {
		var pbs []sbdb.PortBinding
		err := sbCl.WhereCache(func(pb *sbdb.PortBinding) bool { return pb.Chassis != nil && *pb.Chassis == ch.UUID }).List(ctx, &pbs)
		if err != nil {
			return fmt.Errorf("read Port_Binding: %w", err)
		}
		for i := range pbs {
			op, err := releaseOps(sbCl, &pbs[i])
			if err != nil {
				return err
			}
			ops = append(ops, op...)
		}
		del, err := sbCl.Where(&sbdb.Chassis{UUID: ch.UUID}).Delete()
		if err != nil {
			return fmt.Errorf("build Chassis delete: %w", err)
		}
		ops = append(ops, del...)
	}
	if priv, err := findChassisPrivate(ctx, sbCl, name); err != nil {
		return err
	} else if priv != nil {
		del, err := sbCl.Where(&sbdb.ChassisPrivate{UUID: priv.UUID}).Delete()
		if err != nil {
			return fmt.Errorf("build Chassis_Private delete: %w", err)
		}
		ops = append(ops, del...)
	}
	if _, err := db.Transact(ctx, sbCl, ops...); err != nil {
		return fmt.Errorf("remove chassis %s: %w", name, err)
	}
	a.log.Info("removed chassis from the Southbound database", "chassis", name)

	if ovsCl, _ := a.ovs.Client(); ovsCl != nil {
		if row, err := openVSwitchRow(ctx, ovsCl); err == nil {
			ops, err := deleteMapKeys(ovsCl, &vswitchd.OpenvSwitch{UUID: row.UUID},
				func(m *vswitchd.OpenvSwitch) any { return &m.OtherConfig }, "ovn-chassis-idx-"+name)
			if err == nil {
				_, err = db.Transact(ctx, ovsCl, ops...)
			}
			if err != nil {
				a.log.Warn("could not remove the chassis index from Open_vSwitch", "err", err)
			}
		}
	}
	return nil
}

func releaseOps(cl client.Client, pb *sbdb.PortBinding) ([]ovsdb.Operation, error) {
	update := &sbdb.PortBinding{UUID: pb.UUID}
	fields := []any{&update.Chassis, &update.Encap}
	if pb.Up != nil {
		down := false
		update.Up = &down
		fields = append(fields, &update.Up)
	}
	ops, err := cl.Where(update).Update(update, fields...)
	if err != nil {
		return nil, fmt.Errorf("build release of %s: %w", pb.LogicalPort, err)
	}
	return ops, nil
}
