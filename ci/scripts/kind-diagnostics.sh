#!/usr/bin/env bash
# Collect what explains a failed run on a kind cluster: kind's node logs, every object and
# recent event, and the Seldon / monitoring pods' logs. Usage: kind-diagnostics.sh NAME DIR
#
# The run's kubeconfig is not the default one (pytest-kind writes .pytest-kind/NAME/kubeconfig),
# so kind writes a fresh one for this script, outside DIR: DIR is uploaded, credentials are not.
set -uo pipefail
name="${1:?cluster name}"
out="${2:?output directory}"
mkdir -p "$out"

if ! kind get clusters | grep -qx "$name"; then
  echo "kind cluster $name does not exist (creation failed?)" | tee "$out/missing-cluster.txt"
  exit 0
fi
kind export logs "$out/kind-logs" --name "$name" || true
kubeconfig="$(mktemp)"
trap 'rm -f "$kubeconfig"' EXIT
if ! kind export kubeconfig --name "$name" --kubeconfig "$kubeconfig"; then
  echo "kind export kubeconfig --name $name failed: no objects or pod logs collected" \
    | tee "$out/no-kubeconfig.txt"
  exit 0
fi
k() { kubectl --kubeconfig "$kubeconfig" "$@"; }
k get all,models,servers,serverconfigs,hpa -A -o wide > "$out/objects.txt" 2>&1
k get events -A --sort-by=.lastTimestamp > "$out/events.txt" 2>&1
k get --raw /apis/custom.metrics.k8s.io/v1beta1 > "$out/custom-metrics.json" 2>&1
for namespace in seldon-mesh seldon-monitoring; do
  for pod in $(k get pods -n "$namespace" -o name 2>/dev/null); do
    k logs -n "$namespace" "$pod" --all-containers --tail=500 \
      > "$out/logs-${namespace}-${pod#pod/}.txt" 2>&1
  done
done
echo "diagnostics written to $out"
