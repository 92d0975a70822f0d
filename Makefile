# Two commands matter: `make demo` (the main job, end to end) and `make test` (every test).
# Both install what they need first; a second run reuses everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help install install-system install-python install-collections install-ovn install-kube \
        test demo demo-standalone bench clean ee-context image

help:
	@echo "make demo    a 3-node Kubernetes cluster on a one-machine OVN: deploy a 2-instance egress gateway, delete a gateway pod"
	@echo "make demo-standalone  the same in standalone mode (playbooks/standalone.yml, no Kubernetes)"
	@echo "make test    run every test suite (installs what it needs first)"
	@echo "make bench   run the benchmarks, results in build/bench/"
	@echo "make image   build the gateway image (OCI archive in build/image/, no registry, no container engine)"
	@echo "make ee-context  build context of the AWX execution environment in build/ee/context"
	@echo "make install set up .venv, build/collections and the cached OVN / kube-apiserver"

install: install-system install-python install-collections install-ovn

install-system:
	@bash hack/install-system.sh
install-python: install-system
	@bash hack/install-python.sh
install-collections: install-python
	@bash hack/install-collections.sh
install-ovn: install-system
	@bash hack/install-ovn.sh >/dev/null && echo "ovn: cached"
install-kube: install-system
	@bash hack/kube-build.sh

test: install install-kube
	@bash hack/test.sh

# hack/demo.sh makes what each demo needs itself, to say how long that took
demo:
	@bash hack/demo.sh kubernetes

demo-standalone:
	@bash hack/demo.sh standalone

bench: install install-kube
	@bash hack/bench.sh

image: install-collections
	@bash containers/gateway/build.sh

ee-context: install-python
	@bash hack/ee-context.sh

clean:
	rm -rf build tests/output .pytest_cache
