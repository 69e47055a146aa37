//go:build tools

// Package tools pins build-time tools (libovsdb modelgen) in go.mod.
package tools

import (
	_ "github.com/digitalocean/go-openvswitch/ovs"
	_ "github.com/ovn-org/libovsdb/client"
	_ "github.com/ovn-org/libovsdb/cmd/modelgen"
	_ "github.com/vishvananda/netlink"
	_ "github.com/vishvananda/netns"
)
