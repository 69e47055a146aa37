package conn

import "sync/atomic"

// Process-wide message counts across every connection, read by the
// agent's coverage counters (vconn_open, vconn_sent, vconn_received).
var totals struct {
	opens, sent, received atomic.Uint64
}

// Totals returns how many connections were attempted and how many
// messages were sent and received, since the process started.
func Totals() (opens, sent, received uint64) {
	return totals.opens.Load(), totals.sent.Load(), totals.received.Load()
}
