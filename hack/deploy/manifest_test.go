// Package deploy holds chassisd's Kubernetes manifests; its test checks
// them against the Kubernetes API types.
package deploy

import (
	"os"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func TestDaemonSetDecodesStrictly(t *testing.T) {
	raw, err := os.ReadFile("daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(raw, &ds); err != nil {
		t.Fatalf("daemonset.yaml: %v", err)
	}
	if ds.Kind != "DaemonSet" || ds.APIVersion != "apps/v1" {
		t.Errorf("kind %q apiVersion %q", ds.Kind, ds.APIVersion)
	}
	spec := ds.Spec.Template.Spec
	if !spec.HostNetwork || !spec.HostPID {
		t.Error("chassisd needs hostNetwork and hostPID")
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Error("chassisd must run privileged")
	}
	if got := ds.Spec.Selector.MatchLabels["app"]; got != ds.Spec.Template.Labels["app"] {
		t.Errorf("selector %q does not select the template labels %v", got, ds.Spec.Template.Labels)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("mount %s has no volume", m.Name)
		}
		mounts[m.MountPath] = m
	}
	for _, path := range []string{"/var/run/openvswitch", "/var/run/ovn", "/run/netns"} {
		if _, ok := mounts[path]; !ok {
			t.Errorf("no mount at %s", path)
		}
	}
	if m := mounts["/run/netns"]; m.MountPropagation == nil || *m.MountPropagation != corev1.MountPropagationBidirectional {
		t.Error("/run/netns must be mounted with Bidirectional propagation for metadata namespaces")
	}
	if args := c.Args; len(args) == 0 || args[len(args)-1] != "unix:/var/run/openvswitch/db.sock" {
		t.Errorf("the last argument must be the OVS database, got %v", args)
	}
}
