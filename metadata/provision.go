package metadata

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// plumbing is the kernel side of one network: its namespace and veth.
type plumbing struct {
	ns      netns.NsHandle
	nl      *netlink.Handle // netlink inside ns
	inside  netlink.Link    // tap<net[:10]>1
	outside string          // tap<net[:10]>0, in our namespace
	// created says the namespace or the veth were (re)built in this pass.
	created bool
}

func (p *plumbing) close() {
	if p.nl != nil {
		p.nl.Close()
	}
	if p.ns.IsOpen() {
		p.ns.Close()
	}
}

// plumb makes sure the namespace and veth of n exist with the port's MAC,
// the MTU, both ends up, lo up and transmit checksum offload off on the
// namespace end; it reuses what exists.
func (m *Manager) plumb(n *Network) (*plumbing, error) {
	name := NamespaceName(n.ID)
	outside, inside := VethNames(n.ID)
	p := &plumbing{outside: outside}
	ns, err := m.netns.open(name)
	if errors.Is(err, os.ErrNotExist) {
		ns, err = m.netns.create(name)
		p.created = true
	}
	if err != nil {
		return nil, err
	}
	p.ns = ns
	if p.nl, err = netlink.NewHandleAt(ns); err != nil {
		p.close()
		return nil, fmt.Errorf("netlink in %s: %w", name, err)
	}
	if lo, err := p.nl.LinkByName("lo"); err == nil && lo.Attrs().Flags&net.FlagUp == 0 {
		if err := p.nl.LinkSetUp(lo); err != nil {
			p.close()
			return nil, fmt.Errorf("set lo up in %s: %w", name, err)
		}
	}

	p.inside, err = p.nl.LinkByName(inside)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if !errors.As(err, &notFound) {
			p.close()
			return nil, fmt.Errorf("look up %s in %s: %w", inside, name, err)
		}
		// A stray outside end (its peer gone with an old namespace)
		// would block the creation.
		if old, err := netlink.LinkByName(outside); err == nil {
			if err := netlink.LinkDel(old); err != nil {
				p.close()
				return nil, fmt.Errorf("delete stray %s: %w", outside, err)
			}
		}
		// The outside end is created up: ovs-vswitchd may open it the
		// moment it appears (a port of that name already in OVS) and,
		// when it later lets go of it, write back the flags it cached,
		// which would take a device created down down again.
		veth := &netlink.Veth{
			LinkAttrs:        netlink.LinkAttrs{Name: outside, MTU: n.Port.MTU, Flags: net.FlagUp},
			PeerName:         inside,
			PeerHardwareAddr: n.Port.MAC,
			PeerNamespace:    netlink.NsFd(ns),
		}
		if err := netlink.LinkAdd(veth); err != nil {
			p.close()
			return nil, fmt.Errorf("create veth %s/%s: %w", outside, inside, err)
		}
		p.created = true
		if p.inside, err = p.nl.LinkByName(inside); err != nil {
			p.close()
			return nil, fmt.Errorf("look up new %s in %s: %w", inside, name, err)
		}
	}
	if err := p.configureInside(n); err != nil {
		p.close()
		return nil, fmt.Errorf("%s in %s: %w", inside, name, err)
	}
	if err := p.configureOutside(n); err != nil {
		p.close()
		return nil, fmt.Errorf("%s: %w", outside, err)
	}
	return p, nil
}

func (p *plumbing) configureInside(n *Network) error {
	attrs := p.inside.Attrs()
	if attrs.HardwareAddr.String() != n.Port.MAC.String() {
		if err := p.nl.LinkSetHardwareAddr(p.inside, n.Port.MAC); err != nil {
			return fmt.Errorf("set MAC %s: %w", n.Port.MAC, err)
		}
	}
	if n.Port.MTU > 0 && attrs.MTU != n.Port.MTU {
		if err := p.nl.LinkSetMTU(p.inside, n.Port.MTU); err != nil {
			return fmt.Errorf("set MTU %d: %w", n.Port.MTU, err)
		}
	}
	if attrs.Flags&net.FlagUp == 0 {
		// Link-local addresses are ours to manage (only when a local VM
		// has IPv6): keep the kernel from adding one of its own. Best
		// effort: without IPv6 there is nothing to keep away.
		_ = p.nl.LinkSetIP6AddrGenMode(p.inside, 1 /* IN6_ADDR_GEN_MODE_NONE */)
		if err := p.nl.LinkSetUp(p.inside); err != nil {
			return fmt.Errorf("set up: %w", err)
		}
	}
	// The userspace datapath hands packets to VMs with the checksum the
	// sender left; a veth with transmit checksum offload leaves it
	// partial, and the VM drops every TCP segment from the proxy. Neutron
	// adds an iptables CHECKSUM rule for this; turning the offload off
	// does the same without iptables.
	return inNamespace(p.ns, func() error { return txChecksumOff(p.inside.Attrs().Name) })
}

func (p *plumbing) configureOutside(n *Network) error {
	link, err := netlink.LinkByName(p.outside)
	if err != nil {
		return fmt.Errorf("look up: %w", err)
	}
	if n.Port.MTU > 0 && link.Attrs().MTU != n.Port.MTU {
		if err := netlink.LinkSetMTU(link, n.Port.MTU); err != nil {
			return fmt.Errorf("set MTU %d: %w", n.Port.MTU, err)
		}
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := netlink.LinkSetUp(link); err != nil {
			return fmt.Errorf("set up: %w", err)
		}
	}
	return nil
}

// txChecksumFeatures are the transmit checksum features a veth may have.
var txChecksumFeatures = []string{"tx-checksum-ip-generic", "tx-checksum-ipv4", "tx-checksum-ipv6", "tx-checksum-sctp"}

// txChecksumOff turns transmit checksum offload off on a device of the
// calling thread's namespace (ethtool -K dev tx off).
func txChecksumOff(dev string) error {
	et, err := ethtool.NewEthtool()
	if err != nil {
		return fmt.Errorf("ethtool: %w", err)
	}
	defer et.Close()
	features, err := et.Features(dev)
	if err != nil {
		return fmt.Errorf("read offload features: %w", err)
	}
	off := map[string]bool{}
	for _, f := range txChecksumFeatures {
		if on, ok := features[f]; ok && on {
			off[f] = false
		}
	}
	if len(off) == 0 {
		return nil
	}
	if err := et.Change(dev, off); err != nil {
		return fmt.Errorf("turn transmit checksum offload off: %w", err)
	}
	return nil
}

// syncAddresses makes the inside end carry exactly want, deleting every
// other address (all scopes) and adding what is missing. IPv6 addresses
// that the kernel refuses (IPv6 disabled) are dropped from the result.
func (p *plumbing) syncAddresses(want []netip.Prefix) ([]netip.Prefix, error) {
	have, err := p.nl.AddrList(p.inside, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	present := map[netip.Prefix]bool{}
	for _, a := range have {
		pfx, ok := prefixOf(a.IPNet)
		if ok && slices.Contains(want, pfx) {
			present[pfx] = true
			continue
		}
		if err := p.nl.AddrDel(p.inside, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return nil, fmt.Errorf("delete address %s: %w", a.IPNet, err)
		}
	}
	var out []netip.Prefix
	for _, pfx := range want {
		if present[pfx] {
			out = append(out, pfx)
			continue
		}
		addr := &netlink.Addr{IPNet: ipNetOf(pfx)}
		if err := p.nl.AddrAdd(p.inside, addr); err != nil {
			if pfx.Addr().Is6() && (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EPERM)) {
				continue // IPv6 disabled here
			}
			if !errors.Is(err, unix.EEXIST) {
				return nil, fmt.Errorf("add address %s: %w", pfx, err)
			}
		}
		out = append(out, pfx)
	}
	return out, nil
}

// dadState is how duplicate address detection went for an address.
type dadState int

const (
	dadPending dadState = iota
	dadDone
	dadFailed
	dadMissing
)

func (p *plumbing) dad(addr netip.Addr) (dadState, error) {
	have, err := p.nl.AddrList(p.inside, netlink.FAMILY_V6)
	if err != nil {
		return dadPending, fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range have {
		if pfx, ok := prefixOf(a.IPNet); !ok || pfx.Addr() != addr {
			continue
		}
		switch {
		case a.Flags&unix.IFA_F_DADFAILED != 0:
			return dadFailed, nil
		case a.Flags&unix.IFA_F_TENTATIVE != 0:
			return dadPending, nil
		default:
			return dadDone, nil
		}
	}
	return dadMissing, nil
}

// waitDAD polls until addr has left the tentative state (or failed DAD,
// or vanished), for at most timeout.
func (p *plumbing) waitDAD(addr netip.Addr, timeout time.Duration, stop <-chan struct{}) (dadState, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := p.dad(addr)
		if err != nil || st != dadPending {
			return st, err
		}
		if time.Now().After(deadline) {
			return dadPending, nil
		}
		select {
		case <-stop:
			return dadPending, nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *plumbing) deleteAddress(pfx netip.Prefix) error {
	return p.nl.AddrDel(p.inside, &netlink.Addr{IPNet: ipNetOf(pfx)})
}

// unplumb deletes the veth and, when nothing but lo is left in it, the
// namespace of a network. It is a no-op for what is already gone.
func (m *Manager) unplumb(network string) error {
	name := NamespaceName(network)
	outside, inside := VethNames(network)
	var errs []error
	if link, err := netlink.LinkByName(outside); err == nil {
		if err := netlink.LinkDel(link); err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", outside, err))
		}
	}
	ns, err := m.netns.open(name)
	if errors.Is(err, os.ErrNotExist) {
		// A file without a namespace behind it.
		return errors.Join(append(errs, m.netns.remove(name))...)
	}
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("netlink in %s: %w", name, err))...)
	}
	defer h.Close()
	if link, err := h.LinkByName(inside); err == nil {
		if err := h.LinkDel(link); err != nil {
			errs = append(errs, fmt.Errorf("delete %s in %s: %w", inside, name, err))
		}
	}
	links, err := h.LinkList()
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list links in %s: %w", name, err))...)
	}
	var others []string
	for _, l := range links {
		if l.Attrs().Name != "lo" {
			others = append(others, l.Attrs().Name)
		}
	}
	if len(others) > 0 {
		// Someone else put devices there: leave it, as Neutron does.
		return errors.Join(append(errs, fmt.Errorf("namespace %s kept: it still has %v", name, others))...)
	}
	return errors.Join(append(errs, m.netns.remove(name))...)
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

func ipNetOf(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}
