package pinctrl

import (
	"errors"

	"github.com/chassisd/chassisd/openflow/conn"
)

// ErrNotConnected is returned by Inject while pinctrl has no switch
// connection.
var ErrNotConnected = errors.New("OpenFlow channel not ready.")

// Inject sends a packet-out on pinctrl's connection (ovn-appctl
// inject-pkt).
func (p *Pinctrl) Inject(po *conn.PacketOut) error {
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	return c.PacketOut(po)
}
