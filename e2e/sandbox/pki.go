package sandbox

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// PKI is an OVS public key infrastructure made with ovs-pki in a
// directory: a switch CA and the certificates signed by it.
type PKI struct {
	dir string
}

// SSLFiles are a private key, its certificate and the CA certificate to
// verify peers with, as OVS daemons take them.
type SSLFiles struct {
	PrivateKey, Certificate, CACert string
}

// Args are the daemons' --private-key, --certificate and --ca-cert flags.
func (f SSLFiles) Args() []string {
	return []string{"--private-key=" + f.PrivateKey, "--certificate=" + f.Certificate, "--ca-cert=" + f.CACert}
}

// NewPKI runs ovs-pki init in dir/pki (a few seconds: it makes CA keys).
func NewPKI(t testing.TB, dir string) *PKI {
	t.Helper()
	Require(t, []string{"ovs-pki"})
	p := &PKI{dir: dir}
	if _, err := run("ovs-pki", "--dir="+p.pkiDir(), "--force", "init"); err != nil {
		t.Fatalf("ovs-pki init: %v", err)
	}
	return p
}

func (p *PKI) pkiDir() string { return filepath.Join(p.dir, "pki") }

// CACert is the switch CA's certificate.
func (p *PKI) CACert() string { return filepath.Join(p.pkiDir(), "switchca", "cacert.pem") }

// Sign makes a key and a certificate for name signed by the switch CA
// (ovs-pki req+sign NAME switch) and returns them with the CA certificate.
// Signing the same name again replaces the files (a rotation).
func (p *PKI) Sign(name string) (SSLFiles, error) {
	for _, suffix := range []string{"-privkey.pem", "-cert.pem", "-req.pem"} {
		_ = os.Remove(filepath.Join(p.dir, name+suffix))
	}
	cmd := []string{"ovs-pki", "--dir=" + p.pkiDir(), "--force", "req+sign", filepath.Join(p.dir, name), "switch"}
	if _, err := run(cmd...); err != nil {
		return SSLFiles{}, fmt.Errorf("ovs-pki req+sign %s: %w", name, err)
	}
	return SSLFiles{
		PrivateKey:  filepath.Join(p.dir, name+"-privkey.pem"),
		Certificate: filepath.Join(p.dir, name+"-cert.pem"),
		CACert:      p.CACert(),
	}, nil
}

// FreePort returns a TCP port on 127.0.0.1 that nobody listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return strconv.Atoi(port)
}
