package ofctrl

// Counts are the sizes of the desired and installed tables.
type Counts struct {
	DesiredFlows, InstalledFlows   int
	DesiredGroups, InstalledGroups int
	DesiredMeters, InstalledMeters int
	// Rejected counts desired entries the switch refused.
	Rejected int
}

// Counts returns the current table sizes.
func (c *Controller) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Counts{
		DesiredFlows: len(c.desired), InstalledFlows: len(c.installed),
		DesiredGroups: len(c.desiredGroups), InstalledGroups: len(c.installedGrp),
		DesiredMeters: len(c.desiredMeters), InstalledMeters: len(c.installedMeter),
		Rejected: len(c.rejectedFlows) + len(c.rejectedGroups) + len(c.rejectedMeters),
	}
}
