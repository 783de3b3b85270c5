"""Manifests of a fleet for the benches (twin, replay, tune): Models with HPAs on a few Servers."""

from __future__ import annotations

API = "mlops.seldon.io/v1alpha1"
ADAPTER = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "hpa-metrics-prometheus-adapter", "namespace": "seldon-monitoring"},
    "data": {
        "config.yaml": """
rules:
- seriesQuery: '{__name__="seldon_model_infer_total",namespace!=""}'
  resources:
    overrides:
      model: {group: "mlops.seldon.io", resource: "model"}
      server: {group: "mlops.seldon.io", resource: "server"}
      pod: {resource: "pod"}
      namespace: {resource: "namespace"}
  name: {matches: "seldon_model_infer_total", as: "infer_rps"}
  metricsQuery: 'sum by (<<.GroupBy>>) (rate(<<.Series>>{<<.LabelMatchers>>}[2m]))'
"""
    },
}


def fleet_manifests(
    models: int,
    servers: int,
    average_value: float = 20,
    *,
    model_max_replicas: int = 10,
    server_max_replicas: int | None = 12,
) -> list[dict]:
    """``models`` Models round-robin on ``servers`` Servers (native server autoscaling from 1 to
    ``server_max_replicas``, unbounded for None), each with a Model HPA
    (1..``model_max_replicas`` on ``infer_rps`` at ``average_value``)."""
    objects: list[dict] = [ADAPTER]
    names = [f"mlserver-{j}" for j in range(servers)]
    for server in names:
        objects.append(
            {
                "apiVersion": API,
                "kind": "Server",
                "metadata": {"name": server},
                "spec": {
                    "serverConfig": "mlserver",
                    "replicas": 1,
                    "minReplicas": 1,
                    **({"maxReplicas": server_max_replicas} if server_max_replicas else {}),
                },
            }
        )
    for i in range(models):
        name = f"model-{i}"
        objects.append(
            {
                "apiVersion": API,
                "kind": "Model",
                "metadata": {"name": name},
                "spec": {
                    "storageUri": "gs://seldon-models/testing/iris1",
                    "requirements": ["sklearn"],
                    "memory": "50M",
                    "replicas": 1,
                    "server": names[i % servers],
                },
            }
        )
        objects.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": f"{name}-hpa"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": API, "kind": "Model", "name": name},
                    "minReplicas": 1,
                    "maxReplicas": model_max_replicas,
                    "metrics": [
                        {
                            "type": "Object",
                            "object": {
                                "metric": {"name": "infer_rps"},
                                "describedObject": {
                                    "apiVersion": API,
                                    "kind": "Model",
                                    "name": name,
                                },
                                "target": {"type": "AverageValue", "averageValue": average_value},
                            },
                        }
                    ],
                },
            }
        )
    return objects
