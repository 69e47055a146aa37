package metadata

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/ini.v1"
)

// Config is the metadata job's configuration, read from the Neutron INI
// files an operator of neutron-ovn-metadata-agent already has.
type Config struct {
	// Files are the INI files read, in order (later ones override).
	Files []string

	// NovaURL is <protocol>://<host>:<port> of Nova's metadata API.
	NovaURL      string
	SharedSecret string
	// TLS is the client configuration for https (nil for http).
	TLS *tls.Config

	// AgentDownTime is neutron-server's agent_down_time; it scales the
	// jitter of the neutron:ovn-metadata-sb-cfg writes.
	AgentDownTime time.Duration

	RateLimit RateLimit
	Timeouts  Timeouts

	// Ignored lists the options that were set but mean nothing here, with
	// the reason, for one log line each at startup.
	Ignored []string
}

// RateLimit is [metadata_rate_limiting]: per source address, at most
// BaseLimit requests in BaseWindow and BurstLimit in BurstWindow; more get
// 429 Too Many Requests.
type RateLimit struct {
	Enabled     bool
	IPv4, IPv6  bool
	BaseWindow  time.Duration
	BaseLimit   int
	BurstWindow time.Duration
	BurstLimit  int
}

// Timeouts are [metadata_haproxy]'s, applied by the proxy that replaces
// haproxy: Connect and Server towards Nova, the others towards the VM.
type Timeouts struct {
	Connect     time.Duration // dialing Nova
	Server      time.Duration // Nova's response headers, and then each read
	Client      time.Duration // the VM's request body, and each write back
	HTTPRequest time.Duration // the VM's request headers
	KeepAlive   time.Duration // idle keep-alive connections from the VM
}

// DefaultAgentDownTime is neutron-server's default agent_down_time.
const DefaultAgentDownTime = 75 * time.Second

// option names whose values the job uses, with oslo.config's defaults.
var knownDefaults = map[string]map[string]string{
	"DEFAULT": {
		"nova_metadata_host":           "127.0.0.1",
		"nova_metadata_port":           "8775",
		"nova_metadata_protocol":       "http",
		"metadata_proxy_shared_secret": "",
		"nova_metadata_insecure":       "false",
		"auth_ca_cert":                 "",
		"nova_client_cert":             "",
		"nova_client_priv_key":         "",
		"state_path":                   "/var/lib/neutron",
		"agent_down_time":              "75",
	},
	"metadata_rate_limiting": {
		"rate_limit_enabled":     "false",
		"ip_versions":            "4",
		"base_window_duration":   "10",
		"base_query_rate_limit":  "10",
		"burst_window_duration":  "10",
		"burst_query_rate_limit": "10",
	},
	"metadata_haproxy": {
		"timeout_connect":         "30",
		"timeout_client":          "32",
		"timeout_server":          "32",
		"timeout_http_request":    "30",
		"timeout_http_keep_alive": "30",
	},
}

// ignoredOptions are options of the Neutron agent that configure what
// chassisd does not have (a UNIX socket, haproxy processes, pid files).
var ignoredOptions = map[string]map[string]string{
	"DEFAULT": {
		"metadata_workers":           "requests are served by goroutines, not worker processes",
		"metadata_backlog":           "there is no UNIX socket between haproxy and the agent",
		"metadata_proxy_socket":      "there is no UNIX socket between haproxy and the agent",
		"metadata_proxy_socket_mode": "there is no UNIX socket between haproxy and the agent",
		"metadata_proxy_user":        "there is no haproxy process",
		"metadata_proxy_group":       "there is no haproxy process",
	},
	"ovn": {
		"ovn_sb_connection": "chassisd reads the Southbound remote from Open_vSwitch external_ids:ovn-remote",
	},
	"ovs": {
		"ovsdb_connection": "chassisd takes the local OVS database as its command-line argument",
	},
}

// LoadConfig reads the INI files in order, later files overriding earlier
// ones as oslo.config does. Unknown options are ignored; a file that cannot
// be read or parsed, a missing shared secret or an invalid value is an
// error.
func LoadConfig(files ...string) (*Config, error) {
	if len(files) == 0 {
		return nil, errors.New("no metadata configuration file given")
	}
	merged := rawConfig{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("metadata configuration: %w", err)
		}
		if err := merged.parse(data, f); err != nil {
			return nil, err
		}
	}
	cfg, err := merged.config()
	if err != nil {
		return nil, fmt.Errorf("metadata configuration %s: %w", strings.Join(files, ", "), err)
	}
	cfg.Files = slices.Clone(files)
	return cfg, nil
}

// rawConfig is section -> option -> raw value (before substitution) and
// where each value came from.
type rawConfig map[string]map[string]rawValue

type rawValue struct {
	value string
	file  string
}

// parse merges one INI document into r.
func (r rawConfig) parse(data []byte, name string) error {
	f, err := ini.LoadSources(ini.LoadOptions{
		// oslo.config keeps "#" and ";" after a value as part of it: a
		// secret may contain them.
		IgnoreInlineComment:        true,
		AllowPythonMultilineValues: true,
		// Options may appear twice; the last one wins.
		AllowShadows: false,
	}, data)
	if err != nil {
		return fmt.Errorf("metadata configuration %s: %w", name, err)
	}
	for _, sec := range f.Sections() {
		sname := sec.Name()
		if r[sname] == nil {
			r[sname] = map[string]rawValue{}
		}
		for _, k := range sec.Keys() {
			// Value is the raw text: ini's own %(name)s interpolation
			// is not oslo.config's and must not touch secrets.
			r[sname][k.Name()] = rawValue{value: k.Value(), file: name}
		}
	}
	return nil
}

// lookup returns an option's value after oslo.config-style substitution,
// and whether it was set in a file.
func (r rawConfig) lookup(section, key string) (string, bool, error) {
	return r.lookupDepth(section, key, 0)
}

func (r rawConfig) lookupDepth(section, key string, depth int) (string, bool, error) {
	if depth > 10 {
		return "", false, fmt.Errorf("[%s] %s: substitution nests too deep", section, key)
	}
	// An option is read from its own section only (no fallback to
	// DEFAULT), as oslo.config groups work.
	v, set := r[section][key]
	raw := v.value
	if !set {
		raw = knownDefaults[section][key]
	}
	out, err := r.substitute(section, raw, depth)
	if err != nil {
		return "", false, fmt.Errorf("[%s] %s: %w", section, key, err)
	}
	return out, set, nil
}

// oslo.config substitutes $name and ${name} with other options' values
// (same section, then DEFAULT); $$ and \$ are a literal dollar.
var substitutionPattern = regexp.MustCompile(`\$(?:(\$)|([_a-zA-Z][._a-zA-Z0-9]*)|\{([_a-zA-Z][._a-zA-Z0-9]*)\})`)

func (r rawConfig) substitute(section, value string, depth int) (string, error) {
	if !strings.Contains(value, "$") {
		return value, nil
	}
	value = strings.ReplaceAll(value, `\$`, "$$")
	var firstErr error
	out := substitutionPattern.ReplaceAllStringFunc(value, func(m string) string {
		sub := substitutionPattern.FindStringSubmatch(m)
		if sub[1] != "" {
			return "$"
		}
		name := sub[2] + sub[3]
		for _, sec := range []string{section, "DEFAULT"} {
			_, inFile := r[sec][name]
			_, known := knownDefaults[sec][name]
			if inFile || known {
				v, _, err := r.lookupDepth(sec, name, depth+1)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				return v
			}
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("cannot substitute $%s: no such option", name)
		}
		return m
	})
	return out, firstErr
}

func (r rawConfig) config() (*Config, error) {
	get := func(section, key string) (string, error) {
		v, _, err := r.lookup(section, key)
		return v, err
	}
	var errs []error
	str := func(section, key string) string {
		v, err := get(section, key)
		if err != nil {
			errs = append(errs, err)
		}
		return strings.TrimSpace(v)
	}
	integer := func(section, key string, min int) int {
		s := str(section, key)
		n, err := strconv.Atoi(s)
		if err != nil || n < min {
			errs = append(errs, fmt.Errorf("[%s] %s = %q: want an integer >= %d", section, key, s, min))
		}
		return n
	}
	seconds := func(section, key string) time.Duration {
		return time.Duration(integer(section, key, 1)) * time.Second
	}
	boolean := func(section, key string) bool {
		s := str(section, key)
		switch strings.ToLower(s) {
		case "true", "yes", "on", "1":
			return true
		case "false", "no", "off", "0":
			return false
		}
		errs = append(errs, fmt.Errorf("[%s] %s = %q: want true or false", section, key, s))
		return false
	}

	cfg := &Config{}
	host := str("DEFAULT", "nova_metadata_host")
	port := integer("DEFAULT", "nova_metadata_port", 1)
	if port > 65535 {
		errs = append(errs, fmt.Errorf("[DEFAULT] nova_metadata_port = %d: out of range", port))
	}
	proto := strings.ToLower(str("DEFAULT", "nova_metadata_protocol"))
	if proto != "http" && proto != "https" {
		errs = append(errs, fmt.Errorf("[DEFAULT] nova_metadata_protocol = %q: want http or https", proto))
	}
	if host == "" {
		errs = append(errs, errors.New("[DEFAULT] nova_metadata_host is empty"))
	}
	cfg.NovaURL = proto + "://" + net.JoinHostPort(host, strconv.Itoa(port))

	// The secret is used verbatim: surrounding spaces are part of it for
	// Nova too (oslo.config strips only the line's own whitespace).
	secret, _, err := r.lookup("DEFAULT", "metadata_proxy_shared_secret")
	if err != nil {
		errs = append(errs, err)
	}
	if secret == "" {
		errs = append(errs, errors.New("[DEFAULT] metadata_proxy_shared_secret is not set: Nova would reject every request"))
	}
	cfg.SharedSecret = secret

	insecure := boolean("DEFAULT", "nova_metadata_insecure")
	caCert := str("DEFAULT", "auth_ca_cert")
	clientCert := str("DEFAULT", "nova_client_cert")
	clientKey := str("DEFAULT", "nova_client_priv_key")
	if (clientCert == "") != (clientKey == "") {
		errs = append(errs, errors.New("[DEFAULT] nova_client_cert and nova_client_priv_key go together"))
	}
	if proto == "https" {
		tlsCfg, err := novaTLS(insecure, caCert, clientCert, clientKey)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.TLS = tlsCfg
	}
	// state_path matters only as a substitution source ($state_path)
	// here; read it so that a bad reference is still reported.
	_ = str("DEFAULT", "state_path")
	cfg.AgentDownTime = seconds("DEFAULT", "agent_down_time")

	rl := &cfg.RateLimit
	rl.Enabled = boolean("metadata_rate_limiting", "rate_limit_enabled")
	for _, v := range strings.Split(str("metadata_rate_limiting", "ip_versions"), ",") {
		switch strings.TrimSpace(v) {
		case "4":
			rl.IPv4 = true
		case "6":
			rl.IPv6 = true
		case "":
		default:
			errs = append(errs, fmt.Errorf("[metadata_rate_limiting] ip_versions: %q is not 4 or 6", v))
		}
	}
	rl.BaseWindow = seconds("metadata_rate_limiting", "base_window_duration")
	rl.BaseLimit = integer("metadata_rate_limiting", "base_query_rate_limit", 1)
	rl.BurstWindow = seconds("metadata_rate_limiting", "burst_window_duration")
	rl.BurstLimit = integer("metadata_rate_limiting", "burst_query_rate_limit", 1)

	to := &cfg.Timeouts
	to.Connect = seconds("metadata_haproxy", "timeout_connect")
	to.Client = seconds("metadata_haproxy", "timeout_client")
	to.Server = seconds("metadata_haproxy", "timeout_server")
	to.HTTPRequest = seconds("metadata_haproxy", "timeout_http_request")
	to.KeepAlive = seconds("metadata_haproxy", "timeout_http_keep_alive")

	for _, sec := range sortedKeys(ignoredOptions) {
		for _, key := range sortedKeys(ignoredOptions[sec]) {
			if v, ok := r[sec][key]; ok {
				cfg.Ignored = append(cfg.Ignored, fmt.Sprintf("[%s] %s (%s): ignored, %s", sec, key, v.file, ignoredOptions[sec][key]))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

// novaTLS builds the https client configuration as Neutron's proxy uses
// requests: verify against auth_ca_cert when set and not insecure, else
// against the system roots unless insecure; present the client certificate
// when both files are set.
func novaTLS(insecure bool, caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile != "" && !insecure {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("[DEFAULT] auth_ca_cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("[DEFAULT] auth_ca_cert: no certificate found in %s", caFile)
		}
		cfg.RootCAs = pool
	}
	if certFile != "" && keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("[DEFAULT] nova_client_cert/nova_client_priv_key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
