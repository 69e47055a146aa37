package physical

import (
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Field shortcuts used throughout the package.
var (
	fieldMetadata = flow.FieldMetadata
	fieldInPort   = flow.FieldInPort
)

const allOnes32 = 0xffffffff

// matchBuilder builds a flow.Match fluently.
type matchBuilder struct{ m flow.Match }

func newMatch() *matchBuilder { return &matchBuilder{} }

// outportMatch is match_outport_dp_and_port_keys(): metadata and reg15.
func outportMatch(dp, port uint32) *matchBuilder {
	return newMatch().metadata(dp).reg(pipeline.RegOutport, port)
}

func (b *matchBuilder) metadata(dp uint32) *matchBuilder {
	b.m.SetUint(fieldMetadata, uint64(dp), ^uint64(0))
	return b
}

func (b *matchBuilder) reg(f flow.Field, v uint32) *matchBuilder {
	b.m.SetUint(f, uint64(v), allOnes32)
	return b
}

func (b *matchBuilder) regMasked(f flow.Field, v, mask uint32) *matchBuilder {
	b.m.SetUint(f, uint64(v), uint64(mask))
	return b
}

func (b *matchBuilder) flags(v, mask uint32) *matchBuilder {
	return b.regMasked(pipeline.RegFlags, v, mask)
}

func (b *matchBuilder) inPort(p uint16) *matchBuilder {
	b.m.SetUint(fieldInPort, uint64(p), 0xffff)
	return b
}

// dlVLAN matches 802.1Q VID tag (match_set_dl_vlan: VID and CFI).
func (b *matchBuilder) dlVLAN(tag uint16) *matchBuilder {
	b.m.SetUint(flow.FieldVLANTCI, uint64(0x1000|tag&0xfff), 0x1fff)
	return b
}

// noVLAN matches frames without an 802.1Q header (vlan_tci=0x0000/0x1000).
func (b *matchBuilder) noVLAN() *matchBuilder {
	b.m.SetUint(flow.FieldVLANTCI, 0, 0x1000)
	return b
}

// replace forgets what f matched so far, so that set, setMasked, bytes and
// bytesMasked replace it as OVS's match_set_*() do.
func (b *matchBuilder) replace(f flow.Field) {
	if _, _, ok := b.m.Get(f); ok {
		b.m.Clear(f)
	}
}

func (b *matchBuilder) set(f flow.Field, v uint64) *matchBuilder {
	b.replace(f)
	b.m.SetUint(f, v, ^uint64(0))
	return b
}

func (b *matchBuilder) setMasked(f flow.Field, v, mask uint64) *matchBuilder {
	b.replace(f)
	b.m.SetUint(f, v, mask)
	return b
}

func (b *matchBuilder) bytes(f flow.Field, v []byte) *matchBuilder {
	b.replace(f)
	b.m.Set(f, v)
	return b
}

func (b *matchBuilder) bytesMasked(f flow.Field, v, mask []byte) *matchBuilder {
	b.replace(f)
	b.m.SetMasked(f, v, mask)
	return b
}

func (b *matchBuilder) done() flow.Match { return b.m }
