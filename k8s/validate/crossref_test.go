package validate

import (
	"fmt"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type objectIndex struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	services   map[string]*corev1.Service
	pvcs       map[string]bool
	workloads  map[string]bool // "Kind/name"
}

func indexObjects(objects []Object) objectIndex {
	index := objectIndex{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		services: map[string]*corev1.Service{}, pvcs: map[string]bool{}, workloads: map[string]bool{}}
	key := func(namespace, name string) string { return namespace + "/" + name }
	for _, object := range objects {
		switch typed := object.Typed.(type) {
		case *corev1.ConfigMap:
			index.configMaps[key(typed.Namespace, typed.Name)] = typed
		case *corev1.Secret:
			index.secrets[key(typed.Namespace, typed.Name)] = typed
		case *corev1.Service:
			index.services[key(typed.Namespace, typed.Name)] = typed
		case *corev1.PersistentVolumeClaim:
			index.pvcs[key(typed.Namespace, typed.Name)] = true
		}
		index.workloads[object.Kind+"/"+object.Namespace+"/"+object.Name] = true
	}
	return index
}

func (index objectIndex) configMapHasKey(namespace, name, key string) error {
	configMap, ok := index.configMaps[namespace+"/"+name]
	if !ok {
		return fmt.Errorf("ConfigMap %s does not exist", name)
	}
	if _, ok := configMap.Data[key]; !ok && key != "" {
		return fmt.Errorf("ConfigMap %s has no key %s", name, key)
	}
	return nil
}

func (index objectIndex) secretHasKey(namespace, name, key string) error {
	secret, ok := index.secrets[namespace+"/"+name]
	if !ok {
		return fmt.Errorf("Secret %s does not exist", name)
	}
	_, inData := secret.Data[key]
	_, inString := secret.StringData[key]
	if key != "" && !inData && !inString {
		return fmt.Errorf("Secret %s has no key %s", name, key)
	}
	return nil
}

// checkPodReferences returns every ConfigMap, Secret, PVC and volume that the
// pod uses but the render does not provide.
func checkPodReferences(index objectIndex, pod podTemplate) []string {
	var problems []string
	report := func(context string, err error) {
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %v", pod.Owner, context, err))
		}
	}
	volumes := map[string]bool{}
	for _, claim := range pod.ClaimTemplates {
		volumes[claim] = true
	}
	for _, volume := range pod.Spec.Volumes {
		volumes[volume.Name] = true
		switch {
		case volume.ConfigMap != nil:
			report("volume "+volume.Name, index.configMapHasKey(pod.Namespace, volume.ConfigMap.Name, ""))
			for _, item := range volume.ConfigMap.Items {
				report("volume "+volume.Name, index.configMapHasKey(pod.Namespace, volume.ConfigMap.Name, item.Key))
			}
		case volume.Secret != nil:
			report("volume "+volume.Name, index.secretHasKey(pod.Namespace, volume.Secret.SecretName, ""))
			for _, item := range volume.Secret.Items {
				report("volume "+volume.Name, index.secretHasKey(pod.Namespace, volume.Secret.SecretName, item.Key))
			}
		case volume.PersistentVolumeClaim != nil:
			if !index.pvcs[pod.Namespace+"/"+volume.PersistentVolumeClaim.ClaimName] {
				report("volume "+volume.Name, fmt.Errorf("PersistentVolumeClaim %s does not exist", volume.PersistentVolumeClaim.ClaimName))
			}
		case volume.EmptyDir != nil:
		default:
			report("volume "+volume.Name, fmt.Errorf("unexpected volume source"))
		}
	}
	for _, container := range allContainers(pod.Spec) {
		context := "container " + container.Name
		for _, source := range container.EnvFrom {
			if source.ConfigMapRef != nil {
				report(context, index.configMapHasKey(pod.Namespace, source.ConfigMapRef.Name, ""))
			}
			if source.SecretRef != nil {
				report(context, index.secretHasKey(pod.Namespace, source.SecretRef.Name, ""))
			}
		}
		for _, env := range container.Env {
			if env.ValueFrom == nil {
				continue
			}
			if ref := env.ValueFrom.ConfigMapKeyRef; ref != nil {
				report(context+" env "+env.Name, index.configMapHasKey(pod.Namespace, ref.Name, ref.Key))
			}
			if ref := env.ValueFrom.SecretKeyRef; ref != nil {
				report(context+" env "+env.Name, index.secretHasKey(pod.Namespace, ref.Name, ref.Key))
			}
		}
		for _, mount := range container.VolumeMounts {
			if !volumes[mount.Name] {
				report(context, fmt.Errorf("mounts undefined volume %s", mount.Name))
			}
		}
	}
	return problems
}

// checkProbePorts returns every probe whose port the container does not declare.
func checkProbePorts(pod podTemplate) []string {
	var problems []string
	for _, container := range allContainers(pod.Spec) {
		for kind, probe := range map[string]*corev1.Probe{"startup": container.StartupProbe,
			"readiness": container.ReadinessProbe, "liveness": container.LivenessProbe} {
			if probe == nil {
				continue
			}
			var port *intstr.IntOrString
			switch {
			case probe.HTTPGet != nil:
				port = &probe.HTTPGet.Port
			case probe.TCPSocket != nil:
				port = &probe.TCPSocket.Port
			case probe.GRPC != nil:
				p := intstr.FromInt32(probe.GRPC.Port)
				port = &p
			}
			if port == nil {
				continue // exec probes have no port
			}
			name, number := "", int32(0)
			if port.Type == intstr.String {
				name = port.StrVal
			} else {
				number = port.IntVal
			}
			if !containerHasPort(container, name, number) {
				problems = append(problems, fmt.Sprintf("%s container %s: %s probe port %s is not a container port",
					pod.Owner, container.Name, kind, port.String()))
			}
		}
	}
	return problems
}

func TestCrossReferences(t *testing.T) {
	forEachRender(t, func(t *testing.T, dir string, objects []Object) {
		index := indexObjects(objects)
		pods := podTemplates(objects)

		for _, pod := range pods {
			for _, problem := range checkPodReferences(index, pod) {
				t.Error(problem)
			}
			for _, problem := range checkProbePorts(pod) {
				t.Error(problem)
			}
		}

		for _, service := range typedOf[*corev1.Service](objects) {
			var selected []podTemplate
			for _, pod := range pods {
				if pod.Namespace == service.Namespace && selectorMatches(service.Spec.Selector, pod.Labels) {
					selected = append(selected, pod)
				}
			}
			if len(selected) == 0 {
				t.Errorf("Service %s: selector %v matches no pod template", service.Name, service.Spec.Selector)
				continue
			}
			for _, pod := range selected {
				if !strings.HasPrefix(pod.Owner, "Deployment/") && !strings.HasPrefix(pod.Owner, "StatefulSet/") {
					t.Errorf("Service %s selects the pods of %s, which serve no traffic", service.Name, pod.Owner)
				}
				for _, port := range service.Spec.Ports {
					name, number := "", port.Port
					if port.TargetPort.Type == intstr.String {
						name = port.TargetPort.StrVal
					} else if port.TargetPort.IntVal != 0 {
						number = port.TargetPort.IntVal
					}
					found := false
					for _, container := range pod.Spec.Containers {
						found = found || containerHasPort(container, name, number)
					}
					if !found {
						t.Errorf("Service %s port %s: targetPort %s is not a container port of %s",
							service.Name, port.Name, port.TargetPort.String(), pod.Owner)
					}
				}
			}
		}

		if len(index.services) > 0 { // base/ alone holds the Ingresses without their backends
			for _, ingress := range typedOf[*networkingv1.Ingress](objects) {
				for _, rule := range ingress.Spec.Rules {
					for _, path := range rule.HTTP.Paths {
						backend := path.Backend.Service
						service, ok := index.services[ingress.Namespace+"/"+backend.Name]
						if !ok {
							t.Errorf("Ingress %s path %s: Service %s does not exist", ingress.Name, path.Path, backend.Name)
							continue
						}
						found := false
						for _, port := range service.Spec.Ports {
							found = found || (backend.Port.Name != "" && port.Name == backend.Port.Name) ||
								(backend.Port.Name == "" && port.Port == backend.Port.Number)
						}
						if !found {
							t.Errorf("Ingress %s path %s: Service %s has no port %+v", ingress.Name, path.Path, backend.Name, backend.Port)
						}
					}
				}
			}
		}

		for _, hpa := range typedOf[*autoscalingv2.HorizontalPodAutoscaler](objects) {
			target := hpa.Spec.ScaleTargetRef
			if !index.workloads[target.Kind+"/"+hpa.Namespace+"/"+target.Name] {
				t.Errorf("HorizontalPodAutoscaler %s: target %s/%s does not exist", hpa.Name, target.Kind, target.Name)
			}
		}
		for _, budget := range typedOf[*policyv1.PodDisruptionBudget](objects) {
			if !anyPodMatches(pods, budget.Namespace, budget.Spec.Selector) {
				t.Errorf("PodDisruptionBudget %s selects no pod template", budget.Name)
			}
		}
		for _, policy := range typedOf[*networkingv1.NetworkPolicy](objects) {
			if len(pods) == 0 {
				break // base/ alone holds the namespace-wide policies without the pods
			}
			if !anyPodMatches(pods, policy.Namespace, &policy.Spec.PodSelector) {
				t.Errorf("NetworkPolicy %s selects no pod template", policy.Name)
			}
		}
	})
}

func anyPodMatches(pods []podTemplate, namespace string, selector *metav1.LabelSelector) bool {
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false
	}
	for _, pod := range pods {
		if pod.Namespace == namespace && parsed.Matches(labelSet(pod.Labels)) {
			return true
		}
	}
	return false
}
