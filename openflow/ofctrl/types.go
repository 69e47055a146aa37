package ofctrl

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/chassisd/chassisd/openflow/conn"
)

// Match is what the reconciler needs from a match value. Key must be equal
// for equal matches; AppendOXMFields appends the OXM/NXM TLVs (no ofp_match header), as
// flow.Match does.
type Match interface {
	Key() string
	AppendOXMFields(b []byte) []byte
	String() string
}

// Actions is what the reconciler needs from an action list: its OpenFlow 1.5
// encoding and text.
type Actions interface {
	Append(b []byte) []byte
	String() string
}

// Decoder turns what the switch reports back into values, so that a dumped
// flow is compared with a desired one by value, not by the switch's
// byte layout. It must be safe for concurrent use.
type Decoder interface {
	DecodeMatch(oxm []byte) (Match, error)
	DecodeActions(actions []byte) (Actions, error)
}

// Flow is one desired flow. Its identity is (Table, Priority, Match.Key());
// Cookie and Actions are its value. Flows are installed without timeouts
// or flags, as ovn-controller installs them.
type Flow struct {
	Table    uint8
	Priority uint16
	Cookie   uint64
	Match    Match
	Actions  Actions
}

func (f Flow) String() string {
	var b strings.Builder
	if f.Cookie != 0 {
		fmt.Fprintf(&b, "cookie=%#x, ", f.Cookie)
	}
	fmt.Fprintf(&b, "table=%d, priority=%d", f.Table, f.Priority)
	if f.Match != nil {
		if m := f.Match.String(); m != "" {
			b.WriteString(",")
			b.WriteString(m)
		}
	}
	b.WriteString(" actions=")
	if f.Actions == nil {
		b.WriteString("drop")
	} else {
		b.WriteString(f.Actions.String())
	}
	return b.String()
}

// Bucket is one group bucket. ID is usually its index in the group.
type Bucket struct {
	ID         uint32
	Weight     uint16 // select groups only; 0 means 1
	WatchPort  uint32 // liveness port; 0 means none
	WatchGroup uint32 // liveness group; 0 means none
	Actions    Actions
}

// Group is one desired group.
type Group struct {
	ID      uint32
	Type    uint8 // conn.GroupTypeAll, GroupTypeSelect ...
	Buckets []Bucket
	// Properties are encoded group properties (e.g. OVS's selection method),
	// compared byte for byte.
	Properties []byte
}

// Meter is one desired meter; Bands are encoded (conn.AppendDropBand).
type Meter struct {
	ID    uint32
	Flags uint16
	Bands []byte
}

// RawMatch is a Match given as OXM bytes; its key is the bytes. It is
// only equal to a dumped match when encoded exactly as the switch encodes
// it (the switch's field order). Use flow.Match for real work.
type RawMatch []byte

func (m RawMatch) Key() string                     { return string(m) }
func (m RawMatch) AppendOXMFields(b []byte) []byte { return append(b, m...) }
func (m RawMatch) String() string {
	if len(m) == 0 {
		return ""
	}
	return "oxm=" + hex.EncodeToString(m)
}

// RawActions is an Actions given as encoded bytes.
type RawActions []byte

func (a RawActions) Append(b []byte) []byte { return append(b, a...) }
func (a RawActions) String() string {
	if len(a) == 0 {
		return "drop"
	}
	return "raw=" + hex.EncodeToString(a)
}

// RawDecoder decodes into RawMatch and RawActions: byte identity.
type RawDecoder struct{}

func (RawDecoder) DecodeMatch(oxm []byte) (Match, error) {
	return RawMatch(append([]byte(nil), oxm...)), nil
}
func (RawDecoder) DecodeActions(b []byte) (Actions, error) {
	return RawActions(append([]byte(nil), b...)), nil
}

// canonicalGroup is the comparable form of a group: type, then per bucket
// id, weight, canonical actions; then the properties.
func canonicalGroup(g *Group) []byte {
	var b []byte
	b = append(b, g.Type)
	for _, bk := range g.Buckets {
		b = binary.BigEndian.AppendUint32(b, bk.ID)
		b = binary.BigEndian.AppendUint16(b, bucketWeight(g.Type, bk.Weight))
		b = binary.BigEndian.AppendUint32(b, bk.WatchPort)
		b = binary.BigEndian.AppendUint32(b, bk.WatchGroup)
		var acts []byte
		if bk.Actions != nil {
			acts = bk.Actions.Append(nil)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(acts)))
		b = append(b, acts...)
	}
	return append(b, g.Properties...)
}

// bucketWeight is the weight the switch reports: only select groups have
// one, and it defaults to 1.
func bucketWeight(groupType uint8, w uint16) uint16 {
	if groupType != conn.GroupTypeSelect {
		return 0
	}
	if w == 0 {
		return 1
	}
	return w
}

// encodeBuckets is the ofp15 bucket array of g.
func encodeBuckets(g *Group) []byte {
	var b []byte
	for _, bk := range g.Buckets {
		var acts []byte
		if bk.Actions != nil {
			acts = bk.Actions.Append(nil)
		}
		b = conn.AppendBucketWatch(b, bk.ID, bucketWeight(g.Type, bk.Weight), noneAs(bk.WatchPort, conn.PortAny), noneAs(bk.WatchGroup, conn.GroupAny), acts)
	}
	return b
}

// groupFromDesc decodes a dumped group with dec.
func groupFromDesc(d conn.GroupDesc, dec Decoder) (*Group, error) {
	bks, err := conn.DecodeBuckets(d.Buckets)
	if err != nil {
		return nil, err
	}
	g := &Group{ID: d.GroupID, Type: d.Type, Properties: append([]byte(nil), d.Properties...)}
	for _, bk := range bks {
		acts, err := dec.DecodeActions(bk.Actions)
		if err != nil {
			return nil, fmt.Errorf("group %d bucket %d: %w", d.GroupID, bk.ID, err)
		}
		g.Buckets = append(g.Buckets, Bucket{ID: bk.ID, Weight: bk.Weight, Actions: acts,
			WatchPort: anyAsNone(bk.WatchPort, conn.PortAny), WatchGroup: anyAsNone(bk.WatchGroup, conn.GroupAny)})
	}
	return g, nil
}

func noneAs(v, any uint32) uint32 {
	if v == 0 {
		return any
	}
	return v
}

func anyAsNone(v, any uint32) uint32 {
	if v == any {
		return 0
	}
	return v
}

// canonicalMeter is the comparable form of a meter. Without the burst flag
// a band's burst size means nothing, and OVS reports it equal to the rate:
// it is zeroed on both sides.
func canonicalMeter(m *Meter) []byte {
	b := binary.BigEndian.AppendUint16(nil, m.Flags)
	start := len(b)
	b = append(b, m.Bands...)
	if m.Flags&conn.MeterFlagBurst != 0 {
		return b
	}
	for bands := b[start:]; len(bands) >= 12; {
		n := int(binary.BigEndian.Uint16(bands[2:]))
		if n < 12 || n > len(bands) {
			break
		}
		binary.BigEndian.PutUint32(bands[8:], 0)
		bands = bands[n:]
	}
	return b
}
