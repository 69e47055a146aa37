package pipeline

import "github.com/chassisd/chassisd/openflow/flow"

// Registers with fixed roles (include/ovn/logical-fields.h MFF_LOG_*).
const (
	// RegDatapath is MFF_LOG_DATAPATH: the datapath's tunnel key.
	RegDatapath = flow.FieldMetadata
	// RegFlags is MFF_LOG_FLAGS (the logical `flags`, MLF_* bits).
	RegFlags = flow.FieldReg0 + 10
	// RegDNATZone is MFF_LOG_DNAT_ZONE: the datapath's DNAT zone.
	RegDNATZone = flow.FieldReg0 + 11
	// RegSNATZone is MFF_LOG_SNAT_ZONE: the datapath's SNAT zone.
	RegSNATZone = flow.FieldReg0 + 12
	// RegCTZone is MFF_LOG_CT_ZONE: the logical port's zone.
	RegCTZone = flow.FieldReg0 + 13
	// RegInport is MFF_LOG_INPORT (the logical `inport`).
	RegInport = flow.FieldReg0 + 14
	// RegOutport is MFF_LOG_OUTPORT (the logical `outport`).
	RegOutport = flow.FieldReg0 + 15
)

// NumLogRegs is MFF_N_LOG_REGS: reg0..reg9 are logical scratch registers,
// cleared between pipelines.
const NumLogRegs = 10

// Registers the load balancer tables read (MFF_LOG_LB_*): the original
// destination of a load-balanced packet, stored by northd's flows.
const (
	// RegLBOrigDIPv4 is MFF_LOG_LB_ORIG_DIP_IPV4.
	RegLBOrigDIPv4 = flow.FieldReg0 + 1
	// RegLBOrigDIPv6 is MFF_LOG_LB_ORIG_DIP_IPV6.
	RegLBOrigDIPv6 = flow.FieldXXReg0 + 1
	// RegLBOrigTPDport is MFF_LOG_LB_ORIG_TP_DPORT (bits 0..15).
	RegLBOrigTPDport = flow.FieldReg0 + 2
	// RegLBAffMatchIPv4 is MFF_LOG_LB_AFF_MATCH_IP4_ADDR.
	RegLBAffMatchIPv4 = flow.FieldReg0 + 4
	// RegLBAffMatchLSIPv6 and RegLBAffMatchLRIPv6 are the IPv6 ones on
	// switches and routers.
	RegLBAffMatchLSIPv6 = flow.FieldXXReg0
	RegLBAffMatchLRIPv6 = flow.FieldXXReg0 + 1
	// RegLBAffMatchPort is MFF_LOG_LB_AFF_MATCH_PORT (bits 0..15).
	RegLBAffMatchPort = flow.FieldReg0 + 8
)

// RegPktLarger holds REGBIT_PKT_LARGER, check_pkt_larger's result in the
// output section (reg9[1]).
var RegPktLarger = flow.Subfield{Field: flow.FieldReg0 + 9, Offset: 1, Bits: 1}

// MFF_LOG_FLAGS bits (MLF_*_BIT).
const (
	FlagAllowLoopbackBit      = 0
	FlagRcvFromRampBit        = 1
	FlagForceSNATForDNATBit   = 2
	FlagForceSNATForLBBit     = 3
	FlagLocalOnlyBit          = 4
	FlagNestedContainerBit    = 5
	FlagLookupMACBit          = 6
	FlagLookupLBHairpinBit    = 7
	FlagLookupFDBBit          = 8
	FlagSkipSNATForLBBit      = 9
	FlagLocalportBit          = 10
	FlagUseSNATZoneBit        = 11
	FlagCheckPortSecBit       = 12
	FlagLookupCommitECMPNHBit = 13
	FlagUseLBAffSessionBit    = 14
	FlagLocalnetBit           = 15
	FlagRxFromTunnelBit       = 16
	FlagICMPSNATBit           = 17
)

// MFF_LOG_FLAGS values (MLF_*: 1 << bit).
const (
	FlagAllowLoopback   = 1 << FlagAllowLoopbackBit
	FlagRcvFromRamp     = 1 << FlagRcvFromRampBit
	FlagLocalOnly       = 1 << FlagLocalOnlyBit
	FlagNestedContainer = 1 << FlagNestedContainerBit
	FlagLookupMAC       = 1 << FlagLookupMACBit
	FlagLookupFDB       = 1 << FlagLookupFDBBit
	FlagLocalport       = 1 << FlagLocalportBit
	FlagCheckPortSec    = 1 << FlagCheckPortSecBit
)

// Conntrack mark and label bits (OVN_CT_*_BIT): the same bit numbers in
// ct_mark and in the low bits of ct_label.
const (
	CTBlockedBit      = 0
	CTNattedBit       = 1
	CTLBSkipSNATBit   = 2
	CTLBForceSNATBit  = 3
	CTECMPEthFirstBit = 32 // ct_label.ecmp_reply_eth[32..79]
	CTECMPEthLastBit  = 79
)

// Conntrack mark and label values (OVN_CT_*: 1 << bit).
const (
	CTNatted      = 1 << CTNattedBit
	CTLBSkipSNAT  = 1 << CTLBSkipSNATBit
	CTLBForceSNAT = 1 << CTLBForceSNATBit
)
