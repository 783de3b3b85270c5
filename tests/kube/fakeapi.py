"""A small in-memory Kubernetes API server on a real HTTP socket (pytest-httpserver/werkzeug).

It speaks enough of the API for the kubernetes client's dynamic client: discovery, get/list
with resourceVersion, server-side apply, merge patches of ``/scale``, delete with finalizers
(deletionTimestamp, then gone when the finalizers are removed), streaming watches that resume
from a resourceVersion, send BOOKMARK events and answer a compacted version with a 410 (an
ERROR event in the stream, or an HTTP 410, as API servers do both), the pod proxy and pod logs,
and injected failures (status codes) to exercise retries.

It rejects what a real API server rejects: objects of kinds with a schema (the Core 2 CRDs'
``openAPIV3Schema``, loaded by the tests from the reference data) are validated as the API
server's structural schema validation does (types, int32, required, enum, pattern, anyOf)
and answered 422 naming the field; unknown fields are pruned, not stored; names must be
DNS-1123 subdomains; verbs denied with :meth:`FakeKube.deny` are answered 403 as RBAC does,
and SelfSubjectAccessReviews say so.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from dataclasses import dataclass

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass(frozen=True)
class Kind:
    prefix: str  # "/api/v1" or "/apis/<group>/<version>"
    plural: str
    kind: str
    namespaced: bool = True
    scale: bool = False

    @property
    def api_version(self) -> str:
        return self.prefix.removeprefix("/apis/").removeprefix("/api/")


KINDS = [
    Kind("/apis/mlops.seldon.io/v1alpha1", "models", "Model", scale=True),
    Kind("/apis/mlops.seldon.io/v1alpha1", "servers", "Server", scale=True),
    Kind("/apis/mlops.seldon.io/v1alpha1", "serverconfigs", "ServerConfig"),
    Kind("/apis/autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    Kind("/apis/apps/v1", "statefulsets", "StatefulSet"),
    Kind("/apis/apps/v1", "deployments", "Deployment"),
    Kind(
        "/apis/apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
    ),
    Kind("/apis/coordination.k8s.io/v1", "leases", "Lease"),
    Kind("/api/v1", "pods", "Pod"),
    Kind("/api/v1", "events", "Event"),
    Kind("/api/v1", "services", "Service"),
    Kind("/api/v1", "configmaps", "ConfigMap"),
    Kind("/api/v1", "namespaces", "Namespace", namespaced=False),
    Kind("/api/v1", "nodes", "Node", namespaced=False),
    Kind(
        "/apis/authorization.k8s.io/v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        namespaced=False,
    ),
]
BY_PLURAL = {k.plural: k for k in KINDS}
SELDON_PREFIX = "/apis/mlops.seldon.io/v1alpha1"
GROUPS = sorted({k.prefix for k in KINDS if k.prefix.startswith("/apis/")})


def _status(code: int, message: str, reason: str = "") -> Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return Response(json.dumps(body), status=code, content_type="application/json")


def _json(obj: dict, status: int = 200) -> Response:
    return Response(json.dumps(obj), status=status, content_type="application/json")


def _merge(base: dict, patch: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class FakeKube:
    def __init__(self, namespace: str = "seldon-mesh") -> None:
        self.namespace = namespace
        self.objects: dict[tuple[str, str, str], dict] = {}
        self.rv = 100
        self.log: list[tuple[int, str, str, dict]] = []
        self.compacted_through = 0
        self.failures: list[tuple[str, re.Pattern, list[int]]] = []
        self.requests: list[tuple[str, str, dict, dict]] = []
        self.proxy: dict[str, str] = {}
        self.logs: dict[tuple[str, str], str] = {}
        self.custom_metrics: list[str] | None = None
        # whether mlops.seldon.io is served (its CRDs installed), as discovery tells
        self.seldon_served = True
        # (verb, "resource[/subresource]", namespace or "*") this user may not do: answered
        # 403 as RBAC answers, and denied in SelfSubjectAccessReviews
        self.denied: set[tuple[str, str, str]] = set()
        # plural -> openAPIV3Schema of its CRD; objects of these kinds are validated and pruned
        self.schemas: dict[str, dict] = {}
        # answer a watch from a compacted version with HTTP 410 instead of an ERROR event
        self.expire_with_http_410 = False
        self.finalizers_on_create: dict[str, list[str]] = {}
        self.watch_generation = 0
        self.cond = threading.Condition()
        self.closed = False
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def serve_on(self, server: HTTPServer) -> str:
        """Answer every request ``server`` receives (one server is reused across tests)."""
        server.clear()
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)
        self.url = f"http://127.0.0.1:{server.port}"
        return self.url

    def close(self) -> None:
        """End this fake's open watches (the next test gets a fresh fake)."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    # -- what tests drive --------------------------------------------------------------------

    def fail(self, method: str, path_regex: str, *statuses: int) -> None:
        """The next requests matching answer these statuses, in order."""
        self.failures.append((method.upper(), re.compile(path_regex), list(statuses)))

    def deny(self, verb: str, resource: str, namespace: str = "*") -> None:
        self.denied.add((verb, resource, namespace))

    def _is_denied(self, verb: str, resource: str, namespace: str) -> bool:
        return bool({(verb, resource, namespace), (verb, resource, "*")} & self.denied)

    def count(self, method: str, path_regex: str, **query: str) -> int:
        pattern = re.compile(path_regex)
        return sum(
            1
            for m, p, q, _h in self.requests
            if m == method and pattern.search(p) and all(q.get(k) == v for k, v in query.items())
        )

    def put(self, plural: str, obj: dict, namespace: str | None = None) -> dict:
        """Create or replace an object as a controller would (status included)."""
        kind = BY_PLURAL[plural]
        obj = copy.deepcopy(obj)
        obj.setdefault("apiVersion", kind.api_version)
        obj.setdefault("kind", kind.kind)
        meta = obj.setdefault("metadata", {})
        ns = (namespace or meta.get("namespace") or self.namespace) if kind.namespaced else ""
        if kind.namespaced:
            meta["namespace"] = ns
        with self.cond:
            key = (plural, ns, meta["name"])
            event = "MODIFIED" if key in self.objects else "ADDED"
            meta.setdefault("uid", f"uid-{plural}-{meta['name']}")
            self._store(key, obj, event)
        return obj

    def set_status(self, plural: str, name: str, status: dict) -> None:
        with self.cond:
            key = (plural, self.namespace, name)
            obj = copy.deepcopy(self.objects[key])
            obj["status"] = status
            self._store(key, obj, "MODIFIED")

    def remove_finalizers(self, plural: str, name: str) -> None:
        with self.cond:
            key = (plural, self.namespace, name)
            obj = copy.deepcopy(self.objects[key])
            obj["metadata"]["finalizers"] = []
            if obj["metadata"].get("deletionTimestamp"):
                self._remove(key)
            else:
                self._store(key, obj, "MODIFIED")

    def compact(self) -> None:
        """Compact past every version handed out so far (a watch resuming from any of them
        gets 410 Gone), and end every open watch."""
        with self.cond:
            self.compacted_through = self.rv + 1
            self.watch_generation += 1
            self.cond.notify_all()

    def bookmark(self, plural: str) -> int:
        """Send watches of ``plural`` that allow bookmarks a BOOKMARK at a new version."""
        kind = BY_PLURAL[plural]
        with self.cond:
            self.rv += 1
            marker = {
                "kind": kind.kind,
                "apiVersion": kind.api_version,
                "metadata": {"resourceVersion": str(self.rv), "namespace": self.namespace},
            }
            self.log.append((self.rv, plural, "BOOKMARK", marker))
            self.cond.notify_all()
            return self.rv

    def end_watches(self) -> None:
        with self.cond:
            self.watch_generation += 1
            self.cond.notify_all()

    def get_in(self, plural: str, namespace: str, name: str) -> dict | None:
        return self.objects.get((plural, namespace, name))

    def get(self, plural: str, name: str) -> dict | None:
        kind = BY_PLURAL[plural]
        return self.objects.get((plural, self.namespace if kind.namespaced else "", name))

    # -- storage -----------------------------------------------------------------------------

    def _store(self, key: tuple[str, str, str], obj: dict, event: str) -> None:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.objects[key] = obj
        self.log.append((self.rv, key[0], event, copy.deepcopy(obj)))
        self.cond.notify_all()

    def _remove(self, key: tuple[str, str, str]) -> None:
        obj = self.objects.pop(key)
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.log.append((self.rv, key[0], "DELETED", copy.deepcopy(obj)))
        self.cond.notify_all()

    # -- HTTP ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        query = dict(request.args)
        self.requests.append((request.method, request.path, query, dict(request.headers)))
        for index, (method, pattern, statuses) in enumerate(self.failures):
            if method == request.method and pattern.search(request.path) and statuses:
                code = statuses.pop(0)
                if not statuses:
                    del self.failures[index]
                return _status(code, f"injected {code}")
        path = request.path
        attributes = _attributes(request.method, path, query)
        if attributes is not None and self._is_denied(*attributes):
            verb, resource, namespace = attributes
            kind, _, sub = resource.partition("/")
            where = f' in the namespace "{namespace}"' if namespace else ""
            return _status(
                403,
                f'{kind} is forbidden: User "fake" cannot {verb} resource "{kind}"'
                + (f' subresource "{sub}"' if sub else "")
                + where,
                "Forbidden",
            )
        if path == "/version":
            return _json({"major": "1", "minor": "31", "gitVersion": "v1.31.0"})
        if path == "/api":
            return _json({"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            return _json(self._group_list())
        if path.startswith("/apis/custom.metrics.k8s.io/v1beta1"):
            if self.custom_metrics is None:
                return _status(404, "the server could not find the requested resource")
            return _json(
                {
                    "kind": "APIResourceList",
                    "groupVersion": "custom.metrics.k8s.io/v1beta1",
                    "resources": [{"name": n, "namespaced": True} for n in self.custom_metrics],
                }
            )
        if path == SELDON_PREFIX and not self.seldon_served:
            return _status(404, "the server could not find the requested resource", "NotFound")
        if path == "/api/v1" or path in GROUPS:
            return _json(self._resource_list(path))
        match = re.match(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+):(\d+)/proxy(/.*)$", path)
        if match:
            text = self.proxy.get(f"{match.group(2)}:{match.group(3)}{match.group(4)}")
            if text is None:
                return _status(503, "no endpoints available")
            return Response(text, content_type="text/plain; version=0.0.4")
        match = re.match(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$", path)
        if match:
            return Response(
                self.logs.get((match.group(2), query.get("container", "")), ""),
                content_type="text/plain",
            )
        return self._objects(request, query)

    def _group_list(self) -> dict:
        groups = []
        for prefix in GROUPS:
            if prefix == SELDON_PREFIX and not self.seldon_served:
                continue
            group, version = prefix.removeprefix("/apis/").split("/")
            gv = {"groupVersion": f"{group}/{version}", "version": version}
            groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _resource_list(self, prefix: str) -> dict:
        resources = []
        for kind in KINDS:
            if kind.prefix != prefix:
                continue
            verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
            resources.append(
                {
                    "name": kind.plural,
                    "singularName": kind.kind.lower(),
                    "namespaced": kind.namespaced,
                    "kind": kind.kind,
                    "verbs": verbs,
                }
            )
            resources.append(
                {
                    "name": f"{kind.plural}/status",
                    "singularName": "",
                    "namespaced": kind.namespaced,
                    "kind": kind.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
            if kind.scale:
                resources.append(
                    {
                        "name": f"{kind.plural}/scale",
                        "singularName": "",
                        "namespaced": True,
                        "kind": "Scale",
                        "group": "autoscaling",
                        "version": "v1",
                        "verbs": ["get", "patch", "update"],
                    }
                )
        return {
            "kind": "APIResourceList",
            "groupVersion": prefix.split("/", 2)[2] if prefix.startswith("/apis/") else "v1",
            "resources": resources,
        }

    def _objects(self, request: Request, query: dict) -> Response:
        for kind in KINDS:
            if not request.path.startswith(kind.prefix + "/"):
                continue
            rest = request.path[len(kind.prefix) + 1 :].split("/")
            ns = ""
            if kind.namespaced and rest[0] == "namespaces" and len(rest) >= 3:
                ns, rest = rest[1], rest[2:]
            if rest[0] != kind.plural:
                continue
            name = rest[1] if len(rest) > 1 else None
            sub = rest[2] if len(rest) > 2 else None
            return self._dispatch(request, query, kind, ns, name, sub)
        return _status(404, f"no route for {request.path}", "NotFound")

    def _dispatch(self, request, query, kind, ns, name, sub) -> Response:
        method = request.method
        with self.cond:
            if name is None and method == "GET":
                if query.get("watch") in ("true", "True", "1"):
                    return self._watch(kind, ns, query)
                return _json(self._list(kind, ns, query.get("labelSelector")))
            if name is None and method == "POST":
                if kind.plural == "selfsubjectaccessreviews":
                    return self._review(json.loads(request.get_data()))
                return self._create(kind, ns, json.loads(request.get_data()))
            key = (kind.plural, ns, name)
            obj = self.objects.get(key)
            if method == "PATCH" and sub is None:
                return self._apply(kind, key, obj, request, query)
            if obj is None:
                return _status(404, f'{kind.plural} "{name}" not found', "NotFound")
            if sub == "scale":
                if method == "PATCH":
                    patch = json.loads(request.get_data() or b"{}")
                    updated = copy.deepcopy(obj)
                    updated["spec"]["replicas"] = patch["spec"]["replicas"]
                    updated["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
                    self._store(key, updated, "MODIFIED")
                    obj = updated
                return _json(self._scale(obj))
            if method == "GET":
                return _json(obj)
            if method == "PUT":
                body = json.loads(request.get_data())
                if body["metadata"].get("resourceVersion") != obj["metadata"]["resourceVersion"]:
                    return _status(409, "the object has been modified", "Conflict")
                invalid = self._invalid(kind, body)
                if invalid is not None:
                    return invalid
                self._store(key, body, "MODIFIED")
                return _json(body)
            if method == "DELETE":
                if obj["metadata"].get("finalizers"):
                    if not obj["metadata"].get("deletionTimestamp"):
                        updated = copy.deepcopy(obj)
                        updated["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
                        self._store(key, updated, "MODIFIED")
                        obj = updated
                    return _json(obj, 202)
                self._remove(key)
                return _json({"kind": "Status", "status": "Success"})
        return _status(405, f"{method} not supported here")

    def _review(self, body: dict) -> Response:
        asked = (body.get("spec") or {}).get("resourceAttributes") or {}
        resource = asked.get("resource", "")
        if asked.get("subresource"):
            resource += "/" + asked["subresource"]
        allowed = not self._is_denied(asked.get("verb", ""), resource, asked.get("namespace", ""))
        return _json({**body, "status": {"allowed": allowed}}, 201)

    def _invalid(self, kind: Kind, obj: dict) -> Response | None:
        """422 as the API server answers an object its schema rejects; prunes unknown fields."""
        name = (obj.get("metadata") or {}).get("name", "")
        group = kind.api_version.split("/")[0] if "/" in kind.api_version else ""
        what = f'{kind.kind}{"." + group if group else ""} "{name}"'
        problems = []
        if not _SUBDOMAIN.fullmatch(str(name)) or len(str(name)) > 253:
            problems.append(
                f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 subdomain must '
                "consist of lower case alphanumeric characters, '-' or '.'"
            )
        schema = self.schemas.get(kind.plural)
        if schema is not None:
            for field in ("spec", "status"):
                if field in obj and field in schema.get("properties", {}):
                    obj[field] = _validate(obj[field], schema["properties"][field], field, problems)
            for field in [k for k in obj if k not in ("apiVersion", "kind", "metadata")]:
                if field not in schema.get("properties", {}):
                    del obj[field]  # pruned, as unknown fields of a CRD are
            for field in schema.get("required") or []:
                if field not in obj:
                    problems.append(f"{field}: Required value")
        if not problems:
            return None
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": f"{what} is invalid: {', '.join(problems)}",
            "reason": "Invalid",
            "code": 422,
        }
        return Response(json.dumps(body), status=422, content_type="application/json")

    def _create(self, kind: Kind, ns: str, body: dict) -> Response:
        invalid = self._invalid(kind, body)
        if invalid is not None:
            return invalid
        key = (kind.plural, ns, body["metadata"]["name"])
        if key in self.objects:
            return _status(409, f'{kind.plural} "{key[2]}" already exists', "AlreadyExists")
        body["metadata"]["namespace"] = ns
        self._store(key, body, "ADDED")
        return _json(body, 201)

    def _list(self, kind: Kind, ns: str, selector: str | None) -> dict:
        # "key=value" and "key" (the label exists), as label selectors say
        wanted = [part.partition("=")[::2] for part in selector.split(",")] if selector else []

        def selected(labels: dict) -> bool:
            return all(k in labels and (not v or labels[k] == v) for k, v in wanted)

        items = [
            copy.deepcopy(obj)
            for (plural, obj_ns, _), obj in sorted(self.objects.items())
            if plural == kind.plural
            and (not kind.namespaced or not ns or obj_ns == ns)
            and selected(obj["metadata"].get("labels") or {})
        ]
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": {"resourceVersion": str(self.rv)},
            "items": items,
        }

    def _scale(self, obj: dict) -> dict:
        return {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {
                "name": obj["metadata"]["name"],
                "namespace": obj["metadata"]["namespace"],
            },
            "spec": {"replicas": obj["spec"].get("replicas")},
            "status": {
                "replicas": (obj.get("status") or {}).get("replicas", 0),
                "selector": (obj.get("status") or {}).get("selector", ""),
            },
        }

    def _apply(self, kind, key, obj, request, query) -> Response:
        content_type = request.headers.get("Content-Type", "")
        if content_type == "application/merge-patch+json" and obj is not None:
            merged = _merge(obj, json.loads(request.get_data()))
            self._store(key, merged, "MODIFIED")
            return _json(merged)
        if content_type != "application/apply-patch+yaml":
            return _status(415, f"unsupported patch type {content_type}")
        if not query.get("fieldManager"):
            return _status(422, "fieldManager is required for apply patch")
        body = json.loads(request.get_data())
        if obj is None:
            created = copy.deepcopy(body)
            invalid = self._invalid(kind, created)
            if invalid is not None:
                return invalid
            meta = created["metadata"]
            meta.update(uid=f"uid-{key[0]}-{key[2]}", generation=1)
            meta["creationTimestamp"] = "2026-01-01T00:00:00Z"
            meta["managedFields"] = [{"manager": query["fieldManager"], "operation": "Apply"}]
            if kind.plural in self.finalizers_on_create:
                meta["finalizers"] = list(self.finalizers_on_create[kind.plural])
            self._store(key, created, "ADDED")
            return _json(created, 201)
        merged = _merge(obj, {k: v for k, v in body.items() if k != "status"})
        invalid = self._invalid(kind, merged)
        if invalid is not None:
            return invalid
        if merged.get("spec") != obj.get("spec"):
            merged["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
        self._store(key, merged, "MODIFIED")
        return _json(merged)

    def _watch(self, kind: Kind, ns: str, query: dict) -> Response:
        since = int(query.get("resourceVersion") or self.rv)
        timeout = float(query.get("timeoutSeconds") or 60)
        if since < self.compacted_through and self.expire_with_http_410:
            return _status(
                410, f"too old resource version: {since} ({self.compacted_through})", "Expired"
            )
        if since < self.compacted_through:
            gone = {
                "type": "ERROR",
                "object": {
                    "kind": "Status",
                    "status": "Failure",
                    "code": 410,
                    "reason": "Expired",
                    "message": f"too old resource version: {since} ({self.compacted_through})",
                },
            }
            return Response(json.dumps(gone) + "\n", content_type="application/json")
        generation = self.watch_generation
        bookmarks = query.get("allowWatchBookmarks") in ("true", "True", "1")

        def stream():
            yield b""  # sends the headers now, as an API server does when a watch opens
            position = since
            deadline = time.monotonic() + timeout
            while True:
                with self.cond:
                    pending = [
                        (rv, event, obj)
                        for rv, plural, event, obj in self.log
                        if rv > position
                        and plural == kind.plural
                        and (not kind.namespaced or obj["metadata"].get("namespace") == ns)
                        and (bookmarks or event != "BOOKMARK")
                    ]
                    if not pending:
                        if (
                            self.closed
                            or generation != self.watch_generation
                            or time.monotonic() >= deadline
                        ):
                            return
                        self.cond.wait(timeout=0.2)
                        continue
                for rv, event, obj in pending:
                    position = rv
                    yield (json.dumps({"type": event, "object": obj}) + "\n").encode()

        return Response(stream(), content_type="application/json", direct_passthrough=True)


_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_INT32 = (-(2**31), 2**31 - 1)
_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def _type_name(value) -> str:
    for name, types in (("boolean", bool), ("integer", int), ("number", float), ("string", str)):
        if isinstance(value, types):
            return name
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "null"


def _validate(value, schema: dict, path: str, problems: list[str]):
    """``value`` checked against one openAPIV3Schema node (problems appended, the API
    server's wording); unknown object fields pruned. The value as the server would store it."""
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            problems.append(f"{path}: Invalid value: must be an integer or a string")
        elif isinstance(value, str) and not re.search(schema.get("pattern", ""), value):
            problems.append(f'{path}: Invalid value: "{value}": {path} in body should match')
        return value
    if schema.get("anyOf"):
        return value  # only int-or-string unions occur in the Core 2 CRDs
    expected = schema.get("type")
    if expected:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (
            isinstance(value, bool) and expected in ("integer", "number")
        )
        if expected == "integer" and isinstance(value, float) and value.is_integer():
            ok = True  # JSON has one number type: 1.0 is the integer 1
        if not ok:
            actual = _type_name(value)
            problems.append(
                f'{path}: Invalid value: "{actual}": {path} in body must be of type '
                f'{expected}: "{actual}"'
            )
            return value
    if (
        expected == "integer"
        and schema.get("format") == "int32"
        and not (_INT32[0] <= value <= _INT32[1])
    ):
        problems.append(f"{path}: Invalid value: {value}: must fit in int32")
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(f'"{v}"' for v in schema["enum"])
        problems.append(f'{path}: Unsupported value: "{value}": supported values: {allowed}')
    if expected == "string" and schema.get("pattern") and not re.search(schema["pattern"], value):
        problems.append(f'{path}: Invalid value: "{value}": {path} in body should match')
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        kept = {}
        for key, item in value.items():
            if properties is not None and key in properties:
                kept[key] = _validate(item, properties[key], f"{path}.{key}", problems)
            elif isinstance(extra, dict):
                kept[key] = _validate(item, extra, f"{path}.{key}", problems)
            elif schema.get("x-kubernetes-preserve-unknown-fields") or (
                properties is None and extra is None
            ):
                kept[key] = item
        for key in schema.get("required") or []:
            if key not in value:
                problems.append(f"{path}.{key}: Required value")
        return kept
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [
            _validate(item, schema["items"], f"{path}[{i}]", problems)
            for i, item in enumerate(value)
        ]
    return value


_VERBS = {"POST": "create", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}


def _attributes(method: str, path: str, query: dict) -> tuple[str, str, str] | None:
    """(verb, "resource[/subresource]", namespace) of a resource request, as RBAC sees it."""
    match = re.match(
        r"^/api/v1/namespaces/([^/]+)/pods/[^/]+?(?::\d+)?/(proxy|log|portforward)", path
    )
    if match:
        return (_VERBS.get(method, "get"), f"pods/{match.group(2)}", match.group(1))
    for kind in KINDS:
        if not path.startswith(kind.prefix + "/"):
            continue
        rest = path[len(kind.prefix) + 1 :].split("/")
        ns = ""
        if kind.namespaced and rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        if rest[0] != kind.plural:
            continue
        if kind.plural == "namespaces" and len(rest) > 1:
            ns = rest[1]  # a namespace is authorized within itself
        resource = kind.plural + (f"/{rest[2]}" if len(rest) > 2 else "")
        if method == "GET":
            verb = "get" if len(rest) > 1 else ("watch" if query.get("watch") else "list")
        else:
            verb = _VERBS.get(method, method.lower())
        return verb, resource, ns
    return None


def kubeconfig_for(url: str, path, context: str = "fake") -> str:
    """A kubeconfig file pointing at ``url``."""
    import yaml

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": context, "user": {"token": "fake-token"}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(config))
    return str(path)
