package actions

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chassisd/chassisd/openflow/flow"
)

// ErrUserdata wraps malformed controller userdata.
var ErrUserdata = errors.New("actions: bad controller userdata")

// Userdata is the userdata of an OVN controller action split into its
// opcode and the opcode-specific payload that follows the 8-byte header.
type Userdata struct {
	Op      Opcode
	Payload []byte
}

// DecodeUserdata splits userdata (as a packet-in carries it) into opcode
// and payload.
func DecodeUserdata(b []byte) (Userdata, error) {
	if len(b) < UserdataHeaderLen {
		return Userdata{}, fmt.Errorf("%w: %d bytes, need %d", ErrUserdata, len(b), UserdataHeaderLen)
	}
	return Userdata{Op: Opcode(binary.BigEndian.Uint32(b)), Payload: b[UserdataHeaderLen:]}, nil
}

// ResultField decodes the result field that starts the payload of the
// paused opcodes (PUT_DHCP_OPTS, PUT_DHCPV6_OPTS, DNS_LOOKUP,
// PUT_ND_RA_OPTS): the OVS field, the bit within it that receives the
// 1-bit result, and the rest of the payload.
func (u Userdata) ResultField() (f flow.Field, bit int, rest []byte, err error) {
	f, _, _, n, err := flow.DecodeHeader(u.Payload)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("%w: result field: %w", ErrUserdata, err)
	}
	if len(u.Payload) < n+4 {
		return 0, 0, nil, fmt.Errorf("%w: result field offset truncated", ErrUserdata)
	}
	bit = int(binary.BigEndian.Uint32(u.Payload[n:]))
	if bit >= f.Bits() {
		return 0, 0, nil, fmt.Errorf("%w: bit %d of %d-bit field %s", ErrUserdata, bit, f.Bits(), f.Name())
	}
	return f, bit, u.Payload[n+4:], nil
}

// NestedActions decodes the OpenFlow 1.5 actions that the packet-generating
// opcodes (ARP, ND_NA, ND_NS, ICMP, ...) carry.
func (u Userdata) NestedActions() (flow.Actions, error) {
	acts, err := flow.DecodeActions(u.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: nested actions: %w", ErrUserdata, err)
	}
	return acts, nil
}
