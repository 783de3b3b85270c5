"""Manifests written for the twin's tests (the docs' shapes, our own values)."""

API = "mlops.seldon.io/v1alpha1"

ADAPTER_CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: hpa-metrics-prometheus-adapter
  namespace: seldon-monitoring
data:
  config.yaml: |-
    "rules":
    -
      "seriesQuery": |
         {__name__="seldon_model_infer_total",namespace!=""}
      "resources":
        "overrides":
          "model": {group: "mlops.seldon.io", resource: "model"}
          "server": {group: "mlops.seldon.io", resource: "server"}
          "pod": {resource: "pod"}
          "namespace": {resource: "namespace"}
      "name":
        "matches": "seldon_model_infer_total"
        "as": "infer_rps"
      "metricsQuery": |
        sum by (<<.GroupBy>>) (
          rate (
            <<.Series>>{<<.LabelMatchers>>}[2m]
          )
        )
"""


def server(name="mlserver", replicas=None, min_replicas=None, max_replicas=None, **spec):
    body = {"serverConfig": "mlserver", **spec}
    for key, value in (
        ("replicas", replicas),
        ("minReplicas", min_replicas),
        ("maxReplicas", max_replicas),
    ):
        if value is not None:
            body[key] = value
    return {"apiVersion": API, "kind": "Server", "metadata": {"name": name}, "spec": body}


def model(name, replicas=1, memory="3M", **spec):
    body = {
        "storageUri": "gs://seldon-models/testing/iris1",
        "requirements": ["sklearn"],
        "memory": memory,
        **spec,
    }
    if replicas is not None:
        body["replicas"] = replicas
    return {"apiVersion": API, "kind": "Model", "metadata": {"name": name}, "spec": body}


def hpa(name, target_kind, target, described, average_value=3, min_replicas=1, max_replicas=3):
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": API, "kind": target_kind, "name": target},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Object",
                    "object": {
                        "metric": {"name": "infer_rps"},
                        "describedObject": {"apiVersion": API, "kind": "Model", "name": described},
                        "target": {"type": "AverageValue", "averageValue": average_value},
                    },
                }
            ],
        },
    }


def condition(obj, type_):
    for item in (obj.get("status") or {}).get("conditions") or []:
        if item["type"] == type_:
            return item
    return None


def is_available(cluster, name, replicas=None):
    def check():
        obj = cluster.get(f"model/{name}")
        ready = condition(obj, "ModelReady")
        ok = ready is not None and ready["status"] == "True"
        return ok and (replicas is None or obj["status"]["availableReplicas"] == replicas)

    return check
