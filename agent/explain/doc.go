// Package explain answers "why did this packet go there?" on a chassis.
//
// It owns the pure half of `chassisd explain`: building an ofproto/trace
// flow from a packet described in logical terms (a port and a destination
// address), parsing what ovs-vswitchd's ofproto/trace prints, mapping each
// OpenFlow step back to the logical flow, datapath, port and Northbound
// object behind it (from a Catalog the agent fills in from its databases),
// deciding the verdict, and rendering the result for people (text) and
// tools (JSON).
//
// Nothing here touches a socket: the agent gathers the Catalog and runs the
// trace, this package turns both into an Explanation.
package explain
