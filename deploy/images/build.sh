#!/usr/bin/env bash
# Builds the container images with podman, tagged with the registry names and
# release tags the Kubernetes manifests use (`make images` runs this).
#
#   deploy/images/build.sh [image ...]
#     image: user-service pricing-service gateway frontend (default: all)
#   deploy/images/build.sh --help
#     prints this usage and the reference each image would get, builds nothing
#   Environment:
#     IMAGE_TAG=x.y.z   tag every image x.y.z instead of the production
#                       overlays' newTag
#
# First makes the debian:bookworm-slim base locally if podman does not have
# it (make-base.sh). The service images build their binaries with Bazel
# inside the image build; the gateway and the frontend are built on this
# machine first (see the README for why) and copied in. Builds run under
# `nice` and reuse podman's layer cache, so a rebuild only redoes what
# changed.
set -euo pipefail

# shellcheck source=deploy/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CT_ROOT}"
# Go and the tools `make deps` installs, as the Makefile sees them.
ct_setup_path

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  echo "usage: deploy/images/build.sh [image ...]   (images: ${CT_ALL_IMAGES[*]}; default all)"
  echo "  IMAGE_TAG=x.y.z tags every image x.y.z instead of the production overlays' newTag"
  for image in "${CT_ALL_IMAGES[@]}"; do
    echo "  ${image} -> $(ct_image_ref "${image}" || echo '(no tag)')"
  done
  exit 0
fi

images=("$@")
((${#images[@]} > 0)) || images=("${CT_ALL_IMAGES[@]}")
for image in "${images[@]}"; do
  [[ " ${CT_ALL_IMAGES[*]} " == *" ${image} "* ]] ||
    ct_die "unknown image '${image}' (known: ${CT_ALL_IMAGES[*]})"
  ct_image_ref "${image}" >/dev/null || ct_die "cannot tell the tag of ${image}"
done

ct_is_root || ct_die "podman is set up for root here (deploy/images/containers.conf); run as root"
command -v podman >/dev/null || ct_die "podman is not installed (apt-get install podman)"

"${CT_IMAGES_DIR}/make-base.sh"

podman_build() {
  local ref="$1"
  shift
  nice -n 19 podman build --layers --pull=never --tag "${ref}" "$@"
}

# The gateway as a static binary for the FROM-scratch image: CGO off, so it
# needs no libc (the development binary in gateway/bin/gateway uses cgo's
# resolver and stays as it is).
build_gateway_binary() {
  ct_log "gateway: generating code and building a static binary on the host"
  make -C gateway --no-print-directory generate
  (cd gateway && CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags='-s -w' \
    -o bin/gateway-static ./cmd/gateway)
  go version -m gateway/bin/gateway-static | grep -Eq '^[[:space:]]+build[[:space:]]+CGO_ENABLED=0$' ||
    ct_die "gateway/bin/gateway-static was not built with CGO_ENABLED=0"
}

for image in "${images[@]}"; do
  ref="$(ct_image_ref "${image}")"
  start=${SECONDS}
  ct_log "${image}: building ${ref}"
  case "${image}" in
    user-service | pricing-service)
      podman_build "${ref}" --file "services/${image}/Dockerfile" .
      ;;
    gateway)
      build_gateway_binary
      podman_build "${ref}" gateway
      ;;
    frontend)
      # The SPA's API types come from the gateway's OpenAPI documents.
      ct_log "frontend: building the SPA (make build-frontend)"
      make -C gateway --no-print-directory generate
      make --no-print-directory build-frontend
      podman_build "${ref}" frontend
      ;;
  esac
  ct_log "${image}: ${ref} built in $((SECONDS - start)) s"
done

ct_log "images:"
for image in "${images[@]}"; do
  podman image ls --format '  {{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' "$(ct_image_ref "${image}")"
done
