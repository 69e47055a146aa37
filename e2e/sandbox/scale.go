package sandbox

import "fmt"

// BuildNeutronScale creates, through the NB database, an OpenStack-like
// topology with n ports spread over four networks behind one router, each
// network with its metadata localport, and Neutron's security groups: every
// port in a default group (port group with allow-related ACLs, one of which
// uses the group's address set) and in neutron_pg_drop. It returns the port
// names and waits until ovn-northd has written the Southbound database.
func (c *Central) BuildNeutronScale(n int) ([]string, error) {
	const nets = 4
	args := []string{"lr-add", "r0"}
	for i := 0; i < nets; i++ {
		ls := fmt.Sprintf("net%d", i)
		args = append(args, "--", "ls-add", ls,
			"--", "lrp-add", "r0", "r0-"+ls, fmt.Sprintf("00:00:00:00:ff:%02x", i+1), fmt.Sprintf("10.%d.0.1/16", i),
			"--", "lsp-add", ls, ls+"-r0", "--", "lsp-set-type", ls+"-r0", "router",
			"--", "lsp-set-addresses", ls+"-r0", "router", "--", "lsp-set-options", ls+"-r0", "router-port=r0-"+ls,
			"--", "lsp-add", ls, ls+"-meta", "--", "lsp-set-type", ls+"-meta", "localport",
			"--", "lsp-set-addresses", ls+"-meta", fmt.Sprintf("fa:16:3e:ff:00:%02x 10.%d.0.2", i, i))
	}
	var names []string
	for i := 0; i < n; i++ {
		net := i % nets
		name := fmt.Sprintf("p%d", i)
		names = append(names, name)
		addr := fmt.Sprintf("fa:16:3e:%02x:%02x:%02x 10.%d.%d.%d", net, (i/256)%256, i%256, net, 1+i/250, 10+i%240)
		args = append(args, "--", "lsp-add", fmt.Sprintf("net%d", net), name,
			"--", "lsp-set-addresses", name, addr, "--", "lsp-set-port-security", name, addr)
	}
	if _, err := c.Nbctl(args...); err != nil {
		return nil, err
	}
	for _, pg := range []string{"sg_default", "neutron_pg_drop"} {
		if _, err := c.Nbctl(append([]string{"pg-add", pg}, names...)...); err != nil {
			return nil, err
		}
	}
	if _, err := c.Nbctl("acl-add", "neutron_pg_drop", "from-lport", "1001", "inport == @neutron_pg_drop && ip", "drop",
		"--", "acl-add", "neutron_pg_drop", "to-lport", "1001", "outport == @neutron_pg_drop && ip", "drop",
		"--", "acl-add", "sg_default", "from-lport", "1002", "inport == @sg_default && ip4", "allow-related",
		"--", "acl-add", "sg_default", "to-lport", "1002", "outport == @sg_default && ip4 && ip4.src == $sg_default_ip4", "allow-related",
		"--", "acl-add", "sg_default", "to-lport", "1002", "outport == @sg_default && ip4 && tcp.dst == 22", "allow-related",
		"--", "acl-add", "sg_default", "to-lport", "1002", "outport == @sg_default && ip4 && udp.dst >= 5000 && udp.dst <= 5100", "allow-related"); err != nil {
		return nil, err
	}
	return names, c.WaitSync()
}
