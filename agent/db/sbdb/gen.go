// Package sbdb holds the libovsdb models of the OVN Southbound database,
// generated from the OVN 23.03 schema (version 20.27.0), the oldest server
// chassisd supports. libovsdb checks the model against the server's schema
// at connect time; newer servers only add columns, which the model ignores.
package sbdb

//go:generate go run github.com/ovn-org/libovsdb/cmd/modelgen -extended -p sbdb -o . ovn-sb.ovsschema
