// Package pipeline owns the layout of OVN's OpenFlow pipeline on br-int as
// ovn-controller 23.03.1 (and 24.03.0, which agrees) defines it: the table
// numbers (controller/lflow.h OFTABLE_*), the registers with fixed roles
// (include/ovn/logical-fields.h MFF_LOG_*), the bits of the logical flags
// register (MLF_*), the conntrack mark and label bits (OVN_CT_*), and the
// Port_Binding types that choose a port's physical flows (PortType).
//
// It is the one place these numbers live: the expression symbol table
// (openflow/expr), the action encoder (openflow/actions), the logical and
// physical flow translation (agent/lflow, agent/physical) and the packet-in
// handler (agent/pinctrl) all import them from here, so a change of layout
// is one edit. The reference is §1–§2 of ovn-chassis.md.
//
// The package holds constants only: no state, no I/O.
package pipeline
