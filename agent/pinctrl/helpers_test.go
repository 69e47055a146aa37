package pinctrl

import (
	"encoding/binary"

	"github.com/chassisd/chassisd/openflow/conn"
)

// encodePacketIn2 builds the NXT_PACKET_IN2 ovs-vswitchd would send for pin
// (packet, table, reason, metadata, userdata and continuation properties).
func encodePacketIn2(pin *conn.PacketIn) []byte {
	b := []byte{6, 4, 0, 0, 0, 0, 0, 1}
	b = binary.BigEndian.AppendUint32(b, conn.NiciraVendor)
	b = binary.BigEndian.AppendUint32(b, conn.NXTPacketIn2)
	prop := func(typ uint16, v []byte) {
		s := len(b)
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, uint16(4+len(v)))
		b = append(b, v...)
		for (len(b)-s)%8 != 0 {
			b = append(b, 0)
		}
	}
	prop(0, pin.Packet)
	prop(3, []byte{pin.TableID})
	prop(5, []byte{pin.Reason})
	prop(6, pin.Metadata)
	if pin.Userdata != nil {
		prop(7, pin.Userdata)
	}
	if pin.Continuation != nil {
		prop(8, append([]byte{0, 0, 0, 0}, pin.Continuation...))
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// discardSender swallows replies, counting them.
type discardSender struct{ outs, resumes int }

func (d *discardSender) PacketOut(*conn.PacketOut) error { d.outs++; return nil }
func (d *discardSender) Resume(*conn.PacketIn, []byte) error {
	d.resumes++
	return nil
}
