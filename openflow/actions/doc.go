// Package actions owns OVN's logical action language (the `actions` column of
// Southbound Logical_Flow rows, OVN 24.03 `lib/actions.c`): it parses an action
// string into an [Actions] list, formats it back canonically, computes the
// prerequisites the actions add to the flow's match, and encodes the actions
// into OpenFlow actions ([flow.Actions]) exactly as ovn-controller does.
//
// Use:
//
//	pp := actions.NewParseParams(symtab, actions.Ingress, lflow.TableID)
//	acts, prereqs, err := actions.Parse(lflow.Actions, pp) // err: OVN's wording
//	// AND prereqs (may be nil) into the flow's match expression.
//	ep := actions.DefaultEncodeParams(actions.Ingress, isSwitch)
//	ep.LookupPort, ep.GroupTable, ep.MeterTable, ep.LflowUUID, ep.DPKey = ...
//	ofacts, err := acts.Encode(&ep)
//
// Controller-bound actions carry OVN's opcode ([Opcode]) and argument layout
// in the controller userdata, so pinctrl can decode them; nested actions are
// OpenFlow 1.5 wire actions after the 8-byte header. Groups and meters
// referenced by actions are allocated through an [ExtendTable], which hands
// out the same id for the same description.
//
// The package is pure: no I/O. [RunParseActions] reproduces the output of
// upstream's `ovstest test-ovn parse-actions` for the debug CLI and the tests.
package actions
