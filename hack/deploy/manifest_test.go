// Package deploy holds chassisd's Kubernetes manifests; its test checks
// them against the Kubernetes API types.
package deploy

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// manifest is daemonset.yaml decoded strictly, document by document.
type manifest struct {
	sa *corev1.ServiceAccount
	cm *corev1.ConfigMap
	ds *appsv1.DaemonSet
}

func load(t *testing.T) manifest {
	t.Helper()
	raw, err := os.ReadFile("daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		var dst any
		switch meta.Kind {
		case "ServiceAccount":
			m.sa = &corev1.ServiceAccount{}
			dst = m.sa
		case "ConfigMap":
			m.cm = &corev1.ConfigMap{}
			dst = m.cm
		case "DaemonSet":
			m.ds = &appsv1.DaemonSet{}
			dst = m.ds
		default:
			t.Fatalf("unexpected document kind %q", meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, dst); err != nil {
			t.Fatalf("%s: %v", meta.Kind, err)
		}
	}
	if m.sa == nil || m.cm == nil || m.ds == nil {
		t.Fatal("want a ServiceAccount, a ConfigMap and a DaemonSet")
	}
	return m
}

func container(t *testing.T, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return corev1.Container{}
}

func TestDaemonSetDecodesStrictly(t *testing.T) {
	m := load(t)
	ds := m.ds
	if ds.Kind != "DaemonSet" || ds.APIVersion != "apps/v1" {
		t.Errorf("kind %q apiVersion %q", ds.Kind, ds.APIVersion)
	}
	spec := ds.Spec.Template.Spec
	if !spec.HostNetwork || !spec.HostPID {
		t.Error("chassisd needs hostNetwork and hostPID")
	}
	if spec.ServiceAccountName != m.sa.Name || m.sa.Namespace != ds.Namespace {
		t.Errorf("serviceAccountName %q, ServiceAccount %s/%s", spec.ServiceAccountName, m.sa.Namespace, m.sa.Name)
	}
	if got := ds.Spec.Selector.MatchLabels["app"]; got != ds.Spec.Template.Labels["app"] {
		t.Errorf("selector %q does not select the template labels %v", got, ds.Spec.Template.Labels)
	}
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType {
		t.Error("upgrades must roll node by node")
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	all := append(slices.Clone(spec.InitContainers), spec.Containers...)
	for _, c := range all {
		// Pinned images: a tag that is not "latest".
		if tag := c.Image[strings.LastIndexByte(c.Image, ':')+1:]; !strings.Contains(c.Image, ":") || tag == "latest" {
			t.Errorf("%s: image %q is not pinned", c.Name, c.Image)
		}
		for _, mnt := range c.VolumeMounts {
			if _, ok := volumes[mnt.Name]; !ok {
				t.Errorf("%s: mount %s has no volume", c.Name, mnt.Name)
			}
		}
		for _, e := range c.Env {
			if ref := e.ValueFrom; ref != nil && ref.ConfigMapKeyRef != nil {
				if ref.ConfigMapKeyRef.Name != m.cm.Name {
					t.Errorf("%s: env %s from unknown ConfigMap %s", c.Name, e.Name, ref.ConfigMapKeyRef.Name)
				} else if _, ok := m.cm.Data[ref.ConfigMapKeyRef.Key]; !ok {
					t.Errorf("%s: env %s from missing key %s", c.Name, e.Name, ref.ConfigMapKeyRef.Key)
				}
			}
		}
	}
}

func mountsOf(c corev1.Container) map[string]corev1.VolumeMount {
	out := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		out[m.MountPath] = m
	}
	return out
}

func TestFlowAgentContainer(t *testing.T) {
	m := load(t)
	spec := m.ds.Spec.Template.Spec
	c := container(t, spec, "chassisd")
	if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Error("chassisd must run privileged")
	}
	mounts := mountsOf(c)
	for _, path := range []string{"/var/run/openvswitch", "/var/run/ovn", "/var/log/ovn", "/ovn-cert"} {
		if _, ok := mounts[path]; !ok {
			t.Errorf("no mount at %s", path)
		}
	}
	if args := c.Args; len(args) == 0 || args[len(args)-1] != "unix:/var/run/openvswitch/db.sock" {
		t.Errorf("the last argument must be the OVS database, got %v", args)
	}
	// The metrics listener, its port, the probes and the scrape annotation agree.
	var metricsPort int
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--metrics-address="); ok {
			metricsPort, _ = strconv.Atoi(v[strings.LastIndexByte(v, ':')+1:])
		}
	}
	if metricsPort == 0 {
		t.Fatal("no --metrics-address")
	}
	if ann := m.ds.Spec.Template.Annotations; ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(metricsPort) {
		t.Errorf("scrape annotations %v, metrics on %d", ann, metricsPort)
	}
	if len(c.Ports) == 0 || int(c.Ports[0].ContainerPort) != metricsPort {
		t.Errorf("container ports %v, metrics on %d", c.Ports, metricsPort)
	}
	rp := c.ReadinessProbe
	if rp == nil || rp.HTTPGet == nil || rp.HTTPGet.Path != "/readyz" || rp.HTTPGet.Port.IntValue() != metricsPort {
		t.Errorf("readiness must be GET /readyz on the metrics port: %+v", rp)
	}
	lp := c.LivenessProbe
	if lp == nil || lp.Exec == nil || !slices.Equal(lp.Exec.Command[:3], []string{"/usr/bin/chassisd", "ctl", "-T"}) {
		t.Errorf("liveness must ask the control socket: %+v", lp)
	}
	sp := c.StartupProbe
	if sp == nil || sp.HTTPGet == nil || sp.PeriodSeconds*sp.FailureThreshold < 600 {
		t.Errorf("startup probe must allow a 10-minute cold start: %+v", sp)
	}
	if c.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
		t.Error("want FallbackToLogsOnError")
	}
	// The TLS files the arguments name come from the Secret volume.
	for _, a := range c.Args {
		for _, flag := range []string{"--private-key=", "--certificate=", "--ca-cert="} {
			if v, ok := strings.CutPrefix(a, flag); ok && !strings.HasPrefix(v, "/ovn-cert/") {
				t.Errorf("%s outside the Secret mount", a)
			}
		}
	}
	var secret *corev1.SecretVolumeSource
	for _, v := range spec.Volumes {
		if v.Name == mounts["/ovn-cert"].Name {
			secret = v.Secret
		}
	}
	if secret == nil {
		t.Error("/ovn-cert is not a Secret")
	}
}

// TestMetadataJob: the metadata job runs inside chassisd (there is no
// separate binary for it), configured from an optional Secret, with the
// host's /run/netns shared both ways.
func TestMetadataJob(t *testing.T) {
	m := load(t)
	spec := m.ds.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("want the chassisd container only, got %d containers", len(spec.Containers))
	}
	c := container(t, spec, "chassisd")
	if !slices.Contains(c.Args, "--metadata-config-dir=/etc/chassisd/metadata") {
		t.Errorf("chassisd args %q lack the metadata config directory", c.Args)
	}
	// Bidirectional propagation is only allowed in privileged containers.
	if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Error("chassisd must run privileged for the metadata namespaces")
	}
	mnt := mountsOf(c)["/run/netns"]
	if mnt.MountPropagation == nil || *mnt.MountPropagation != corev1.MountPropagationBidirectional {
		t.Error("/run/netns must be mounted with Bidirectional propagation for metadata namespaces")
	}
	cfg := mountsOf(c)["/etc/chassisd/metadata"]
	var secret *corev1.SecretVolumeSource
	for _, v := range spec.Volumes {
		if v.Name == cfg.Name {
			secret = v.Secret
		}
	}
	if secret == nil || secret.Optional == nil || !*secret.Optional {
		t.Error("the metadata configuration must come from an optional Secret, so clusters without Neutron run without it")
	}
}

func TestInitContainerConfiguresTheChassis(t *testing.T) {
	m := load(t)
	spec := m.ds.Spec.Template.Spec
	if len(spec.InitContainers) != 1 {
		t.Fatalf("want one init container, got %d", len(spec.InitContainers))
	}
	cmd := strings.Join(spec.InitContainers[0].Command, " ")
	for _, key := range []string{"system-id=", "ovn-remote=", "ovn-encap-type=", "ovn-encap-ip=$(NODE_IP)"} {
		if !strings.Contains(cmd, key) {
			t.Errorf("init container does not set %s: %s", key, cmd)
		}
	}
	if !regexp.MustCompile(`^/usr/bin/chassisd configure `).MatchString(cmd) {
		t.Errorf("init container command %q", cmd)
	}
}
