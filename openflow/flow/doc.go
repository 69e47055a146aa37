// Package flow holds OpenFlow values as chassisd computes and compares them:
// fields, matches, actions and flows, with their canonical text (the exact
// spelling `ovs-ofctl -O OpenFlow15 dump-flows --no-stats` prints) and their
// OpenFlow 1.5 / Nicira-extension wire encoding and decoding.
//
// It owns values only: no sockets, no OVN knowledge. The OVN languages
// (openflow/expr, openflow/actions) produce these values, the switch
// connection (openflow/conn) and the reconciler (openflow/ofctrl) move them.
//
// API contract shared by the packages that use it:
//
//	type Field            // one OVS field (MFF_*): in_port, metadata, reg0..15, xreg0..7,
//	                      // xxreg0..3, tun_id, tun_metadata0..63, eth_src, ..., ct_label, conj_id ...
//	FieldByName(name string) (Field, bool) // OVS name, alias or NXM/OXM name
//	(Field) Name() string // the name OVS prints in matches and set_field
//	(Field) Bits() int    // width in bits; Bytes() int width in bytes
//	(Field) Maskable() bool
//
//	type Match            // a set of fields with value/mask (big-endian, field width)
//	(*Match) SetMasked(f Field, value, mask []byte) // merges into what is already set
//	(*Match) Set(f Field, value []byte)             // exact match
//	(*Match) SetUint(f Field, value, mask uint64)   // convenience for fields <= 64 bits
//	(Match) String() string  // OVS match_to_string(match, OFP_DEFAULT_PRIORITY): "ip,reg14=0x1,metadata=0x1,nw_src=10.0.0.1"
//	(Match) Key() string     // identity for maps (equal matches, equal keys)
//
//	type Action interface{ String() string; ... wire encoding ... }
//	type Actions []Action    // String(): "actions=" part only, joined with ","; "drop" when empty
//
//	type Flow struct{ Table uint8; Priority uint16; Match Match; Actions Actions; Cookie uint64 }
//	(Flow) String() string // "cookie=0x..., table=N, priority=P,<match> actions=..." as dump-flows --no-stats
package flow
