package db

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

// SSLFiles name the files of an SSL (TLS) connection, as OVS's stream-ssl
// takes them: --private-key, --certificate, --ca-cert, or the columns of the
// Open_vSwitch database's SSL table.
type SSLFiles struct {
	PrivateKey  string
	Certificate string
	CACert      string
	// BootstrapCA: when CACert does not exist yet, trust the CA the server
	// presents on the first connection and save it to CACert (OVS's
	// --bootstrap-ca-cert and SSL:bootstrap_ca_cert).
	BootstrapCA bool
	// Protocols restricts the TLS versions (--ssl-protocols, e.g.
	// "TLSv1.2,TLSv1.3"); empty means TLS 1.2 and later.
	Protocols string
}

// ParseSSLProtocols reads OVS's --ssl-protocols list ("TLSv1.2,TLSv1.3",
// comma or space separated) into the lowest and highest version; an empty
// list gives 0, 0.
func ParseSSLProtocols(spec string) (lo, hi uint16, err error) {
	if strings.TrimSpace(spec) == "" {
		return 0, 0, nil
	}
	versions := map[string]uint16{"tlsv1": tls.VersionTLS10, "tlsv1.1": tls.VersionTLS11,
		"tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13}
	for _, p := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' }) {
		v, ok := versions[strings.ToLower(p)]
		if !ok {
			return 0, 0, fmt.Errorf("--ssl-protocols: %s: unknown SSL protocol name", p)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if lo == 0 {
		return 0, 0, errors.New("--ssl-protocols: no SSL protocols specified")
	}
	return lo, hi, nil
}

func (f SSLFiles) empty() bool { return f.PrivateKey == "" && f.Certificate == "" && f.CACert == "" }

// SSL gives the TLS configuration of each new connection to ssl:
// endpoints. The files are read again for every connection, so
// certificates rotated on disk are used from the next connection on
// without a restart, as with OVS's stream-ssl; an established connection
// keeps the certificates it was made with.
//
// As in ovn-controller, the Open_vSwitch database's SSL row, when there is
// one, takes precedence over the command line (SetTable); without one the
// command-line files are used.
type SSL struct {
	mu      sync.Mutex
	cmdline SSLFiles
	table   *SSLFiles
}

// NewSSL returns an SSL source with the command-line files (possibly
// empty).
func NewSSL(cmdline SSLFiles) *SSL { return &SSL{cmdline: cmdline} }

// SetTable records the SSL row of the Open_vSwitch database (nil when the
// table is empty). It takes effect at the next connection.
func (s *SSL) SetTable(row *SSLFiles) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if row == nil {
		s.table = nil
		return
	}
	r := *row
	s.table = &r
}

// Files are the files the next connection will use.
func (s *SSL) Files() SSLFiles {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.table != nil {
		return *s.table
	}
	return s.cmdline
}

// Config reads the current files and returns the configuration for one new
// connection. Its errors name the file and the problem (a missing key, a
// key that does not match its certificate, a CA file without a
// certificate): the caller logs them and retries, as ovn-controller keeps
// running with a bad key until it is fixed.
func (s *SSL) Config() (*tls.Config, error) {
	f := s.Files()
	if f.empty() {
		return nil, errors.New("SSL is not configured: use --private-key, --certificate and --ca-cert, or ovs-vsctl set-ssl")
	}
	if f.PrivateKey == "" || f.Certificate == "" {
		return nil, errors.New("SSL private key and certificate must both be configured")
	}
	if f.CACert == "" {
		return nil, errors.New("SSL CA certificate must be configured")
	}
	cert, err := tls.LoadX509KeyPair(f.Certificate, f.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("SSL key %s / certificate %s: %w", f.PrivateKey, f.Certificate, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		// OVN's PKI certificates name the role, not the host, so the peer
		// is verified against the CA only, as OVS's stream-ssl does.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
	}
	if lo, hi, err := ParseSSLProtocols(f.Protocols); err != nil {
		return nil, err
	} else if lo != 0 {
		cfg.MinVersion, cfg.MaxVersion = lo, hi
	}
	ca, err := os.ReadFile(f.CACert)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist) && f.BootstrapCA:
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return bootstrapCA(f.CACert, raw)
		}
		return cfg, nil
	case err != nil:
		return nil, fmt.Errorf("SSL CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("SSL CA certificate %s: no PEM certificate in it", f.CACert)
	}
	caFile := f.CACert
	cfg.RootCAs = pool
	cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if err := verifyChain(raw, pool); err != nil {
			return fmt.Errorf("SSL peer certificate is not signed by the CA in %s: %w", caFile, err)
		}
		return nil
	}
	return cfg, nil
}

// verifyChain checks the peer's chain against pool, without a host name.
func verifyChain(raw [][]byte, pool *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("the peer sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return fmt.Errorf("parse peer certificate: %w", err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// bootstrapCA saves the self-signed CA at the top of the peer's chain to
// path and fails the handshake: the next connection verifies against it,
// as OVS does after bootstrapping.
func bootstrapCA(path string, raw [][]byte) error {
	if len(raw) == 0 {
		return errors.New("SSL bootstrap: the peer sent no certificate")
	}
	top, err := x509.ParseCertificate(raw[len(raw)-1])
	if err != nil {
		return fmt.Errorf("SSL bootstrap: %w", err)
	}
	if !top.IsCA || top.CheckSignatureFrom(top) != nil {
		return errors.New("SSL bootstrap: the peer's chain does not end in a self-signed CA certificate (does the server send its CA with ca_cert/--peer-ca-cert?)")
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: top.Raw})
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("SSL bootstrap: save CA: %w", err)
	}
	return fmt.Errorf("SSL bootstrap: saved the server's CA certificate to %s; reconnecting to verify against it", path)
}
