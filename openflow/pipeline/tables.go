package pipeline

// OpenFlow tables of OVN 23.03.1+ / 24.03.0 (controller/lflow.h).
//
// A logical flow of stage n runs in table TableLogIngress+n (ingress) or
// TableLogEgress+n (egress). Tables 1–7 are unused; OVN never uses
// goto_table, every transition is resubmit(,N).
const (
	// TablePhyToLog classifies packets by in_port (physical → logical).
	TablePhyToLog = 0
	// TableLogIngress is the first table of the logical ingress pipeline.
	TableLogIngress = 8
	// TableOutputLargeDetect (= OFTABLE_OUTPUT_INIT) is where `output;` of
	// the ingress pipeline lands: check_pkt_larger of multichassis ports.
	TableOutputLargeDetect = 37
	// TableOutputInit is the entry of the output section.
	TableOutputInit = TableOutputLargeDetect
	// TableOutputLargeProcess handles too-big packets.
	TableOutputLargeProcess = 38
	// TableRemoteOutput sends packets to other chassis.
	TableRemoteOutput = 39
	// TableLocalOutput delivers packets to ports on this chassis.
	TableLocalOutput = 40
	// TableCheckLoopback drops same-port loopback and enters egress.
	TableCheckLoopback = 41
	// TableLogEgress is the first table of the logical egress pipeline.
	TableLogEgress = 42
	// TableSaveInport is where `output;` of the egress pipeline lands.
	TableSaveInport = 64
	// TableLogToPhy outputs to the OpenFlow port (logical → physical).
	TableLogToPhy = 65
	// TableMACBinding answers get_arp/get_nd (MAC_Binding rows).
	TableMACBinding = 66
	// TableMACLookup answers lookup_arp/lookup_nd.
	TableMACLookup = 67
	// TableChkLBHairpin answers chk_lb_hairpin().
	TableChkLBHairpin = 68
	// TableChkLBHairpinReply answers chk_lb_hairpin_reply() (learned).
	TableChkLBHairpinReply = 69
	// TableCTSnatHairpin implements ct_snat_to_vip.
	TableCTSnatHairpin = 70
	// TableGetFDB answers get_fdb() (FDB rows).
	TableGetFDB = 71
	// TableLookupFDB answers lookup_fdb().
	TableLookupFDB = 72
	// TableChkInPortSec answers check_in_port_sec() (port_security).
	TableChkInPortSec = 73
	// TableChkInPortSecND is the ARP/ND part of ingress port security.
	TableChkInPortSecND = 74
	// TableChkOutPortSec answers check_out_port_sec().
	TableChkOutPortSec = 75
	// TableECMPNHMAC and TableECMPNH are learned by commit_ecmp_nh.
	TableECMPNHMAC = 76
	TableECMPNH    = 77
	// TableChkLBAffinity is learned by commit_lb_aff.
	TableChkLBAffinity = 78
	// TableMACCacheUse counts MAC_Binding use (24.03 only).
	TableMACCacheUse = 79
)

// LogPipelineLen is LOG_PIPELINE_LEN: the number of tables per logical
// pipeline.
const LogPipelineLen = 29
