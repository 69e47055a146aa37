package tunnel

// Bridge is the part of an OVS Bridge row (with its ports) the planners
// read.
type Bridge struct {
	Name  string
	Ports []Port
}

// Port is the part of an OVS Port row (with its interfaces) the planners
// read.
type Port struct {
	Name        string
	ExternalIDs map[string]string
	Interfaces  []Interface
}

// Interface is the part of an OVS Interface row the planners read.
type Interface struct {
	Name    string
	Type    string
	Options map[string]string
	// OFPort is the Interface's ofport (0 or negative when it has none).
	OFPort int
	// BFD and BFDStatus are the Interface's bfd and bfd_status columns
	// (only PlanBFD and ActiveTunnels read them).
	BFD, BFDStatus map[string]string
}

// PortRef names a port on a bridge (for removals).
type PortRef struct {
	Bridge string
	Port   string
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
