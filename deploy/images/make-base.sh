#!/usr/bin/env bash
# Builds the base image docker.io/library/debian:bookworm-slim locally, for
# machines that reach Debian's package archive but no container registry.
# Every Dockerfile of the project starts FROM that name, so with this image in
# podman's store the builds never try to pull.
#
# The root filesystem comes from `debootstrap --variant=minbase bookworm`,
# using the Debian mirror this machine's apt is configured with, and is
# trimmed the way the official slim image is: no documentation, manual pages
# or translations (now or in packages installed later), no apt lists or
# caches, and apt settings suited to image builds.
#
# Usage: deploy/images/make-base.sh [--force]
#   --force   rebuild even if the image already exists
# Needs root, podman and debootstrap.
set -euo pipefail

# shellcheck source=deploy/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly IMAGE=docker.io/library/debian:bookworm-slim
readonly SUITE=bookworm

force=false
case "${1:-}" in
  "") ;;
  --force) force=true ;;
  *) ct_die "unknown argument '$1' (usage: $0 [--force])" ;;
esac

ct_is_root || ct_die "debootstrap and podman's image store need root"
command -v podman >/dev/null || ct_die "podman is not installed (apt-get install podman)"
command -v debootstrap >/dev/null || ct_die "debootstrap is not installed (apt-get install debootstrap)"

if ! "${force}" && podman image exists "${IMAGE}"; then
  ct_log "${IMAGE} already exists: nothing to do (--force rebuilds it)"
  exit 0
fi

# The archive URI for one suite's main component, as this machine's apt
# understands its own configuration (sources.list or deb822 .sources files
# alike). Empty when apt has no such source.
apt_uri_for_suite() {
  # shellcheck disable=SC2016 # $(REPO_URI) is apt's placeholder, not the shell's.
  apt-get indextargets --format '$(REPO_URI)' \
    "Release: $1" 'Component: main' 'Identifier: Packages' 2>/dev/null | head -n 1
}

mirror="$(apt_uri_for_suite "${SUITE}")"
[[ -n "${mirror}" ]] ||
  ct_die "this machine's apt has no '${SUITE} main' source (see /etc/apt/sources.list and /etc/apt/sources.list.d/); run apt-get update first if it does"
updates_mirror="$(apt_uri_for_suite "${SUITE}-updates")"
security_mirror="$(apt_uri_for_suite "${SUITE}-security")"
ct_log "mirror (from this machine's apt configuration): ${mirror}"

workdir="$(mktemp -d /var/tmp/cryptotracker-base.XXXXXX)"
rootfs="${workdir}/rootfs"
cleanup() {
  # debootstrap may leave /proc or /sys mounted when it fails part-way.
  local mount_point
  for mount_point in proc sys dev/pts; do
    if mountpoint -q "${rootfs}/${mount_point}" 2>/dev/null; then
      umount -l "${rootfs}/${mount_point}" || true
    fi
  done
  rm -rf --one-file-system "${workdir}"
}
trap cleanup EXIT

ct_log "debootstrap --variant=minbase ${SUITE} into ${rootfs}"
debootstrap --variant=minbase --arch="$(dpkg --print-architecture)" \
  "${SUITE}" "${rootfs}" "${mirror}" >"${workdir}/debootstrap.log" 2>&1 || {
  tail -n 30 "${workdir}/debootstrap.log" >&2
  ct_die "debootstrap failed (log above)"
}

ct_log "trimming the root filesystem like the official slim image"

# Packages installed later (by the images' own apt-get) skip these paths too.
cat >"${rootfs}/etc/dpkg/dpkg.cfg.d/slim-image" <<'EOF'
# Containers never read documentation, manual pages or translations; only
# the copyright files stay, as the licences ask.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF

cat >"${rootfs}/etc/apt/apt.conf.d/slim-image" <<'EOF'
// Image builds install exactly what they name and leave no caches behind.
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::AutoRemove::SuggestsImportant "false";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF

# Package scripts must not try to start services inside an image build.
cat >"${rootfs}/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# Never start services while building an image.
exit 101
EOF
chmod 0755 "${rootfs}/usr/sbin/policy-rc.d"

# The same sources as the machine this was built on, in deb822 form.
{
  printf 'Types: deb\nURIs: %s\nSuites: %s' "${mirror}" "${SUITE}"
  [[ "${updates_mirror}" == "${mirror}" ]] && printf ' %s-updates' "${SUITE}"
  printf '\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  if [[ -n "${updates_mirror}" && "${updates_mirror}" != "${mirror}" ]]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "${updates_mirror}" "${SUITE}"
  fi
  if [[ -n "${security_mirror}" ]]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "${security_mirror}" "${SUITE}"
  fi
} >"${rootfs}/etc/apt/sources.list.d/debian.sources"
rm -f "${rootfs}/etc/apt/sources.list"

# Bring the image up to the point releases and security fixes, then drop
# everything that is only a cache.
cp /etc/resolv.conf "${rootfs}/etc/resolv.conf"
chroot "${rootfs}" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -qq && apt-get -qq -y upgrade && apt-get -qq clean' >"${workdir}/upgrade.log" 2>&1 || {
  tail -n 30 "${workdir}/upgrade.log" >&2
  ct_die "apt-get upgrade inside the new root filesystem failed (log above)"
}

find "${rootfs}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "${rootfs}/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "${rootfs}"/usr/share/{man,groff,info,lintian,linda}/*
find "${rootfs}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/* "${rootfs}"/var/cache/debconf/*-old \
  "${rootfs}"/var/lib/dpkg/*-old "${rootfs}"/var/log/* "${rootfs}"/tmp/* "${rootfs}"/var/tmp/*
# The container engine provides these at run time; the build machine's
# values must not leak into the image.
: >"${rootfs}/etc/resolv.conf"
: >"${rootfs}/etc/hostname"
: >"${rootfs}/etc/machine-id"

ct_log "importing as ${IMAGE}"
tar --numeric-owner --xattrs --acls -C "${rootfs}" -c . |
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase ${SUITE}, slimmed (deploy/images/make-base.sh)" \
    - "${IMAGE}" >/dev/null
ct_log "done: $(podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "${IMAGE}")"
