#!/usr/bin/env bash
# Collect what explains a failed run on a kind cluster: kind's node logs, every object and
# recent event, and the Seldon / monitoring pods' logs. Usage: kind-diagnostics.sh NAME DIR
set -uo pipefail
name="${1:?cluster name}"
out="${2:?output directory}"
mkdir -p "$out"
context="kind-${name}"

if ! kind get clusters | grep -qx "$name"; then
  echo "kind cluster $name does not exist (creation failed?)" | tee "$out/missing-cluster.txt"
  exit 0
fi
kind export logs "$out/kind-logs" --name "$name" || true
kubectl --context "$context" get all,models,servers,serverconfigs,hpa -A -o wide \
  > "$out/objects.txt" 2>&1 || true
kubectl --context "$context" get events -A --sort-by=.lastTimestamp > "$out/events.txt" 2>&1 || true
kubectl --context "$context" get --raw /apis/custom.metrics.k8s.io/v1beta1 \
  > "$out/custom-metrics.json" 2>&1 || true
for namespace in seldon-mesh seldon-monitoring; do
  for pod in $(kubectl --context "$context" get pods -n "$namespace" -o name 2>/dev/null); do
    kubectl --context "$context" logs -n "$namespace" "$pod" --all-containers --tail=500 \
      > "$out/logs-${namespace}-${pod#pod/}.txt" 2>&1 || true
  done
done
echo "diagnostics written to $out"
