# Shared settings of the image scripts (build.sh, make-base.sh,
# smoke-test.sh). Sourced, never executed. Brings in the repository's
# scripts/lib/common.sh (CT_ROOT, ct_log, ct_die, ct_is_root, ct_setup_path),
# so the image scripts log, fail and find Go the way the other scripts do.

# shellcheck shell=bash

CT_IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${CT_IMAGES_DIR}/../../scripts/lib/common.sh"
# The project's podman settings (runc, cgroupfs, file events, ulimits); the
# machine's /etc/containers stays untouched. A caller's own file wins.
export CONTAINERS_CONF="${CONTAINERS_CONF:-${CT_IMAGES_DIR}/containers.conf}"

# The registry every manifest pulls from (k8s/*/..-deployment.yaml).
readonly CT_IMAGE_REGISTRY=cryptotracker.azurecr.io
# Every image the project builds, in build order.
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly CT_ALL_IMAGES=(user-service pricing-service gateway frontend)

# The release tag of one image: the newTag the production overlays give it
# (k8s/overlays/prod/*/kustomization.yaml), so the images built here are the
# ones `kubectl apply -k k8s/overlays/prod/` deploys. The gateway appears in
# several overlays; they must agree. IMAGE_TAG overrides all of this.
ct_image_tag() {
  local name="$1"
  if [[ -n "${IMAGE_TAG:-}" ]]; then
    printf '%s\n' "${IMAGE_TAG}"
    return
  fi
  local tags
  tags="$(awk -v image="${CT_IMAGE_REGISTRY}/${name}" '
    $1 == "-" && $2 == "name:" { current = $3; next }
    $1 == "newTag:" && current == image { gsub(/"/, "", $2); print $2 }
    $1 == "-" { current = "" }
  ' "${CT_ROOT}"/k8s/overlays/prod/*/kustomization.yaml | sort -u)"
  if [[ -z "${tags}" ]]; then
    echo "no newTag for ${CT_IMAGE_REGISTRY}/${name} in k8s/overlays/prod/*/kustomization.yaml" >&2
    return 1
  fi
  if [[ "$(wc -l <<<"${tags}")" != 1 ]]; then
    echo "the production overlays disagree on the tag of ${CT_IMAGE_REGISTRY}/${name}: $(tr '\n' ' ' <<<"${tags}")" >&2
    return 1
  fi
  printf '%s\n' "${tags}"
}

# registry/name:tag of one image.
ct_image_ref() {
  local tag
  tag="$(ct_image_tag "$1")" || return 1
  printf '%s/%s:%s\n' "${CT_IMAGE_REGISTRY}" "$1" "${tag}"
}
