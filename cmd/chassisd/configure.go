package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/db/vswitchd"
)

// runConfigure is `chassisd configure [--db OVS-DATABASE] KEY=VALUE...`:
// it sets the Open_vSwitch row's external_ids (an empty VALUE removes the
// key), as `ovs-vsctl set Open_vSwitch . external_ids:KEY=VALUE` does, so
// a container that has no OVS tools can write the chassis configuration
// (ovn-remote, ovn-encap-ip, ...) from its ConfigMap and environment.
func runConfigure(args []string, errOut io.Writer) int {
	fs := flag.NewFlagSet("chassisd configure", flag.ContinueOnError)
	fs.SetOutput(errOut)
	db := fs.String("db", "unix:"+ovsRunDir()+"/db.sock", "OVS database")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 1
	}
	set, del := map[string]string{}, []string{}
	for _, kv := range fs.Args() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(errOut, "chassisd configure: %q is not KEY=VALUE\n", kv)
			return 1
		}
		if v == "" {
			del = append(del, k)
		} else {
			set[k] = v
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := setExternalIDs(ctx, *db, set, del); err != nil {
		fmt.Fprintf(errOut, "chassisd configure: %v\n", err)
		return 1
	}
	return 0
}

func setExternalIDs(ctx context.Context, endpoint string, set map[string]string, del []string) error {
	dbModel, err := model.NewClientDBModel("Open_vSwitch", map[string]model.Model{vswitchd.OpenvSwitchTable: &vswitchd.OpenvSwitch{}})
	if err != nil {
		return err
	}
	cl, err := client.NewOVSDBClient(dbModel, client.WithEndpoint(endpoint))
	if err != nil {
		return err
	}
	if err := cl.Connect(ctx); err != nil {
		return fmt.Errorf("connect to %s: %w", endpoint, err)
	}
	defer cl.Close()
	if _, err := cl.MonitorAll(ctx); err != nil {
		return fmt.Errorf("monitor Open_vSwitch: %w", err)
	}
	var rows []vswitchd.OpenvSwitch
	if err := cl.List(ctx, &rows); err != nil || len(rows) == 0 {
		return errors.Join(errors.New("no Open_vSwitch row (is the database initialised?)"), err)
	}
	row := &vswitchd.OpenvSwitch{UUID: rows[0].UUID}
	keys := append([]string{}, del...)
	for k := range set {
		keys = append(keys, k)
	}
	ops, err := cl.Where(row).Mutate(row,
		model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationDelete, Value: keys},
		model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationInsert, Value: set})
	if err != nil {
		return err
	}
	res, err := cl.Transact(ctx, ops...)
	if err != nil {
		return err
	}
	_, err = ovsdb.CheckOperationResults(res, ops)
	return err
}
