// Package db owns chassisd's connections to OVSDB servers: the local
// Open_vSwitch database and the OVN Southbound database. It wraps libovsdb
// behind a small surface (Conn) that reconnects with its own loop, monitors
// only the columns of the generated models (sbdb, vswitchd), signals every
// change on one coalescing channel, and counts connection epochs so that the
// agent recomputes everything after a reconnect.
//
// It does not decide what to write; the agent builds the operations.
package db
