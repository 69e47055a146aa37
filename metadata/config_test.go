package metadata

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigDefaultsAndOverride(t *testing.T) {
	neutron := writeFile(t, "neutron.conf", `
[DEFAULT]
state_path = /srv/neutron
metadata_proxy_shared_secret = from-neutron-conf
nova_metadata_port = 8000
metadata_workers = 4
some_unknown_option = x

[ovn]
ovn_sb_connection = tcp:192.0.2.1:6642
`)
	agent := writeFile(t, "neutron_ovn_metadata_agent.ini", `
[DEFAULT]
nova_metadata_host = nova.example
# oslo.config keeps what follows a value: the secret has a '#' in it.
metadata_proxy_shared_secret = s3cr3t #not a comment
nova_metadata_port = 8775

[metadata_rate_limiting]
rate_limit_enabled = True
ip_versions = 4,6
base_query_rate_limit = 5

[metadata_haproxy]
timeout_connect = 3
`)
	cfg, err := LoadConfig(neutron, agent)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NovaURL != "http://nova.example:8775" {
		t.Errorf("NovaURL = %q: the later file's port must win", cfg.NovaURL)
	}
	if cfg.SharedSecret != "s3cr3t #not a comment" {
		t.Errorf("secret = %q", cfg.SharedSecret)
	}
	if cfg.TLS != nil {
		t.Errorf("http has no TLS config")
	}
	if cfg.AgentDownTime != DefaultAgentDownTime {
		t.Errorf("agent_down_time = %v", cfg.AgentDownTime)
	}
	rl := cfg.RateLimit
	if !rl.Enabled || !rl.IPv4 || !rl.IPv6 || rl.BaseLimit != 5 || rl.BaseWindow != 10*time.Second || rl.BurstLimit != 10 {
		t.Errorf("rate limit = %+v", rl)
	}
	if cfg.Timeouts.Connect != 3*time.Second || cfg.Timeouts.Server != 32*time.Second || cfg.Timeouts.KeepAlive != 30*time.Second {
		t.Errorf("timeouts = %+v", cfg.Timeouts)
	}
	ignored := strings.Join(cfg.Ignored, "\n")
	for _, want := range []string{"metadata_workers", "ovn_sb_connection"} {
		if !strings.Contains(ignored, want) {
			t.Errorf("ignored options %q lack %s", ignored, want)
		}
	}
	if strings.Contains(ignored, "some_unknown_option") {
		t.Errorf("unknown options are ignored silently, got %q", ignored)
	}
}

func TestLoadConfigSubstitution(t *testing.T) {
	f := writeFile(t, "a.ini", `
[DEFAULT]
state_path = /srv/neutron
auth_ca_cert = $state_path/ca.pem
metadata_proxy_shared_secret = pa$$word\$x
nova_metadata_protocol = http
nova_metadata_host = ${my_host}
my_host = nova.internal
`)
	cfg, err := LoadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SharedSecret != "pa$word$x" {
		t.Errorf("secret = %q, want pa$word$x ($$ and \\$ are a literal $)", cfg.SharedSecret)
	}
	if cfg.NovaURL != "http://nova.internal:8775" {
		t.Errorf("NovaURL = %q", cfg.NovaURL)
	}
	// With https the CA path (after substitution) must exist.
	g := writeFile(t, "b.ini", "[DEFAULT]\nmetadata_proxy_shared_secret=x\nnova_metadata_protocol=https\nauth_ca_cert=$state_path/nope.pem\n")
	_, err = LoadConfig(g)
	if err == nil || !strings.Contains(err.Error(), "/var/lib/neutron/nope.pem") {
		t.Errorf("missing CA: err = %v, want it to name /var/lib/neutron/nope.pem", err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	for _, c := range []struct{ name, content, want string }{
		{"no secret", "[DEFAULT]\nnova_metadata_host = x\n", "metadata_proxy_shared_secret is not set"},
		{"empty secret", "[DEFAULT]\nmetadata_proxy_shared_secret =\n", "metadata_proxy_shared_secret is not set"},
		{"malformed", "[DEFAULT\nmetadata_proxy_shared_secret = x\n", "a.ini"},
		{"no delimiter", "[DEFAULT]\nmetadata_proxy_shared_secret\n", "a.ini"},
		{"bad port", "[DEFAULT]\nmetadata_proxy_shared_secret = x\nnova_metadata_port = http\n", "nova_metadata_port"},
		{"port range", "[DEFAULT]\nmetadata_proxy_shared_secret = x\nnova_metadata_port = 70000\n", "out of range"},
		{"bad protocol", "[DEFAULT]\nmetadata_proxy_shared_secret = x\nnova_metadata_protocol = ftp\n", "nova_metadata_protocol"},
		{"bad bool", "[DEFAULT]\nmetadata_proxy_shared_secret = x\nnova_metadata_insecure = maybe\n", "nova_metadata_insecure"},
		{"half client cert", "[DEFAULT]\nmetadata_proxy_shared_secret = x\nnova_client_cert = /a\n", "go together"},
		{"bad ip version", "[DEFAULT]\nmetadata_proxy_shared_secret = x\n[metadata_rate_limiting]\nip_versions = 5\n", "ip_versions"},
		{"unknown reference", "[DEFAULT]\nmetadata_proxy_shared_secret = $nope\n", "cannot substitute $nope"},
		{"self reference", "[DEFAULT]\nmetadata_proxy_shared_secret = $metadata_proxy_shared_secret\n", "too deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(writeFile(t, "a.ini", c.content))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.ini")); err == nil {
		t.Errorf("a missing file must be an error")
	}
	if _, err := LoadConfig(); err == nil {
		t.Errorf("no file must be an error")
	}
}

func TestLoadConfigHTTPS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t, "nova.test")
	ca := filepath.Join(dir, "ca.pem")
	key := filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(ca, certPEM, 0o600))
	must(t, os.WriteFile(key, keyPEM, 0o600))
	f := writeFile(t, "a.ini", "[DEFAULT]\nmetadata_proxy_shared_secret = x\nnova_metadata_protocol = https\nauth_ca_cert = "+ca+
		"\nnova_client_cert = "+ca+"\nnova_client_priv_key = "+key+"\n")
	cfg, err := LoadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS == nil || cfg.TLS.RootCAs == nil || len(cfg.TLS.Certificates) != 1 || cfg.TLS.InsecureSkipVerify {
		t.Errorf("TLS = %+v", cfg.TLS)
	}
	g := writeFile(t, "b.ini", "[DEFAULT]\nmetadata_proxy_shared_secret = x\nnova_metadata_protocol = https\nnova_metadata_insecure = true\nauth_ca_cert = /nonexistent\n")
	cfg, err = LoadConfig(g)
	if err != nil {
		t.Fatalf("insecure ignores auth_ca_cert: %v", err)
	}
	if !cfg.TLS.InsecureSkipVerify {
		t.Errorf("insecure not honoured")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func selfSigned(t testing.TB, host string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
