package physical

import (
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// actionList accumulates actions.
type actionList struct{ as flow.Actions }

func (a *actionList) add(acts ...flow.Action) *actionList {
	a.as = append(a.as, acts...)
	return a
}

// load is put_load() of a whole 32-bit register or another whole field.
func (a *actionList) load(f flow.Field, v uint64) *actionList {
	return a.add(flow.SetFieldUint(f, v))
}

// loadBits is put_load() into bits [ofs, ofs+n) of f.
func (a *actionList) loadBits(f flow.Field, ofs, n int, v uint64) *actionList {
	return a.add(flow.Load(flow.Subfield{Field: f, Offset: ofs, Bits: n}, v))
}

func (a *actionList) move(src flow.Field, srcOfs int, dst flow.Field, dstOfs, n int) *actionList {
	return a.add(flow.Move{
		Src: flow.Subfield{Field: src, Offset: srcOfs, Bits: n},
		Dst: flow.Subfield{Field: dst, Offset: dstOfs, Bits: n},
	})
}

func (a *actionList) resubmit(table uint8) *actionList {
	return a.add(flow.Resubmit{Port: flow.PortInPort, Table: table})
}

func (a *actionList) output(port uint16) *actionList {
	return a.add(flow.Output{Port: flow.Port(port)})
}

// zones is put_zones_ofpacts(): each non-zero zone is loaded.
func (a *actionList) zones(z zoneIDs) *actionList {
	if z.ct != 0 {
		a.load(pipeline.RegCTZone, uint64(z.ct))
	}
	if z.dnat != 0 {
		a.load(pipeline.RegDNATZone, uint64(z.dnat))
	}
	if z.snat != 0 {
		a.load(pipeline.RegSNATZone, uint64(z.snat))
	}
	return a
}

// clearLogRegs zeroes reg0..reg9.
func (a *actionList) clearLogRegs() *actionList {
	for i := 0; i < pipeline.NumLogRegs; i++ {
		a.load(flow.FieldReg0+flow.Field(i), 0)
	}
	return a
}

// ingressMetadata is load_logical_ingress_metadata(): zones, then metadata
// and reg14.
func (a *actionList) ingressMetadata(pb *PortBinding, z zoneIDs) *actionList {
	a.zones(z)
	a.load(fieldMetadata, uint64(pb.DatapathKey))
	return a.load(pipeline.RegInport, uint64(pb.TunnelKey))
}

// hairpinOutput pushes in_port, sets it to OFPP_NONE so that output to
// the ingress port is allowed, resubmits to 65 and restores it.
func (a *actionList) hairpinOutput() *actionList {
	return a.add(
		flow.StackPush{Subfield: flow.WholeField(fieldInPort)},
		flow.SetFieldUint(fieldInPort, uint64(flow.PortAny)),
		flow.Resubmit{Port: flow.PortInPort, Table: pipeline.TableLogToPhy},
		flow.StackPop{Subfield: flow.WholeField(fieldInPort)},
	)
}

// pushVLAN is ofpact_put_push_vlan(): TPID from the localnet port's
// options:ethtype (23.03 only knows the misspelt "802.11ad"), then the VID.
func (a *actionList) pushVLAN(options map[string]string, tag uint16) *actionList {
	tpid := uint16(0x8100)
	if equalFoldASCII(options["ethtype"], "802.11ad") {
		tpid = 0x88a8
	}
	a.add(flow.PushVLAN{EtherType: tpid})
	return a.add(flow.SetFieldUint(flow.FieldVLANVID, uint64(0x1000|tag)))
}

func (a *actionList) setEthSrc(mac [6]byte) *actionList {
	return a.add(flow.SetField{Field: flow.FieldEthSrc, Value: mac[:]})
}

func (a *actionList) list() flow.Actions { return a.as }

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
