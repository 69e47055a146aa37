package vlog

// knownModules are the vlog modules of ovn-controller 23.03 (its own and
// those of the OVS library it links), so that specs written for it
// ("-vencaps:dbg", "vlog/set vconn:dbg") are accepted, plus chassisd's own.
// Modules seen in log records are added on first use.
var knownModules = []string{
	// ovn-controller and OVN's lib.
	"acl_log", "actions", "binding", "chassis", "encaps", "expr", "extend_table", "features",
	"ha_chassis", "if_status", "inc_proc_eng", "lb", "ldata", "lflow", "lflow_cache", "lport",
	"mac_learn", "main", "memory_trim", "ofctrl", "ovn_bfd", "ovn_parallel_hmap", "ovn_util",
	"ovsport", "patch", "physical", "pinctrl", "port_mirror", "resource_dep", "vif_plug",
	"vif_plug_provider",
	// The OVS library.
	"backtrace", "bfd", "bundle", "cfm", "command_line", "conntrack", "coverage", "ct_dpif",
	"daemon", "daemon_unix", "db_ctl_base", "dns_resolve", "dpif", "entropy", "fatal_signal",
	"flow", "hmap", "jsonrpc", "lockfile", "memory", "meta_flow", "netdev", "netlink",
	"netlink_socket", "nx_match", "odp_util", "ofp_actions", "ofp_bundle", "ofp_connection",
	"ofp_errors", "ofp_flow", "ofp_group", "ofp_match", "ofp_meter", "ofp_msgs", "ofp_packet",
	"ofp_port", "ofp_protocol", "ofp_table", "ofp_util", "ovs_rcu", "ovs_thread", "ovsdb_cs",
	"ovsdb_error", "ovsdb_idl", "poll_loop", "process", "rconn", "reconnect", "signals",
	"socket_util", "socket_util_unix", "stopwatch", "stream", "stream_fd", "stream_ssl",
	"stream_tcp", "stream_unix", "svec", "timeval", "unixctl", "util", "uuid", "vconn",
	"vconn_stream", "vlog",
	// chassisd's own.
	"libovsdb", "ovsdb", "metadata", "metrics", "explain",
}
