package ofctrl

// DesiredFlows returns the desired flows for which keep, given the flow's
// table and priority, returns true. It lets a diagnostic tell the flows
// this controller installs from the ones it does not.
func (c *Controller) DesiredFlows(keep func(table uint8, priority uint16) bool) []Flow {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Flow
	for k, d := range c.desired {
		if keep(k.table, k.priority) {
			out = append(out, d.flow)
		}
	}
	return out
}
