package conn

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by requests on a closed connection.
var ErrClosed = errors.New("openflow connection closed")

var errorTypeNames = map[uint16]string{
	0: "OFPET_HELLO_FAILED", 1: "OFPET_BAD_REQUEST", 2: "OFPET_BAD_ACTION", 3: "OFPET_BAD_INSTRUCTION",
	4: "OFPET_BAD_MATCH", 5: "OFPET_FLOW_MOD_FAILED", 6: "OFPET_GROUP_MOD_FAILED", 7: "OFPET_PORT_MOD_FAILED",
	8: "OFPET_TABLE_MOD_FAILED", 9: "OFPET_QUEUE_OP_FAILED", 10: "OFPET_SWITCH_CONFIG_FAILED",
	11: "OFPET_ROLE_REQUEST_FAILED", 12: "OFPET_METER_MOD_FAILED", 13: "OFPET_TABLE_FEATURES_FAILED",
	14: "OFPET_BAD_PROPERTY", 15: "OFPET_ASYNC_CONFIG_FAILED", 16: "OFPET_FLOW_MONITOR_FAILED",
	17: "OFPET_BUNDLE_FAILED", 0xffff: "OFPET_EXPERIMENTER",
}

// OFError is an OFPT_ERROR from the switch.
type OFError struct {
	Type uint16
	Code uint16 // for experimenter errors, the experimenter's error type
	// Experimenter is the vendor of an experimenter error (0x2320 for
	// Nicira), zero for standard errors.
	Experimenter uint32
	Xid          uint32
	// Data is the start of the offending request, as the switch echoes it.
	Data []byte
}

// DecodeError decodes a whole OFPT_ERROR message.
func DecodeError(raw []byte) (*OFError, error) {
	if len(raw) < 12 {
		return nil, fmt.Errorf("error message: %d bytes", len(raw))
	}
	e := &OFError{Type: be16(raw[8:]), Code: be16(raw[10:]), Xid: be32(raw[4:]), Data: raw[12:]}
	if e.Type == 0xffff {
		if len(raw) < 16 {
			return nil, fmt.Errorf("experimenter error message: %d bytes", len(raw))
		}
		e.Experimenter = be32(raw[12:])
		e.Data = raw[16:]
	}
	return e, nil
}

// Name is the OVS name of the error, e.g. "OFPBAC_BAD_SET_ARGUMENT".
func (e *OFError) Name() string {
	if e.Type == 0xffff {
		if e.Experimenter == NiciraVendor {
			if n, ok := nxErrorNames[e.Code]; ok {
				return n
			}
		}
		return fmt.Sprintf("experimenter(%#x) error %d", e.Experimenter, e.Code)
	}
	if n, ok := standardErrorNames[uint32(e.Type)<<16|uint32(e.Code)]; ok {
		return n
	}
	t, ok := errorTypeNames[e.Type]
	if !ok {
		t = fmt.Sprintf("type %d", e.Type)
	}
	return fmt.Sprintf("%s code %d", t, e.Code)
}

// FailedRequest describes the offending message from Data: its type (with
// the inner message type for bundle adds) and xid.
func (e *OFError) FailedRequest() string {
	if len(e.Data) < HeaderLen {
		return fmt.Sprintf("xid %#x", e.Xid)
	}
	m := Message{Raw: e.Data}
	m.Type, m.Xid = MsgType(e.Data[1]), be32(e.Data[4:])
	name := m.Name()
	if m.Type == TypeBundleAddMessage && len(e.Data) >= bundleAddHeaderLen+HeaderLen {
		inner := Message{Raw: e.Data[bundleAddHeaderLen:]}
		inner.Type = MsgType(e.Data[bundleAddHeaderLen+1])
		name += "(" + inner.Name() + ")"
	}
	return fmt.Sprintf("%s xid %#x", name, m.Xid)
}

func (e *OFError) Error() string {
	return fmt.Sprintf("switch rejected %s: %s", e.FailedRequest(), e.Name())
}

// Is makes errors.Is(err, &OFError{Type: t, Code: c}) match by type and code.
func (e *OFError) Is(target error) bool {
	t, ok := target.(*OFError)
	return ok && t.Type == e.Type && t.Code == e.Code && t.Experimenter == e.Experimenter
}

// Well-known errors, for errors.Is.
var (
	ErrBundleMsgFailed = &OFError{Type: 17, Code: 13} // OFPBFC_MSG_FAILED
	ErrBundleTimeout   = &OFError{Type: 17, Code: 14} // OFPBFC_TIMEOUT
	ErrGroupExists     = &OFError{Type: 6, Code: 0}   // OFPGMFC_GROUP_EXISTS
	ErrUnknownGroup    = &OFError{Type: 6, Code: 8}   // OFPGMFC_UNKNOWN_GROUP
	ErrMeterExists     = &OFError{Type: 12, Code: 1}  // OFPMMFC_METER_EXISTS
	ErrUnknownMeter    = &OFError{Type: 12, Code: 3}  // OFPMMFC_UNKNOWN_METER
	ErrBadSetArgument  = &OFError{Type: 2, Code: 15}  // OFPBAC_BAD_SET_ARGUMENT
	ErrTLVAlreadyMap   = &OFError{Type: 0xffff, Code: 20, Experimenter: NiciraVendor}
)
