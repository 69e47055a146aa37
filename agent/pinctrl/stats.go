package pinctrl

// Stats are pinctrl's queue sizes, for `chassisd/pinctrl-stats`.
type Stats struct {
	Connected        bool
	PendingMACs      int    // learned MAC bindings not yet written
	DroppedMACs      uint64 // learned MAC bindings dropped on overflow
	PendingFDB       int    // learned FDB entries not yet written
	BufferedNextHops int    // next hops being resolved
	BufferedPackets  int    // packets waiting for them
	GARPTargets      int    // VIFs announced by GARP/RARP
}

// Stats returns the current queue sizes.
func (p *Pinctrl) Stats() Stats {
	var s Stats
	p.mu.Lock()
	s.Connected = p.conn != nil
	p.mu.Unlock()
	p.macs.mu.Lock()
	s.PendingMACs, s.DroppedMACs = len(p.macs.pending), p.macs.dropped
	p.macs.mu.Unlock()
	p.fdb.mu.Lock()
	s.PendingFDB = len(p.fdb.pending)
	p.fdb.mu.Unlock()
	p.buffer.mu.Lock()
	s.BufferedNextHops = len(p.buffer.queues)
	for _, q := range p.buffer.queues {
		s.BufferedPackets += len(q.packets)
	}
	p.buffer.mu.Unlock()
	p.garps.mu.Lock()
	s.GARPTargets = len(p.garps.targets)
	p.garps.mu.Unlock()
	return s
}
