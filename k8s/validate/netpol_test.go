package validate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// endpoint is one side of a connection for the NetworkPolicy evaluator: a
// pod (namespace, its labels and its containers' ports) or, when external,
// an address outside the cluster.
type endpoint struct {
	name            string
	namespace       string
	namespaceLabels map[string]string
	labels          map[string]string
	ports           []corev1.ContainerPort
	external        bool
}

// The ingress-nginx controller and cluster DNS, outside the rendered namespace.
var (
	ingressController = endpoint{name: "ingress-nginx", namespace: "ingress-nginx",
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"},
		labels:          map[string]string{"app.kubernetes.io/name": "ingress-nginx"}}
	clusterDNS = endpoint{name: "kube-dns", namespace: "kube-system",
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"},
		labels:          map[string]string{"k8s-app": "kube-dns"},
		ports:           []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}}
	internet = endpoint{name: "internet", external: true}
)

// peerMatches implements NetworkPolicyPeer: ipBlocks here only ever name
// public ranges, so they match exactly the external endpoint.
func peerMatches(peer networkingv1.NetworkPolicyPeer, policyNamespace string, other endpoint) bool {
	if peer.IPBlock != nil {
		return other.external
	}
	if other.external {
		return false
	}
	if peer.NamespaceSelector == nil {
		if other.namespace != policyNamespace {
			return false
		}
	} else if !selects(peer.NamespaceSelector, other.namespaceLabels) {
		return false
	}
	return peer.PodSelector == nil || selects(peer.PodSelector, other.labels)
}

func selects(selector *metav1.LabelSelector, target map[string]string) bool {
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	return err == nil && parsed.Matches(labels.Set(target))
}

// portMatches resolves a policy port (number or the destination's port name).
func portMatches(ports []networkingv1.NetworkPolicyPort, destination endpoint, port int32, protocol corev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, policyPort := range ports {
		policyProtocol := corev1.ProtocolTCP
		if policyPort.Protocol != nil {
			policyProtocol = *policyPort.Protocol
		}
		if policyProtocol != protocol {
			continue
		}
		if policyPort.Port == nil {
			return true
		}
		if policyPort.Port.StrVal == "" && policyPort.Port.IntVal == port {
			return true
		}
		for _, named := range destination.ports {
			if policyPort.Port.StrVal != "" && named.Name == policyPort.Port.StrVal && named.ContainerPort == port {
				return true
			}
		}
	}
	return false
}

// allowed reports whether policies let source open a connection to
// destination:port. Pods outside the rendered namespace are not isolated.
func allowed(policies []*networkingv1.NetworkPolicy, source, destination endpoint, port int32, protocol corev1.Protocol) bool {
	direction := func(subject, peer endpoint, policyType networkingv1.PolicyType) bool {
		isolated, permitted := false, false
		for _, policy := range policies {
			if subject.external || policy.Namespace != subject.namespace || !selects(&policy.Spec.PodSelector, subject.labels) ||
				!slices.Contains(policy.Spec.PolicyTypes, policyType) {
				continue
			}
			isolated = true
			if policyType == networkingv1.PolicyTypeIngress {
				for _, rule := range policy.Spec.Ingress {
					if (len(rule.From) == 0 || slices.ContainsFunc(rule.From, func(p networkingv1.NetworkPolicyPeer) bool { return peerMatches(p, policy.Namespace, peer) })) &&
						portMatches(rule.Ports, subject, port, protocol) {
						permitted = true
					}
				}
			} else {
				for _, rule := range policy.Spec.Egress {
					if (len(rule.To) == 0 || slices.ContainsFunc(rule.To, func(p networkingv1.NetworkPolicyPeer) bool { return peerMatches(p, policy.Namespace, peer) })) &&
						portMatches(rule.Ports, peer, port, protocol) {
						permitted = true
					}
				}
			}
		}
		return !isolated || permitted
	}
	return direction(source, destination, networkingv1.PolicyTypeEgress) && direction(destination, source, networkingv1.PolicyTypeIngress)
}

// TestNetworkPolicies evaluates the production policies for every pair of
// rendered pods (plus the ingress controller, DNS and the internet) on every
// port that matters, and compares with the intended reachability.
func TestNetworkPolicies(t *testing.T) {
	all := renderAll(t)
	prod := all["overlays/prod"]
	if prod.err != nil {
		t.Fatalf("prod render failed: %v", prod.err)
	}
	policies := typedOf[*networkingv1.NetworkPolicy](prod.objects)
	namespaceLabels := map[string]map[string]string{}
	for _, namespace := range typedOf[*corev1.Namespace](prod.objects) {
		namespaceLabels[namespace.Name] = map[string]string{"kubernetes.io/metadata.name": namespace.Name}
	}

	var pods []endpoint
	for _, pod := range podTemplates(prod.objects) {
		var ports []corev1.ContainerPort
		for _, container := range pod.Spec.Containers {
			ports = append(ports, container.Ports...)
		}
		// Workload identity for the expectations: component "job" pods are
		// named after their CronJob, the others after their app name.
		name := pod.Labels["app.kubernetes.io/name"]
		if pod.Labels["app.kubernetes.io/component"] == "job" {
			name = strings.TrimPrefix(pod.Owner, "CronJob/")
		}
		pods = append(pods, endpoint{name: name, namespace: pod.Namespace, namespaceLabels: namespaceLabels[pod.Namespace],
			labels: pod.Labels, ports: ports})
	}
	if len(pods) != 11 {
		t.Fatalf("want 11 pod templates (5 Deployments, 4 databases, 2 CronJobs), got %d", len(pods))
	}

	// The intended reachability: "source -> destination:port" pairs that must be
	// open. Every other pair among the endpoints must be closed.
	want := map[string]bool{
		"ingress-nginx -> frontend:80":                        true,
		"ingress-nginx -> user-service:5000":                  true,
		"ingress-nginx -> pricing-service:12000":              true,
		"ingress-nginx -> portfolio-service:5000":             true,
		"ingress-nginx -> alert-service:5000":                 true,
		"portfolio-service -> pricing-service:50052":          true,
		"alert-service -> pricing-service:50052":              true,
		"user-service -> userservice-postgres:5432":           true,
		"pricing-service -> pricingservice-postgres:5432":     true,
		"pricing-backfill -> pricingservice-postgres:5432":    true,
		"pricing-rollup -> pricingservice-postgres:5432":      true,
		"portfolio-service -> portfolioservice-postgres:5432": true,
		"alert-service -> alertservice-postgres:5432":         true,
		"pricing-service -> internet:443":                     true,
		"pricing-backfill -> internet:443":                    true,
		"pricing-rollup -> internet:443":                      true,
		"alert-service -> internet:443":                       true,
	}
	interestingPorts := []int32{80, 443, 5000, 5432, 8080, 12000, 50051, 50052, 50053, 50054}
	sources := append([]endpoint{ingressController}, pods...)
	destinations := append([]endpoint{internet}, pods...)
	opened := 0
	for _, source := range sources {
		for _, destination := range destinations {
			if source.name == destination.name {
				continue // inside one pod nothing crosses the network
			}
			if source.name == ingressController.name && destination.external {
				continue // the controller's own namespace is not ours to police
			}
			for _, port := range interestingPorts {
				key := fmt.Sprintf("%s -> %s:%d", source.name, destination.name, port)
				got := allowed(policies, source, destination, port, corev1.ProtocolTCP)
				if got != want[key] {
					t.Errorf("%s: allowed=%v, want %v", key, got, want[key])
				}
				if got {
					opened++
				}
			}
		}
		if !allowed(policies, source, clusterDNS, 53, corev1.ProtocolUDP) && source.name != "ingress-nginx" {
			t.Errorf("%s cannot resolve names (DNS egress)", source.name)
		}
	}
	if opened != len(want) {
		t.Errorf("%d connections open, want exactly %d", opened, len(want))
	}
}
