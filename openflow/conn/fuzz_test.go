package conn

import (
	"bufio"
	"bytes"
	"testing"
)

// The decoders take bytes from the switch: arbitrary input must give an
// error, never a panic.

func FuzzDecoders(f *testing.F) {
	f.Add(AppendHello(nil, 1))
	f.Add(AppendTLVTableMod(nil, 1, TLVTableAdd, []TLVMap{{OptionClass: 0x102, OptionType: 0x80, OptionLen: 4}}))
	pin := &PacketIn{Packet: []byte{1, 2, 3}, Metadata: []byte{0x80, 0, 0, 4, 0, 0, 0, 1}, Continuation: []byte{0, 1, 0, 8, 1, 2, 3, 4}, Cookie: 5}
	resume := AppendResume(nil, 1, pin, pin.Packet)
	resume[15] = byte(NXTPacketIn2)
	f.Add(resume)
	f.Add([]byte{6, 1, 0, 16, 0, 0, 0, 1, 0, 2, 0, 15, 6, 14, 0, 8})
	f.Add([]byte{6, 1, 0, 20, 0, 0, 0, 1, 0xff, 0xff, 0, 20, 0, 0, 0x23, 0x20, 6, 0, 0, 8})
	fm := FlowMod{Command: FlowAdd, Table: 1, Priority: 2, Match: []byte{0x80, 0, 0x0a, 2, 8, 0}, Actions: make([]byte, 16)}
	f.Add(fm.Append(nil, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseHeader(b)
		_, _ = DecodeError(b)
		if e, err := DecodeError(b); err == nil {
			_ = e.Error()
		}
		_, _ = DecodePacketIn2(b)
		_, _ = DecodeTLVTableReply(b)
		_, _ = DecodePortStatus(b)
		_, _ = DecodeFeatures(b)
		_, _ = DecodeFlowStats(b, nil)
		_, _ = DecodeGroupDescs(b, nil)
		_, _ = DecodeMeterConfigs(b, nil)
		_, _ = DecodeBuckets(b)
		_, _ = ApplyActions(b)
		if len(b) >= HeaderLen {
			m := Message{Raw: b}
			m.Type = MsgType(b[1])
			_ = m.Name()
			_ = helloSupports(m)
		}
		_, _ = readMessage(bufio.NewReader(bytes.NewReader(b)))
	})
}

func FuzzFlowStatsReply(f *testing.F) {
	// One entry as OVS sends it: flow desc, match, OXS stats, instructions.
	entry := []byte{0, 0, 0, 0, 3, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa, 0xbc}
	entry = AppendMatch(entry, []byte{0x80, 0, 0x0a, 2, 8, 0})
	entry = append(entry, 0, 0, 0, 16, 0x80, 0x02, 0x08, 8, 0, 0, 0, 0, 0, 0, 0, 0)
	entry = AppendApplyActions(entry, []byte{0, 0, 0, 16, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0})
	entry[1] = byte(len(entry))
	f.Add(entry)
	f.Fuzz(func(t *testing.T, b []byte) {
		flows, err := DecodeFlowStats(b, nil)
		if err != nil {
			return
		}
		for i := range flows {
			_, _ = flows[i].Actions()
		}
	})
}
