package sandbox

import (
	"fmt"
	"net"
	"os"
	"os/exec"
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ovs-pki", "--dir="+p.pkiDir(), "--log="+p.log(), "--force", "init").CombinedOutput(); err != nil {
		t.Fatalf("ovs-pki init: %v: %s\n%s", err, out, tailFile(p.log(), 5))
	}
	return p
}

func (p *PKI) pkiDir() string { return filepath.Join(p.dir, "pki") }

func (p *PKI) log() string { return filepath.Join(p.dir, "ovs-pki.log") }

// CACert is the switch CA's certificate.
func (p *PKI) CACert() string { return filepath.Join(p.pkiDir(), "switchca", "cacert.pem") }

// Sign makes a key and a certificate for name signed by the switch CA
// (ovs-pki req+sign NAME switch) and returns them with the CA certificate.
// Signing the same name again replaces the files (a rotation).
func (p *PKI) Sign(name string) (SSLFiles, error) {
	for _, suffix := range []string{"-privkey.pem", "-cert.pem", "-req.pem"} {
		_ = os.Remove(filepath.Join(p.dir, name+suffix))
	}
	// Relative: the name becomes the certificate's CN (64 bytes at most).
	cmd := exec.Command("ovs-pki", "--dir="+p.pkiDir(), "--log="+p.log(), "--force", "--batch", "req+sign", name, "switch")
	cmd.Dir = p.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return SSLFiles{}, fmt.Errorf("ovs-pki req+sign %s: %w: %s\n%s", name, err, out, tailFile(p.log(), 5))
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
