package flow

import (
	"encoding/binary"
	"fmt"
)

// GroupType is an OpenFlow group type (OFPGT_*).
type GroupType uint8

// Group types.
const (
	GroupAll          GroupType = 0
	GroupSelect       GroupType = 1
	GroupIndirect     GroupType = 2
	GroupFastFailover GroupType = 3
)

var groupTypeNames = [...]string{"all", "select", "indirect", "ff", "unknown"}

// GroupModCommand is the command of a group_mod (OFPGC15_*).
type GroupModCommand uint16

// Group mod commands.
const (
	GroupAdd          GroupModCommand = 0
	GroupModify       GroupModCommand = 1
	GroupDelete       GroupModCommand = 2
	GroupInsertBucket GroupModCommand = 3
	GroupRemoveBucket GroupModCommand = 5
)

// Special group and bucket ids.
const (
	GroupIDAll      = 0xfffffffc // OFPG_ALL: every group, for deletes
	groupIDAny      = 0xffffffff // OFPG_ANY: no watch group
	bucketIDAll     = 0xffffffff // OFPG15_BUCKET_ALL
	bucketIDFirst   = 0xfffffffd
	bucketIDLast    = 0xfffffffe
	vendorNetronome = 0x0000154d // NTR_VENDOR_ID: OVS's selection-method property
)

// SelectField is one field a "hash" select group hashes, with an optional
// mask (nil: the whole field).
type SelectField struct {
	Field Field
	Mask  []byte
}

// Group is an OpenFlow group as OVS describes it
// (ovs-ofctl -O OpenFlow15 dump-groups):
// "group_id=1,type=select,selection_method=dp_hash,bucket=bucket_id:0,weight:100,actions=ct(...),bucket=bucket_id:1,...".
// SelectionMethod is "" (OVS's default), "dp_hash" or "hash"; Fields are
// the hash fields of "hash".
type Group struct {
	ID                   uint32
	Type                 GroupType
	SelectionMethod      string
	SelectionMethodParam uint64
	Fields               []SelectField
	Buckets              []Bucket
}

// Bucket is one bucket of a group. IDs must be distinct within the group;
// OVS numbers buckets given without an id 0, 1, 2... in order, so use the
// bucket's index for that. Weight is printed unless it is the default (1
// for select groups, 0 otherwise). WatchPort 0 and WatchGroup 0 mean none.
type Bucket struct {
	ID         uint32
	Weight     uint16
	WatchPort  Port
	WatchGroup uint32
	Actions    Actions
}

// String is the group as dump-groups prints it (OVS ofp_print_group for
// OpenFlow 1.5), without the leading space.
func (g Group) String() string { return string(g.AppendText(nil)) }

// AppendText appends String's text to b.
func (g Group) AppendText(b []byte) []byte {
	b = appendUint(append(b, "group_id="...), uint64(g.ID))
	b = append(b, ",type="...)
	b = append(b, groupTypeNames[min(int(g.Type), 4)]...)
	if g.SelectionMethod != "" {
		b = append(append(b, ",selection_method="...), g.SelectionMethod...)
		if g.SelectionMethodParam != 0 {
			b = appendUint(append(b, ",selection_method_param="...), g.SelectionMethodParam)
		}
		fields := sortedSelectFields(g.Fields)
		if len(fields) == 1 {
			b = appendSelectField(append(b, ",fields="...), fields[0])
		} else if len(fields) > 1 {
			b = append(b, ",fields("...)
			for i, f := range fields {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendSelectField(b, f)
			}
			b = append(b, ')')
		}
	}
	if len(g.Buckets) == 0 {
		return b
	}
	b = append(b, ',')
	for i, bk := range g.Buckets {
		if i > 0 {
			b = append(b, ',')
		}
		b = g.appendBucketText(b, bk)
	}
	return b
}

func (g Group) appendBucketText(b []byte, bk Bucket) []byte {
	b = append(b, "bucket="...)
	b = append(b, "bucket_id:"...)
	switch bk.ID {
	case bucketIDFirst:
		b = append(b, "first"...)
	case bucketIDLast:
		b = append(b, "last"...)
	case bucketIDAll:
		b = append(b, "all"...)
	default:
		b = appendUint(b, uint64(bk.ID))
	}
	b = append(b, ',')
	if bk.Weight != g.defaultWeight() {
		b = append(appendUint(append(b, "weight:"...), uint64(bk.Weight)), ',')
	}
	if bk.WatchPort != 0 && bk.WatchPort != PortAny {
		b = append(appendPort(append(b, "watch_port:"...), bk.WatchPort), ',')
	}
	if bk.WatchGroup != 0 && bk.WatchGroup != groupIDAny {
		b = append(appendUint(append(b, "watch_group:"...), uint64(bk.WatchGroup)), ',')
	}
	b = append(b, "actions="...)
	return bk.Actions.AppendText(b)
}

func (g Group) defaultWeight() uint16 {
	if g.Type == GroupSelect {
		return 1
	}
	return 0
}

// sortedSelectFields orders fields as OVS prints and sends them: by field
// id (OVS keeps them in a bitmap).
func sortedSelectFields(fs []SelectField) []SelectField {
	out := append([]SelectField(nil), fs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Field < out[j-1].Field; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func appendSelectField(b []byte, f SelectField) []byte {
	b = append(b, f.Field.Name()...)
	if f.Mask != nil && !allOnes(f.Mask) {
		b = appendFieldValue(append(b, '='), f.Field, f.Mask, nil)
	}
	return b
}

// AppendGroupMod appends the body of an OpenFlow 1.5 group_mod (everything
// after the 8-byte OpenFlow header) for command to b. Deletes carry no
// buckets.
func (g Group) AppendGroupMod(b []byte, command GroupModCommand) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(command))
	b = append(b, byte(g.Type), 0)
	b = binary.BigEndian.AppendUint32(b, g.ID)
	lenAt := len(b)
	b = append(b, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, bucketIDAll)
	start := len(b)
	if command != GroupDelete {
		b = g.appendBuckets(b)
	}
	binary.BigEndian.PutUint16(b[lenAt:], uint16(len(b)-start))
	if command != GroupDelete {
		b = g.appendProps(b)
	}
	return b
}

func (g Group) appendBuckets(b []byte) []byte {
	for _, bk := range g.Buckets {
		start := len(b)
		b = append(b, 0, 0, 0, 0)
		b = binary.BigEndian.AppendUint32(b, bk.ID)
		b = bk.Actions.Append(b)
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start-8))
		if g.Type == GroupSelect || bk.Weight != 0 {
			b = appendProp(b, 0, byte(bk.Weight>>8), byte(bk.Weight), 0, 0)
		}
		if bk.WatchPort != 0 && bk.WatchPort != PortAny {
			p := port32(bk.WatchPort)
			b = appendProp(b, 1, byte(p>>24), byte(p>>16), byte(p>>8), byte(p))
		}
		if bk.WatchGroup != 0 && bk.WatchGroup != groupIDAny {
			w := bk.WatchGroup
			b = appendProp(b, 2, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
		}
		binary.BigEndian.PutUint16(b[start:], uint16(len(b)-start))
	}
	return b
}

// appendProps appends the selection-method property (Netronome experimenter
// property, as OVS sends it) when the group has a selection method.
func (g Group) appendProps(b []byte) []byte {
	if g.SelectionMethod == "" {
		return b
	}
	start := len(b)
	b = append(b, 0xff, 0xff, 0, 0)
	b = binary.BigEndian.AppendUint32(b, vendorNetronome)
	b = binary.BigEndian.AppendUint32(b, 1) // NTRT_SELECTION_METHOD
	b = append(b, 0, 0, 0, 0)
	var name [16]byte
	copy(name[:15], g.SelectionMethod)
	b = append(b, name[:]...)
	b = binary.BigEndian.AppendUint64(b, g.SelectionMethodParam)
	for _, f := range sortedSelectFields(g.Fields) {
		b = f.Field.AppendHeader(b, false, 0)
		if f.Mask != nil {
			b = append(b, f.Mask...)
		} else {
			for i := 0; i < f.Field.Bytes(); i++ {
				b = append(b, 0xff)
			}
		}
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// ErrBadGroup is wrapped by group decoding errors.
var ErrBadGroup = fmt.Errorf("flow: bad group")

// DecodeGroupMod decodes the body of an OpenFlow 1.5 group_mod (after the
// 8-byte header).
func DecodeGroupMod(b []byte) (GroupModCommand, Group, error) {
	if len(b) < 16 {
		return 0, Group{}, fmt.Errorf("%w: group_mod of %d bytes", ErrBadGroup, len(b))
	}
	cmd := GroupModCommand(be16(b, 0))
	g := Group{Type: GroupType(b[2]), ID: be32(b, 4)}
	blen := int(be16(b, 8))
	if 16+blen > len(b) {
		return 0, Group{}, fmt.Errorf("%w: bucket list of %d bytes in %d", ErrBadGroup, blen, len(b)-16)
	}
	if err := g.decodeBuckets(b[16 : 16+blen]); err != nil {
		return 0, Group{}, err
	}
	if err := g.decodeProps(b[16+blen:]); err != nil {
		return 0, Group{}, err
	}
	return cmd, g, nil
}

// DecodeGroupDescs decodes the body of an OpenFlow 1.5 group-desc
// multipart reply (after the 16 bytes of OpenFlow and multipart headers):
// a sequence of ofp15_group_desc_stats.
func DecodeGroupDescs(b []byte) ([]Group, error) {
	var gs []Group
	for len(b) > 0 {
		if len(b) < 16 {
			return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadGroup, len(b))
		}
		n := int(be16(b, 0))
		blen := int(be16(b, 8))
		if n < 16 || n > len(b) || 16+blen > n {
			return nil, fmt.Errorf("%w: group desc length %d, bucket list %d, %d bytes left", ErrBadGroup, n, blen, len(b))
		}
		g := Group{Type: GroupType(b[2]), ID: be32(b, 4)}
		if err := g.decodeBuckets(b[16 : 16+blen]); err != nil {
			return nil, fmt.Errorf("group %d: %w", g.ID, err)
		}
		if err := g.decodeProps(b[16+blen : n]); err != nil {
			return nil, fmt.Errorf("group %d: %w", g.ID, err)
		}
		gs = append(gs, g)
		b = b[n:]
	}
	return gs, nil
}

func (g *Group) decodeBuckets(b []byte) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return fmt.Errorf("%w: %d-byte bucket", ErrBadGroup, len(b))
		}
		n, alen := int(be16(b, 0)), int(be16(b, 2))
		if n < 8 || n > len(b) || 8+alen > n {
			return fmt.Errorf("%w: bucket length %d, actions %d, %d bytes left", ErrBadGroup, n, alen, len(b))
		}
		bk := Bucket{ID: be32(b, 4), Weight: g.defaultWeight()}
		acts, err := DecodeActions(b[8 : 8+alen])
		if err != nil {
			return fmt.Errorf("bucket %d: %w", bk.ID, err)
		}
		bk.Actions = acts
		for props := b[8+alen : n]; len(props) > 0; {
			typ, payload, rest, err := nextProp(props)
			if err != nil {
				return fmt.Errorf("bucket %d: %w", bk.ID, err)
			}
			props = rest
			switch {
			case typ == 0 && len(payload) >= 2:
				bk.Weight = be16(payload, 0)
			case typ == 1 && len(payload) >= 4:
				p, err := portFrom32(be32(payload, 0))
				if err != nil {
					return fmt.Errorf("bucket %d watch_port: %w", bk.ID, err)
				}
				if p != PortAny {
					bk.WatchPort = p
				}
			case typ == 2 && len(payload) >= 4:
				if w := be32(payload, 0); w != groupIDAny {
					bk.WatchGroup = w
				}
			default:
				return fmt.Errorf("%w: bucket %d property %d of %d bytes", ErrBadGroup, bk.ID, typ, len(payload))
			}
		}
		g.Buckets = append(g.Buckets, bk)
		b = b[n:]
	}
	return nil
}

func (g *Group) decodeProps(b []byte) error {
	for len(b) > 0 {
		typ, payload, rest, err := nextProp(b)
		if err != nil {
			return fmt.Errorf("group property: %w", err)
		}
		b = rest
		// payload follows the 4-byte type/length; an experimenter property
		// continues with experimenter id and type.
		if typ != 0xffff || len(payload) < 36 || (be32(payload, 0) != vendorNetronome && be32(payload, 0) != 0x00001540) || be32(payload, 4) != 1 {
			return fmt.Errorf("%w: unknown group property %d", ErrBadGroup, typ)
		}
		name := payload[12:28]
		n := 0
		for n < len(name) && name[n] != 0 {
			n++
		}
		if n == len(name) {
			return fmt.Errorf("%w: selection method not NUL-terminated", ErrBadGroup)
		}
		g.SelectionMethod = string(name[:n])
		g.SelectionMethodParam = binary.BigEndian.Uint64(payload[28:])
		for fs := payload[36:]; len(fs) > 0; {
			f, _, vlen, hlen, err := DecodeHeader(fs)
			if err != nil {
				return fmt.Errorf("selection field: %w", err)
			}
			if hlen+vlen > len(fs) {
				return fmt.Errorf("%w: selection field %s truncated", ErrBadGroup, f.Name())
			}
			sf := SelectField{Field: f}
			if mask := fs[hlen : hlen+vlen]; !allOnes(mask) {
				sf.Mask = append([]byte(nil), mask...)
			}
			g.Fields = append(g.Fields, sf)
			fs = fs[hlen+vlen:]
		}
	}
	return nil
}
