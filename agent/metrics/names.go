package metrics

import "github.com/chassisd/chassisd/openflow/conn"

// Coverage counters chassisd bumps, named as ovn-controller names the same
// events so that `coverage/read-counter` and ovn-kubernetes' scrapers keep
// working.
var (
	// LflowRun counts full translations of the Logical_Flow table.
	LflowRun = NewCounter("lflow_run")
	// PhysicalRun counts computations of the physical flows.
	PhysicalRun = NewCounter("physical_run")
	// FlowExtract counts packet-ins parsed by pinctrl (ovn-kubernetes
	// exports it as ovn_controller_packet_in).
	FlowExtract = NewCounter("flow_extract")
	// PinctrlTotalPinPkts counts packet-ins pinctrl handled.
	PinctrlTotalPinPkts = NewCounter("pinctrl_total_pin_pkts")
	// PinctrlNotifyMainThread counts pinctrl results handed to the main loop.
	PinctrlNotifyMainThread = NewCounter("pinctrl_notify_main_thread")
	// Packet-ins dropped for lack of room (ovn_controller_packet_in_drop).
	PinctrlDropPutMACBinding   = NewCounter("pinctrl_drop_put_mac_binding")
	PinctrlDropBufferedPackets = NewCounter("pinctrl_drop_buffered_packets_map")
	PinctrlDropControllerEvent = NewCounter("pinctrl_drop_controller_event")
	PinctrlDropPutVportBinding = NewCounter("pinctrl_drop_put_vport_binding")
	LflowConjFreeUnexpected    = NewCounter("lflow_conj_free_unexpected")
	// OVSDB transactions by outcome (ovsdb-idl's names).
	TxnUnchanged  = NewCounter("txn_unchanged")
	TxnIncomplete = NewCounter("txn_incomplete")
	TxnAborted    = NewCounter("txn_aborted")
	TxnSuccess    = NewCounter("txn_success")
	TxnTryAgain   = NewCounter("txn_try_again")
	TxnError      = NewCounter("txn_error")
	// StreamOpen counts connection attempts to a database.
	StreamOpen = NewCounter("stream_open")
	// UnixctlReceived and UnixctlReplied count control socket requests.
	UnixctlReceived = NewCounter("unixctl_received")
	UnixctlReplied  = NewCounter("unixctl_replied")
	// LflowIncrementalRun counts incremental translations (chassisd's).
	LflowIncrementalRun = NewCounter("lflow_incremental_run")
)

// Stopwatches with ovn-controller's names (ovn-kubernetes exports each as
// ovn_controller_<name>_* gauges, dashes as underscores).
var (
	// FlowGeneration times the computation of br-int's desired flows.
	FlowGeneration = NewStopwatch("flow-generation")
	// FlowInstallation times how long a computed flow table takes to be
	// confirmed on the switch.
	FlowInstallation = NewStopwatch("flow-installation")
	// PinctrlRun times the main loop's pinctrl step (GARP targets, DNS,
	// learned MAC bindings written back).
	PinctrlRun = NewStopwatch("pinctrl-run")
	// PatchRun times tunnel and patch port synchronisation.
	PatchRun = NewStopwatch("patch-run")
	// CTZoneCommit times conntrack zone assignment and its write-back.
	CTZoneCommit = NewStopwatch("ct-zone-commit")
	// IfStatusMgrRun times port binding and ovn-installed bookkeeping.
	IfStatusMgrRun = NewStopwatch("if-status-mgr-run")
	// IfStatusMgrUpdate times the write-back of ovn-installed and up.
	IfStatusMgrUpdate = NewStopwatch("if-status-mgr-update")
	// OfctrlSeqnoRun times the nb_cfg report after installation.
	OfctrlSeqnoRun = NewStopwatch("ofctrl-seqno-run")
	// BFDRun times BFD configuration.
	BFDRun = NewStopwatch("bfd-run")
	// VifPlugRun times VIF plug providers (chassisd has none).
	VifPlugRun = NewStopwatch("vif-plug-run")
)

// OpenFlow message counts, kept by openflow/conn. chassisd sends on its
// connections directly (no rconn queue), so rconn_sent equals vconn_sent
// and rconn_queued, rconn_discarded and rconn_overflow stay 0.
var (
	VconnOpen     = CounterFunc("vconn_open", func() uint64 { o, _, _ := conn.Totals(); return o })
	VconnSent     = CounterFunc("vconn_sent", func() uint64 { _, s, _ := conn.Totals(); return s })
	VconnReceived = CounterFunc("vconn_received", func() uint64 { _, _, r := conn.Totals(); return r })
	RconnSent     = CounterFunc("rconn_sent", func() uint64 { _, s, _ := conn.Totals(); return s })
)
