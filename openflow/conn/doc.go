// Package conn is chassisd's native OpenFlow 1.5 client with the Open
// vSwitch (Nicira) extensions it needs: the message framing and the
// connection to a switch, typically unix:<rundir>/br-int.mgmt.
//
// It owns the wire messages (hello and version negotiation, echo
// keepalive, features, barrier, errors decoded into *OFError with the OVS
// error name, set-config, packet-in format, controller id, flow/group/meter
// mods, multipart dumps with reply reassembly, bundles, the Geneve TLV map,
// packet-in2, packet-out, resume) and the Conn that carries them: a reader
// goroutine routes replies by xid to the waiting request and everything
// unsolicited to Async.
//
// It does not know matches or actions: those arrive pre-encoded (OXM TLVs,
// action lists) from openflow/flow, and dumps hand them back as bytes.
package conn
