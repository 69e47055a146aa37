package explain

import "fmt"

// OpenFlow tables of OVN's pipeline (23.03.1 and later numbering).
const (
	tablePhyToLog      = 0
	tableIngressFirst  = 8
	tableIngressLast   = 36
	tableOutputInit    = 37
	tableOutputLarge   = 38
	tableRemoteOutput  = 39
	tableLocalOutput   = 40
	tableCheckLoopback = 41
	tableEgressFirst   = 42
	tableEgressLast    = 63
	tableSaveInport    = 64
	tableLogToPhy      = 65
	tableMACBinding    = 66
	tableMACLookup     = 67
	tableChkInPortSec  = 73
	tableChkInPortSecN = 74
	tableChkOutPortSec = 75
)

// OpenFlowTable is the OpenFlow table of a logical flow's table_id.
func OpenFlowTable(pipeline string, table int) (int, bool) {
	switch pipeline {
	case "ingress":
		return tableIngressFirst + table, true
	case "egress":
		return tableEgressFirst + table, true
	}
	return 0, false
}

// pipelineOf says which logical pipeline an OpenFlow table belongs to:
// "ingress", "egress" or "" (physical and helper tables).
func pipelineOf(table int) string {
	switch {
	case table >= tableIngressFirst && table <= tableIngressLast:
		return "ingress"
	case table >= tableEgressFirst && table <= tableEgressLast:
		return "egress"
	}
	return ""
}

// physicalTables name the tables ovn-controller fills itself.
var physicalTables = map[int]string{
	0:  "phy_to_log",
	37: "output_large_pkt_detect",
	38: "output_large_pkt_process",
	39: "remote_output",
	40: "local_output",
	41: "check_loopback",
	64: "save_inport",
	65: "log_to_phy",
	66: "mac_binding",
	67: "mac_lookup",
	68: "chk_lb_hairpin",
	69: "chk_lb_hairpin_reply",
	70: "ct_snat_hairpin",
	71: "get_fdb",
	72: "lookup_fdb",
	73: "chk_in_port_sec",
	74: "chk_in_port_sec_nd",
	75: "chk_out_port_sec",
	76: "ecmp_nh_mac",
	77: "ecmp_nh",
	78: "chk_lb_affinity",
	79: "mac_cache_use",
}

// tableName is the name of a table that no logical flow explains.
func tableName(table int) string {
	if n, ok := physicalTables[table]; ok {
		return n
	}
	switch p := pipelineOf(table); p {
	case "ingress":
		return fmt.Sprintf("ingress table %d", table-tableIngressFirst)
	case "egress":
		return fmt.Sprintf("egress table %d", table-tableEgressFirst)
	}
	return fmt.Sprintf("table %d", table)
}

// isHelperTable reports whether a table is a lookup that logical actions
// call and return from (get_arp, check_in_port_sec, chk_lb_hairpin, ...):
// a miss there is an answer, not a drop.
func isHelperTable(table int) bool { return table >= tableMACBinding && table <= 79 }
