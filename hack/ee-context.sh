#!/usr/bin/env bash
# Build context of the AWX execution environment (execution-environment.yml), offline:
# the collection tarball in build/ee/, then `ansible-builder create` into ${1:-build/ee/context}.
# Building the image itself needs a container engine (podman build -t <tag> <context>).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/env.sh
context=${1:-build/ee/context}
mkdir -p build/ee
version=$(.venv/bin/python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
ansible-galaxy collection build --force --output-path build/ee . >/dev/null
# a name without the version, so execution-environment.yml does not change on each release
mv -f "build/ee/kubeovn-egress_gateway-$version.tar.gz" build/ee/kubeovn-egress_gateway.tar.gz
ansible-builder create -f execution-environment.yml -c "$context" --output-filename Containerfile
