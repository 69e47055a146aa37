package db

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server and a client certificate, as ovs-pki
// makes them (the e2e suite uses ovs-pki itself).
type testPKI struct {
	dir                   string
	caCert                []byte
	caFile                string
	ca                    *x509.Certificate
	caKey                 *ecdsa.PrivateKey
	server                tls.Certificate
	clientCert, clientKey string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	var err error
	p.caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "switchca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, _ = x509.ParseCertificate(der)
	p.caCert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	p.caFile = filepath.Join(p.dir, "cacert.pem")
	if err := os.WriteFile(p.caFile, p.caCert, 0o644); err != nil {
		t.Fatal(err)
	}
	sCert, sKey := p.sign(t, "sb", 2)
	p.server, err = tls.X509KeyPair(append(sCert, p.caCert...), sKey)
	if err != nil {
		t.Fatal(err)
	}
	cCert, cKey := p.sign(t, "hv1", 3)
	p.clientCert, p.clientKey = filepath.Join(p.dir, "hv1-cert.pem"), filepath.Join(p.dir, "hv1-privkey.pem")
	if err := os.WriteFile(p.clientCert, cCert, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.clientKey, cKey, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) sign(t *testing.T, cn string, serial int64) (certPEM, keyPEM []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// serve accepts TLS connections (the server sends its CA in the chain, as
// ovsdb-server with --peer-ca-cert/bootstrap does) until the test ends.
func (p *testPKI) serve(t *testing.T) string {
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.server}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	return l.Addr().String()
}

func dialWith(s *SSL, addr string) error {
	cfg, err := s.Config()
	if err != nil {
		return err
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	return c.Close()
}

// TestSSLBootstrapCA: with bootstrap_ca_cert and no CA file yet, the first
// connection saves the server's CA and fails; the next one verifies
// against it, as OVS's stream-ssl does.
func TestSSLBootstrapCA(t *testing.T) {
	p := newTestPKI(t)
	addr := p.serve(t)
	ca := filepath.Join(t.TempDir(), "cacert.pem")
	s := NewSSL(SSLFiles{PrivateKey: p.clientKey, Certificate: p.clientCert, CACert: ca, BootstrapCA: true})
	err := dialWith(s, addr)
	if err == nil || !strings.Contains(err.Error(), "saved the server's CA certificate") {
		t.Fatalf("first connection: %v, want the bootstrap to save the CA", err)
	}
	if b, _ := os.ReadFile(ca); string(b) != string(p.caCert) {
		t.Fatalf("saved CA is not the server's CA:\n%s", b)
	}
	if err := dialWith(s, addr); err != nil {
		t.Fatalf("second connection with the bootstrapped CA: %v", err)
	}
}

// TestSSLTablePrecedenceAndErrors: the SSL table row wins over the command
// line (ovn-controller's update_ssl_config), and errors name the file.
func TestSSLTablePrecedenceAndErrors(t *testing.T) {
	p := newTestPKI(t)
	s := NewSSL(SSLFiles{PrivateKey: "/nonexistent/key.pem", Certificate: p.clientCert, CACert: p.caFile})
	if _, err := s.Config(); err == nil || !strings.Contains(err.Error(), "/nonexistent/key.pem") {
		t.Fatalf("missing key: %v, want an error naming it", err)
	}
	s.SetTable(&SSLFiles{PrivateKey: p.clientKey, Certificate: p.clientCert, CACert: p.caFile})
	if err := dialWith(s, p.serve(t)); err != nil {
		t.Fatalf("with the SSL table's files: %v", err)
	}
	s.SetTable(nil)
	if _, err := s.Config(); err == nil {
		t.Fatal("without the SSL row the bad command-line key is back in use")
	}
	if _, _, err := ParseSSLProtocols("TLSv1.2,SSLv3"); err == nil {
		t.Error("unknown protocol accepted")
	}
	if lo, hi, err := ParseSSLProtocols("TLSv1.3 TLSv1.2"); err != nil || lo != tls.VersionTLS12 || hi != tls.VersionTLS13 {
		t.Errorf("TLSv1.3 TLSv1.2: %x..%x, %v", lo, hi, err)
	}
}
