package validate

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

const minimumID = 10000

// TestPodSecurity holds every pod in every render to the hardening rules.
func TestPodSecurity(t *testing.T) {
	forEachRender(t, func(t *testing.T, dir string, objects []Object) {
		for _, pod := range podTemplates(objects) {
			spec := pod.Spec
			podContext := spec.SecurityContext
			if podContext == nil {
				t.Errorf("%s: no pod securityContext", pod.Owner)
				continue
			}
			for what, id := range map[string]*int64{"runAsUser": podContext.RunAsUser, "runAsGroup": podContext.RunAsGroup, "fsGroup": podContext.FSGroup} {
				if id == nil || *id <= minimumID {
					t.Errorf("%s: pod %s must be set above %d", pod.Owner, what, minimumID)
				}
			}
			if podContext.RunAsNonRoot == nil || !*podContext.RunAsNonRoot {
				t.Errorf("%s: pod runAsNonRoot must be true", pod.Owner)
			}
			if podContext.SeccompProfile == nil || podContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: pod seccompProfile must be RuntimeDefault", pod.Owner)
			}
			if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
				t.Errorf("%s: automountServiceAccountToken must be false (no pod talks to the API server)", pod.Owner)
			}
			for _, container := range allContainers(spec) {
				where := pod.Owner + " container " + container.Name
				context := container.SecurityContext
				if context == nil {
					t.Errorf("%s: no securityContext", where)
					continue
				}
				if context.AllowPrivilegeEscalation == nil || *context.AllowPrivilegeEscalation {
					t.Errorf("%s: allowPrivilegeEscalation must be false", where)
				}
				if context.ReadOnlyRootFilesystem == nil || !*context.ReadOnlyRootFilesystem {
					t.Errorf("%s: readOnlyRootFilesystem must be true", where)
				}
				if context.RunAsNonRoot == nil || !*context.RunAsNonRoot {
					t.Errorf("%s: runAsNonRoot must be true", where)
				}
				if context.Capabilities == nil || len(context.Capabilities.Drop) != 1 || context.Capabilities.Drop[0] != "ALL" || len(context.Capabilities.Add) != 0 {
					t.Errorf("%s: capabilities must drop ALL and add none", where)
				}
				if context.SeccompProfile == nil || context.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("%s: seccompProfile must be RuntimeDefault", where)
				}
				for _, resource := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
					request, hasRequest := container.Resources.Requests[resource]
					limit, hasLimit := container.Resources.Limits[resource]
					if !hasRequest || !hasLimit {
						t.Errorf("%s: needs a %s request and limit", where, resource)
					} else if request.Cmp(limit) > 0 {
						t.Errorf("%s: %s request %s exceeds its limit %s", where, resource, request.String(), limit.String())
					}
				}
				if !mountsEmptyDir(spec, container, "/tmp") {
					t.Errorf("%s: /tmp must be an emptyDir (the root filesystem is read-only)", where)
				}
			}
		}
		for _, deployment := range typedOf[*appsv1.Deployment](objects) {
			spec := deployment.Spec.Template.Spec
			if len(spec.TopologySpreadConstraints) == 0 || spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil {
				t.Errorf("Deployment %s: needs zone topology spread and host anti-affinity", deployment.Name)
			}
			for _, container := range spec.Containers {
				if container.ReadinessProbe == nil || container.LivenessProbe == nil {
					t.Errorf("Deployment %s container %s: needs readiness and liveness probes", deployment.Name, container.Name)
					continue
				}
				switch {
				case container.Name == "gateway" || container.Name == "nginx":
					if get := container.ReadinessProbe.HTTPGet; get == nil || get.Path != "/healthz" {
						t.Errorf("Deployment %s container %s: readiness must be HTTP GET /healthz", deployment.Name, container.Name)
					}
				default: // the C++ gRPC services
					if container.ReadinessProbe.GRPC == nil || container.LivenessProbe.GRPC == nil {
						t.Errorf("Deployment %s container %s: readiness and liveness must be native gRPC probes", deployment.Name, container.Name)
					}
				}
			}
		}
	})
}

func mountsEmptyDir(spec corev1.PodSpec, container corev1.Container, path string) bool {
	for _, mount := range container.VolumeMounts {
		if mount.MountPath != path {
			continue
		}
		for _, volume := range spec.Volumes {
			if volume.Name == mount.Name && volume.EmptyDir != nil {
				return true
			}
		}
	}
	return false
}

// TestProdOverlay checks what production adds on top of the development
// directories.
func TestProdOverlay(t *testing.T) {
	all := renderAll(t)
	prod := all["overlays/prod"]
	if prod.err != nil {
		t.Fatalf("prod render failed: %v", prod.err)
	}
	objects := prod.objects
	pods := podTemplates(objects)

	// The development selectors, which production must keep unchanged.
	devSelectors := map[string]string{}
	for _, dir := range []string{"frontend", "user-service", "pricing-service", "portfolio-service", "alert-service"} {
		for _, deployment := range typedOf[*appsv1.Deployment](all[dir].objects) {
			devSelectors["Deployment/"+deployment.Name] = metav1.FormatLabelSelector(deployment.Spec.Selector)
		}
		for _, statefulSet := range typedOf[*appsv1.StatefulSet](all[dir].objects) {
			devSelectors["StatefulSet/"+statefulSet.Name] = metav1.FormatLabelSelector(statefulSet.Spec.Selector)
		}
	}

	hpas := typedOf[*autoscalingv2.HorizontalPodAutoscaler](objects)
	budgets := typedOf[*policyv1.PodDisruptionBudget](objects)
	deployments := typedOf[*appsv1.Deployment](objects)
	if len(deployments) != 5 {
		t.Errorf("want 5 Deployments in production, got %d", len(deployments))
	}
	for _, deployment := range deployments {
		if deployment.Spec.Replicas != nil {
			t.Errorf("Deployment %s: spec.replicas is set; the HorizontalPodAutoscaler owns it", deployment.Name)
		}
		var hpa *autoscalingv2.HorizontalPodAutoscaler
		for _, candidate := range hpas {
			if candidate.Spec.ScaleTargetRef.Kind == "Deployment" && candidate.Spec.ScaleTargetRef.Name == deployment.Name {
				hpa = candidate
			}
		}
		if hpa == nil {
			t.Errorf("Deployment %s: no HorizontalPodAutoscaler", deployment.Name)
		} else {
			if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
				t.Errorf("HorizontalPodAutoscaler %s: minReplicas must be at least 2", hpa.Name)
			}
			if len(hpa.Spec.Metrics) == 0 || hpa.Spec.Metrics[0].Resource == nil || hpa.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
				t.Errorf("HorizontalPodAutoscaler %s: must scale on CPU", hpa.Name)
			}
		}
		covered := false
		for _, budget := range budgets {
			selector, err := metav1.LabelSelectorAsSelector(budget.Spec.Selector)
			covered = covered || (err == nil && selector.Matches(labels.Set(deployment.Spec.Template.Labels)))
		}
		if !covered {
			t.Errorf("Deployment %s: no PodDisruptionBudget", deployment.Name)
		}
		if got, want := metav1.FormatLabelSelector(deployment.Spec.Selector), devSelectors["Deployment/"+deployment.Name]; got != want {
			t.Errorf("Deployment %s: prod selector %s differs from development %s (selectors are immutable)", deployment.Name, got, want)
		}
	}
	for _, statefulSet := range typedOf[*appsv1.StatefulSet](objects) {
		if got, want := metav1.FormatLabelSelector(statefulSet.Spec.Selector), devSelectors["StatefulSet/"+statefulSet.Name]; got != want {
			t.Errorf("StatefulSet %s: prod selector %s differs from development %s", statefulSet.Name, got, want)
		}
	}

	for _, object := range objects {
		meta, err := metaOf(object)
		if err != nil {
			t.Fatal(err)
		}
		if meta.GetLabels()["app.kubernetes.io/part-of"] != "crypto-tracker" {
			t.Errorf("%s/%s: missing label app.kubernetes.io/part-of", object.Kind, object.Name)
		}
	}
	for _, pod := range pods {
		if pod.Labels["app.kubernetes.io/part-of"] != "crypto-tracker" {
			t.Errorf("%s: pod template lacks app.kubernetes.io/part-of", pod.Owner)
		}
	}

	for _, configMap := range typedOf[*corev1.ConfigMap](objects) {
		if level, ok := configMap.Data["LOG_LEVEL"]; ok && level != "info" {
			t.Errorf("ConfigMap %s: LOG_LEVEL %q in production, want info", configMap.Name, level)
		}
	}

	// No development credential may reach production.
	devValues := map[string]bool{}
	for dir, result := range all {
		if strings.HasPrefix(dir, "overlays/") {
			continue
		}
		for _, secret := range typedOf[*corev1.Secret](result.objects) {
			for _, value := range secret.Data {
				devValues[string(bytes.TrimSpace(value))] = true
			}
		}
	}
	secrets := typedOf[*corev1.Secret](objects)
	// A DB password per service, and a JWT key for every service but pricing
	// (whose routes are all public).
	if len(secrets) != 7 {
		t.Errorf("want 7 Secrets (DB password per service, JWT key for all but pricing), got %d", len(secrets))
	}
	for _, secret := range secrets {
		for key, value := range secret.Data {
			if devValues[string(bytes.TrimSpace(value))] {
				t.Errorf("Secret %s key %s: production carries the development value", secret.Name, key)
			}
		}
	}

	cronJobs := typedOf[*batchv1.CronJob](objects)
	if len(cronJobs) != 2 {
		t.Errorf("want the backfill and rollup CronJobs, got %d", len(cronJobs))
	}
	for _, cronJob := range cronJobs {
		spec := cronJob.Spec
		if spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || spec.StartingDeadlineSeconds == nil ||
			spec.JobTemplate.Spec.ActiveDeadlineSeconds == nil || spec.SuccessfulJobsHistoryLimit == nil || spec.FailedJobsHistoryLimit == nil {
			t.Errorf("CronJob %s: needs concurrencyPolicy Forbid, startingDeadlineSeconds, activeDeadlineSeconds and history limits", cronJob.Name)
		}
		containers := spec.JobTemplate.Spec.Template.Spec.Containers
		if len(containers) != 1 || len(containers[0].Args) != 1 || containers[0].Args[0] != containers[0].Name {
			t.Errorf("CronJob %s: the container must run the pricing binary with its job subcommand", cronJob.Name)
		}
	}
}

func metaOf(object Object) (metav1.Object, error) {
	accessor, ok := object.Typed.(metav1.ObjectMetaAccessor)
	if !ok {
		return nil, fmt.Errorf("%s/%s has no object metadata", object.Kind, object.Name)
	}
	return accessor.GetObjectMeta(), nil
}
