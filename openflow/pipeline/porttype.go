package pipeline

// PortType is a Port_Binding's type column. It decides how a port is
// classified (which chassis claims it, whether it makes a datapath local)
// and which physical flows it gets.
type PortType string

// The Port_Binding types ovn-controller 23.03 knows.
const (
	PortVIF             PortType = "" // a VM or container interface
	PortPatch           PortType = "patch"
	PortL3Gateway       PortType = "l3gateway"
	PortLocalnet        PortType = "localnet"
	PortLocalport       PortType = "localport"
	PortL2Gateway       PortType = "l2gateway"
	PortVTEP            PortType = "vtep"
	PortChassisRedirect PortType = "chassisredirect"
	PortVirtual         PortType = "virtual"
	PortExternal        PortType = "external"
	PortRemote          PortType = "remote"
)

// IsVIF reports whether the port is a plain VIF (type "").
func (t PortType) IsVIF() bool { return t == PortVIF }
