package explain

import (
	"fmt"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// OpenFlowTable is the OpenFlow table of a logical flow's table_id.
func OpenFlowTable(pipelineName string, table int) (int, bool) {
	switch pipelineName {
	case "ingress":
		return pipeline.TableLogIngress + table, true
	case "egress":
		return pipeline.TableLogEgress + table, true
	}
	return 0, false
}

// pipelineOf says which logical pipeline an OpenFlow table belongs to:
// "ingress", "egress" or "" (physical and helper tables).
func pipelineOf(table int) string {
	switch {
	case table >= pipeline.TableLogIngress && table < pipeline.TableLogIngress+pipeline.LogPipelineLen:
		return "ingress"
	case table >= pipeline.TableLogEgress && table < pipeline.TableSaveInport:
		return "egress"
	}
	return ""
}

// physicalTables name the tables ovn-controller fills itself.
var physicalTables = map[int]string{
	pipeline.TablePhyToLog:           "phy_to_log",
	pipeline.TableOutputLargeDetect:  "output_large_pkt_detect",
	pipeline.TableOutputLargeProcess: "output_large_pkt_process",
	pipeline.TableRemoteOutput:       "remote_output",
	pipeline.TableLocalOutput:        "local_output",
	pipeline.TableCheckLoopback:      "check_loopback",
	pipeline.TableSaveInport:         "save_inport",
	pipeline.TableLogToPhy:           "log_to_phy",
	pipeline.TableMACBinding:         "mac_binding",
	pipeline.TableMACLookup:          "mac_lookup",
	pipeline.TableChkLBHairpin:       "chk_lb_hairpin",
	pipeline.TableChkLBHairpinReply:  "chk_lb_hairpin_reply",
	pipeline.TableCTSnatHairpin:      "ct_snat_hairpin",
	pipeline.TableGetFDB:             "get_fdb",
	pipeline.TableLookupFDB:          "lookup_fdb",
	pipeline.TableChkInPortSec:       "chk_in_port_sec",
	pipeline.TableChkInPortSecND:     "chk_in_port_sec_nd",
	pipeline.TableChkOutPortSec:      "chk_out_port_sec",
	pipeline.TableECMPNHMAC:          "ecmp_nh_mac",
	pipeline.TableECMPNH:             "ecmp_nh",
	pipeline.TableChkLBAffinity:      "chk_lb_affinity",
	pipeline.TableMACCacheUse:        "mac_cache_use",
}

// tableName is the name of a table that no logical flow explains.
func tableName(table int) string {
	if n, ok := physicalTables[table]; ok {
		return n
	}
	switch pipelineOf(table) {
	case "ingress":
		return fmt.Sprintf("ingress table %d", table-pipeline.TableLogIngress)
	case "egress":
		return fmt.Sprintf("egress table %d", table-pipeline.TableLogEgress)
	}
	return fmt.Sprintf("table %d", table)
}

// isHelperTable reports whether a table is a lookup that logical actions
// call and return from (get_arp, check_in_port_sec, chk_lb_hairpin, ...):
// a miss there is an answer, not a drop.
func isHelperTable(table int) bool {
	return table >= pipeline.TableMACBinding && table <= pipeline.TableMACCacheUse
}

// learnedTables are filled by learn() actions at run time, not by chassisd.
var learnedTables = map[int]bool{
	pipeline.TableChkLBHairpinReply: true, pipeline.TableECMPNHMAC: true,
	pipeline.TableECMPNH: true, pipeline.TableChkLBAffinity: true,
}

// portSecFailed is the action by which the port-security tables report a
// failed check (flags.check_port_sec = 1).
var portSecFailed = fmt.Sprintf("set_field:%#x/%#x->reg10", pipeline.FlagCheckPortSec, pipeline.FlagCheckPortSec)
