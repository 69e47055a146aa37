package agent

import (
	"context"
	"crypto/tls"
	"strings"

	"github.com/ovn-org/libovsdb/client"

	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
)

// readSSLTable hands the Open_vSwitch SSL row (ovs-vsctl set-ssl) to the
// Southbound connection's SSL source, as ovn-controller's
// update_ssl_config does on every pass. It is read at each new connection.
func (a *Agent) readSSLTable(ctx context.Context, cl client.Client, row *vswitchd.OpenvSwitch) {
	if row.SSL == nil {
		a.ssl.SetTable(nil)
		return
	}
	ssl := &vswitchd.SSL{UUID: *row.SSL}
	if err := cl.Get(ctx, ssl); err != nil {
		a.ssl.SetTable(nil)
		return
	}
	a.ssl.SetTable(&db.SSLFiles{PrivateKey: ssl.PrivateKey, Certificate: ssl.Certificate, CACert: ssl.CaCert, BootstrapCA: ssl.BootstrapCaCert})
}

// sslConfigFor is the TLS configuration for a new connection to remote
// with the Southbound's SSL settings (nil for remotes that are not ssl:).
func (a *Agent) sslConfigFor(remote string) (*tls.Config, error) {
	if !strings.Contains(remote, "ssl:") {
		return nil, nil
	}
	return a.ssl.Config()
}
