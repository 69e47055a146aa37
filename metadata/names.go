package metadata

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"

	"github.com/google/uuid"
)

// NamespacePrefix starts the name of every namespace this job owns.
const NamespacePrefix = "ovnmeta-"

// NamespaceName is the namespace of a network: ovnmeta-<network uuid>.
func NamespaceName(network string) string { return NamespacePrefix + network }

// NetworkOfNamespace is the network of an ovnmeta- namespace name.
func NetworkOfNamespace(ns string) (string, bool) {
	return strings.CutPrefix(ns, NamespacePrefix)
}

// VethNames are the veth ends of a network: tap<net[:10]>0 on br-int and
// tap<net[:10]>1 inside the namespace.
func VethNames(network string) (outside, inside string) {
	p := network
	if len(p) > 10 {
		p = p[:10]
	}
	return "tap" + p + "0", "tap" + p + "1"
}

// chassisIDNamespace is the UUIDv5 namespace Neutron uses for a
// non-UUID system-id.
var chassisIDNamespace = uuid.MustParse("d34bf9f6-da32-4871-9af8-15a4626b41ab")

// ChassisUUID is the chassis' UUID as Neutron derives it: the system-id
// itself if it is a UUID, else a UUIDv5 of it.
func ChassisUUID(systemID string) uuid.UUID {
	if id, err := uuid.Parse(systemID); err == nil {
		return id
	}
	return uuid.NewSHA1(chassisIDNamespace, []byte(systemID))
}

// AgentID is neutron:ovn-metadata-id, the metadata agent's id that
// neutron-server lists: UUIDv5(chassis UUID, "metadata_agent").
func AgentID(systemID string) string {
	return uuid.NewSHA1(ChassisUUID(systemID), []byte("metadata_agent")).String()
}

// Signature is X-Instance-ID-Signature: the lowercase hex HMAC-SHA256 of
// the instance id keyed with the shared secret.
func Signature(secret, instanceID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(instanceID))
	return hex.EncodeToString(m.Sum(nil))
}

// MetadataIPv4 is the address VMs reach the proxy at.
var MetadataIPv4 = netip.MustParseAddr("169.254.169.254")

// MetadataIPv6 is the IPv6 link-local address VMs reach the proxy at.
var MetadataIPv6 = netip.MustParseAddr("fe80::a9fe:a9fe")

// LinkLocalFromMAC is the EUI-64 IPv6 link-local address of a MAC.
func LinkLocalFromMAC(mac net.HardwareAddr) netip.Addr {
	var b [16]byte
	b[0], b[1] = 0xfe, 0x80
	b[8] = mac[0] ^ 0x02
	b[9], b[10] = mac[1], mac[2]
	b[11], b[12] = 0xff, 0xfe
	b[13], b[14], b[15] = mac[3], mac[4], mac[5]
	return netip.AddrFrom16(b)
}

// MACFromLinkLocal recovers the MAC of an EUI-64 link-local address (VMs
// talking to fe80::a9fe:a9fe from their link-local address are matched by
// MAC).
func MACFromLinkLocal(a netip.Addr) (net.HardwareAddr, bool) {
	if !a.Is6() || !a.IsLinkLocalUnicast() {
		return nil, false
	}
	b := a.As16()
	if b[11] != 0xff || b[12] != 0xfe {
		return nil, false
	}
	return net.HardwareAddr{b[8] ^ 0x02, b[9], b[10], b[13], b[14], b[15]}, true
}
