package validate

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// podTemplate is a pod that a workload in the render would create.
type podTemplate struct {
	Owner     string // Kind/name of the workload
	Namespace string
	Labels    map[string]string
	Spec      corev1.PodSpec
	// Claim templates a StatefulSet provides as volumes.
	ClaimTemplates []string
}

func podTemplates(objects []Object) []podTemplate {
	var pods []podTemplate
	for _, object := range objects {
		switch typed := object.Typed.(type) {
		case *appsv1.Deployment:
			pods = append(pods, podTemplate{Owner: "Deployment/" + typed.Name, Namespace: typed.Namespace,
				Labels: typed.Spec.Template.Labels, Spec: typed.Spec.Template.Spec})
		case *appsv1.StatefulSet:
			var claims []string
			for _, claim := range typed.Spec.VolumeClaimTemplates {
				claims = append(claims, claim.Name)
			}
			pods = append(pods, podTemplate{Owner: "StatefulSet/" + typed.Name, Namespace: typed.Namespace,
				Labels: typed.Spec.Template.Labels, Spec: typed.Spec.Template.Spec, ClaimTemplates: claims})
		case *batchv1.CronJob:
			template := typed.Spec.JobTemplate.Spec.Template
			pods = append(pods, podTemplate{Owner: "CronJob/" + typed.Name, Namespace: typed.Namespace,
				Labels: template.Labels, Spec: template.Spec})
		case *batchv1.Job:
			pods = append(pods, podTemplate{Owner: "Job/" + typed.Name, Namespace: typed.Namespace,
				Labels: typed.Spec.Template.Labels, Spec: typed.Spec.Template.Spec})
		case *corev1.Pod:
			pods = append(pods, podTemplate{Owner: "Pod/" + typed.Name, Namespace: typed.Namespace,
				Labels: typed.Labels, Spec: typed.Spec})
		}
	}
	return pods
}

func allContainers(spec corev1.PodSpec) []corev1.Container {
	return append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
}

// selectorMatches reports whether every key=value of selector is in labels.
// An empty selector matches nothing here: no Service in this project may
// select every pod.
func selectorMatches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for key, value := range selector {
		if labels[key] != value {
			return false
		}
	}
	return true
}

// containerPort resolves a probe or Service port (name or number) against
// the ports a container declares.
func containerHasPort(container corev1.Container, name string, number int32) bool {
	for _, port := range container.Ports {
		if name != "" && port.Name == name {
			return true
		}
		if name == "" && port.ContainerPort == number {
			return true
		}
	}
	return false
}

func labelSet(labelMap map[string]string) labels.Set { return labels.Set(labelMap) }
