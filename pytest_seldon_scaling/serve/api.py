"""Routing of Kubernetes API requests onto the live twin.

Requests arrive as (method, path, query, headers, body) and leave as a :class:`Reply`, so the
routing is testable without sockets. Reads come from the change log (objects with the served
resourceVersions); writes of kinds the twin models go through :class:`TwinCluster`
(``apply``, ``scale``, ``delete``: validation, generations, finalizers), writes of other kinds
(Leases) are kept as given.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from ..cluster import ClusterError
from ..twin.cluster import SPEC_FIELDS
from . import metrics
from .changes import Expired, Key, with_version
from .live import LiveTwin
from .mesh import Mesh
from .objects import AGENT_METRICS_PORT, rfc3339, status_object
from .resources import (
    Resource,
    api_group,
    api_versions,
    find,
    group_list,
    openapi_document,
    openapi_root,
    resource_list,
    table,
)

APPLY = "application/apply-patch+yaml"
MERGE = ("application/merge-patch+json", "application/strategic-merge-patch+json")
BOOKMARK_SECONDS = 10.0
_PROXY = re.compile(
    r"^/api/v1/namespaces/([^/]+)/(pods|services)/([^/:]+)(?::([^/]+))?/proxy(/.*)?$"
)
_LOG = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$")
_METRICS = re.compile(r"^/apis/custom\.metrics\.k8s\.io/(v1beta1|v1beta2)(/.*)?$")
# The served twin has no users and no RBAC: every SelfSubjectAccessReview (what preflight and
# `kubectl auth can-i` ask) is allowed, and said to be, rather than not answered at all.
_AUTHORIZATION = "authorization.k8s.io"
_SSAR = f"/apis/{_AUTHORIZATION}/v1/selfsubjectaccessreviews"
SERVER_OWNED = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields")


@dataclass
class Reply:
    status: int
    body: bytes | Iterator[bytes] = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(obj: object, status: int = 200, headers=None) -> Reply:
    return Reply(status, json.dumps(obj).encode(), headers=list(headers or []))


def status_reply(code: int, reason: str, message: str, details: dict | None = None) -> Reply:
    return json_reply(status_object(code, reason, message, details), code)


def merge_patch(base: object, patch: object) -> object:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# -- selectors -----------------------------------------------------------------------------------

_SET = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def label_selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """``labelSelector``: ``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k``, ``in``, ``notin``."""
    for term in _split_selector(selector):
        term = term.strip()
        if match := _SET.match(term):
            key, op, values = match.groups()
            wanted = {v.strip() for v in values.split(",")}
            inside = labels.get(key) in wanted
            if (op == "in") != inside:
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_selector_matches(selector: str, obj: dict) -> bool:
    """``fieldSelector``: ``a.b=v`` / ``a.b!=v`` on dotted paths of the object."""
    for term in _split_selector(selector):
        negate = "!=" in term
        path, value = term.replace("!=", "=").replace("==", "=").split("=", 1)
        current: object = obj
        for part in path.strip().split("."):
            current = current.get(part) if isinstance(current, dict) else None
        actual = "" if current is None else str(current)
        if (actual == value.strip()) == negate:
            return False
    return True


def _matches(obj: dict, query: dict[str, str]) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    if query.get("labelSelector") and not label_selector_matches(query["labelSelector"], labels):
        return False
    return not (
        query.get("fieldSelector") and not field_selector_matches(query["fieldSelector"], obj)
    )


# -- the API -------------------------------------------------------------------------------------


class KubeAPI:
    """The Kubernetes API of one live twin."""

    def __init__(self, live: LiveTwin, mesh: Mesh) -> None:
        self.live = live
        self.mesh = mesh
        self._faults: list[tuple[str, re.Pattern, list[int]]] = []

    def inject(self, method: str, path_regex: str, *statuses: int) -> None:
        """Fault injection for client tests: the next matching requests answer ``statuses``."""
        self._faults.append((method.upper(), re.compile(path_regex), list(statuses)))

    def _injected(self, method: str, path: str) -> Reply | None:
        with self.live.lock:
            for index, (wanted, pattern, statuses) in enumerate(self._faults):
                if wanted == method and pattern.search(path) and statuses:
                    code = statuses.pop(0)
                    if not statuses:
                        del self._faults[index]
                    return status_reply(code, "Injected", f"injected {code} for {method} {path}")
        return None

    @property
    def namespace(self) -> str:
        return self.live.cluster.namespace

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        path = path.rstrip("/") or "/"
        if self._faults and (injected := self._injected(method, path)) is not None:
            return injected
        if path == "/version":
            return json_reply(
                {
                    "major": "1",
                    "minor": "32",
                    "gitVersion": "v1.32.0-seldon-twin",
                    "platform": "linux/amd64",
                }
            )
        if path in ("/healthz", "/readyz", "/livez"):
            return Reply(200, b"ok", "text/plain")
        if path == "/api":
            return json_reply(api_versions())
        if path == "/openapi/v3":
            return json_reply(openapi_root())
        if path.startswith("/openapi/v3/"):
            document = openapi_document(path.removeprefix("/openapi/v3"))
            if document is not None:
                return json_reply(document)
        if path == "/apis":
            extra = ((metrics.GROUP, metrics.VERSIONS[0]), (_AUTHORIZATION, "v1"))
            return json_reply(group_list(extra))
        if path == f"/apis/{_AUTHORIZATION}/v1":
            return json_reply(_authorization_resources())
        if path == _SSAR and method == "POST":
            return _allowed(body)
        if match := _METRICS.match(path):
            return self._custom_metrics(match.group(1), match.group(2) or "", query)
        if match := _PROXY.match(path):
            return self._proxy(method, *match.groups(), headers, body)
        if match := _LOG.match(path):
            return Reply(200, f"seldon twin: no logs for {match.group(2)}\n".encode(), "text/plain")
        if path == "/api/v1" or re.fullmatch(r"/apis/[^/]+/[^/]+", path):
            listing = resource_list(path)
            if listing is not None:
                return json_reply(listing)
        if re.fullmatch(r"/apis/[^/]+", path):
            group = api_group(path.removeprefix("/apis/"))
            if group is not None:
                return json_reply(group)
        return self._objects(method, path, query, headers, body)

    # -- objects ---------------------------------------------------------------------------

    def _objects(self, method, path, query, headers, body) -> Reply:
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 3:
            prefix, rest = "/" + "/".join(parts[:2]), parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            prefix, rest = "/" + "/".join(parts[:3]), parts[3:]
        else:
            return status_reply(404, "NotFound", "the server could not find the requested resource")
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        resource = find(prefix, rest[0])
        if resource is None or (namespace is not None and not resource.namespaced):
            return status_reply(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if resource.namespaced and namespace is None and name is not None:
            return status_reply(404, "NotFound", "the server could not find the requested resource")
        namespace = namespace if resource.namespaced else ""
        table_wanted = "as=Table" in headers.get("accept", "")
        if name is None:
            if method == "GET":
                if query.get("watch") in ("true", "1"):
                    return self._watch(resource, namespace, query, table_wanted)
                return self._list(resource, namespace, query, table_wanted)
            if method == "POST":
                return self._write(resource, namespace, None, "create", body, headers, query)
            return status_reply(405, "MethodNotAllowed", f"{method} is not supported on a list")
        key: Key = (resource.plural, namespace or "", name)
        if sub == "scale":
            return self._scale(resource, key, method, body)
        if sub == "status":
            return self._status(resource, key, method, body, headers)
        if sub is not None:
            return status_reply(404, "NotFound", f"{resource.plural}/{sub} is not served")
        if method == "GET":
            with self.live.lock:
                obj = self.live.log.get(key)
            if obj is None:
                return self._not_found(resource, name)
            if table_wanted:
                return json_reply(
                    table(resource, [obj], obj["metadata"]["resourceVersion"], self.live.now_wall())
                )
            return json_reply(obj)
        if method == "PUT":
            return self._write(resource, namespace, name, "replace", body, headers, query)
        if method == "PATCH":
            content_type = headers.get("content-type", "").split(";")[0].strip()
            if content_type == APPLY:
                return self._write(resource, namespace, name, "apply", body, headers, query)
            if content_type in MERGE:
                return self._write(resource, namespace, name, "merge", body, headers, query)
            return status_reply(
                415, "UnsupportedMediaType", f"the served twin does not take {content_type} patches"
            )
        if method == "DELETE":
            return self._delete(resource, key)
        return status_reply(405, "MethodNotAllowed", f"{method} is not supported")

    def _not_found(self, resource: Resource, name: str) -> Reply:
        what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
        return status_reply(
            404,
            "NotFound",
            f'{what} "{name}" not found',
            {"name": name, "group": resource.group, "kind": resource.plural},
        )

    def _list(self, resource, namespace, query, table_wanted) -> Reply:
        with self.live.lock:
            items = [
                obj
                for obj in self.live.log.items(resource.plural, namespace or None)
                if _matches(obj, query)
            ]
            version = str(self.live.log.version)
        if table_wanted:
            return json_reply(table(resource, items, version, self.live.now_wall()))
        return json_reply(
            {
                "kind": f"{resource.kind}List",
                "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": version},
                "items": items,
            }
        )

    def _watch(
        self, resource: Resource, namespace: str, query: dict[str, str], table_wanted: bool
    ) -> Reply:
        """A watch stream; with ``as=Table`` (``kubectl get -w``) each object is a one-row Table."""
        live = self.live
        timeout = float(query.get("timeoutSeconds") or 1800)
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        since_text = query.get("resourceVersion") or ""
        with live.lock:
            if since_text in ("", "0"):
                since = live.log.version
                initial = [
                    obj
                    for obj in live.log.items(resource.plural, namespace or None)
                    if _matches(obj, query)
                ]
            else:
                since = int(since_text)
                initial = []
                try:
                    live.log.since(since, resource.plural, namespace or None)
                except Expired as expired:
                    return Reply(200, iter([_event("ERROR", _gone(str(expired)))]))

        def shaped(obj: dict) -> dict:
            if not table_wanted:
                return obj
            return table(resource, [obj], obj["metadata"]["resourceVersion"], live.now_wall())

        def stream() -> Iterator[bytes]:
            for obj in initial:
                yield _event("ADDED", shaped(obj))
            position = since
            deadline = time.monotonic() + timeout
            next_bookmark = time.monotonic() + BOOKMARK_SECONDS
            while not live.stopped:
                with live.changed:
                    expired = None
                    try:
                        changes = live.log.since(position, resource.plural, namespace or None)
                    except Expired as error:
                        changes, expired = [], str(error)
                    scanned = live.log.version
                    if not changes and expired is None:
                        now = time.monotonic()
                        if now >= deadline:
                            return
                        if not (bookmarks and now >= next_bookmark):
                            until = min(deadline, next_bookmark) if bookmarks else deadline
                            live.changed.wait(until - now)
                            continue
                if expired is not None:
                    yield _event("ERROR", _gone(expired))
                    return
                for change in changes:
                    obj = with_version(change.obj, change.version)
                    if _matches(obj, query):
                        yield _event(change.type, shaped(obj))
                # every change of this kind up to ``scanned`` has been sent
                position = scanned
                if bookmarks and time.monotonic() >= next_bookmark:
                    next_bookmark = time.monotonic() + BOOKMARK_SECONDS
                    yield _event(
                        "BOOKMARK",
                        {
                            "kind": resource.kind,
                            "apiVersion": resource.api_version,
                            "metadata": {"resourceVersion": str(position)},
                        },
                    )

        return Reply(200, stream())

    # -- writes ----------------------------------------------------------------------------

    def _write(self, resource, namespace, name, verb, body, headers, query) -> Reply:
        if not resource.writable:
            return _read_only(resource)
        try:
            given = yaml.safe_load(body or b"{}") or {}
        except yaml.YAMLError as error:
            return status_reply(400, "BadRequest", f"the request body is not JSON or YAML: {error}")
        if not isinstance(given, dict):
            return status_reply(400, "BadRequest", "the request body is not an object")
        if verb == "apply" and not query.get("fieldManager"):
            return status_reply(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required '
                "value: is required for apply patch",
            )
        metadata = given.setdefault("metadata", {})
        if verb != "merge":
            given.setdefault("apiVersion", resource.api_version)
            given.setdefault("kind", resource.kind)
            metadata.setdefault("name", name)
        if name is not None and verb != "merge" and metadata.get("name") != name:
            return status_reply(
                400,
                "BadRequest",
                f"the name of the object ({metadata.get('name')}) does not "
                f"match the name on the URL ({name})",
            )
        name = name or metadata.get("name")
        if not name:
            return status_reply(422, "Invalid", f"{resource.kind}: metadata.name: Required value")
        key: Key = (resource.plural, namespace or "", name)
        with self.live.lock:
            current = self.live.log.get(key)
            if verb == "create" and current is not None:
                return status_reply(
                    409,
                    "AlreadyExists",
                    f'{resource.plural} "{name}" already exists',
                    {"name": name, "kind": resource.plural},
                )
            if verb in ("replace", "merge") and current is None:
                return self._not_found(resource, name)
            wanted_version = metadata.get("resourceVersion") if verb != "merge" else None
            if (
                wanted_version
                and current is not None
                and wanted_version != current["metadata"]["resourceVersion"]
            ):
                return status_reply(
                    409,
                    "Conflict",
                    f"Operation cannot be fulfilled on {resource.plural} "
                    f'"{name}": the object has been modified; please apply your changes to '
                    "the latest version and try again",
                )
            if verb == "merge":
                given = merge_patch(current, given)  # type: ignore[assignment]
            if resource.namespaced:
                given["metadata"]["namespace"] = namespace
            warnings: list[str] = []
            if resource.kind in SPEC_FIELDS:
                unknown = sorted(set(given.get("spec") or {}) - SPEC_FIELDS[resource.kind])
                if unknown:
                    problem = ", ".join(f'unknown field "spec.{f}"' for f in unknown)
                    mode = query.get("fieldValidation") or "Warn"
                    if mode == "Strict":
                        return status_reply(
                            400,
                            "BadRequest",
                            f'{resource.kind} in version "{resource.version}" '
                            f"cannot be handled as a {resource.kind}: strict decoding error: "
                            f"{problem}",
                        )
                    for field_name in unknown:
                        del given["spec"][field_name]
                    if mode == "Warn":
                        warnings = [f'unknown field "spec.{f}"' for f in unknown]
            if query.get("dryRun"):
                # validated above; a dry run answers with what would be stored and writes nothing
                reply = json_reply(given, 201 if current is None else 200)
            elif resource.twin_kind:
                reply = self._write_twin(resource, key, given, current)
            else:
                reply = self._write_extra(resource, key, given, current)
        for warning in warnings:
            # a quoted-string (RFC 7234 warn-text): inner quotes escaped, as kubectl unquotes it
            escaped = warning.replace("\\", "\\\\").replace('"', '\\"')
            reply.headers.append(("Warning", f'299 - "{escaped}"'))
        return reply

    def _write_twin(self, resource, key, given, current) -> Reply:
        if resource.namespaced and key[1] != self.namespace and resource.kind != "ConfigMap":
            return status_reply(
                403,
                "Forbidden",
                f"the served twin models namespace {self.namespace} only, not {key[1]}",
            )
        obj = copy.deepcopy(given)
        obj.pop("status", None)
        for owned in SERVER_OWNED:
            obj["metadata"].pop(owned, None)
        try:
            self.live.cluster.apply(obj)
        except (ClusterError, ValueError) as error:
            return status_reply(
                422,
                "Invalid",
                f'{resource.kind} "{key[2]}" is invalid: {error}',
                {"name": key[2], "kind": resource.kind},
            )
        self.live.publish()
        stored = self.live.log.get(key)
        return json_reply(stored, 201 if current is None else 200)

    def _write_extra(self, resource, key, given, current) -> Reply:
        obj = copy.deepcopy(given)
        metadata = obj["metadata"]
        metadata.pop("resourceVersion", None)
        if current is None:
            metadata["uid"] = str(uuid.uuid4())
            metadata["creationTimestamp"] = rfc3339(self.live.now_wall())
        else:
            for owned in ("uid", "creationTimestamp"):
                metadata[owned] = current["metadata"][owned]
        self.live.extras[key] = obj
        self.live.publish()
        return json_reply(self.live.log.get(key), 201 if current is None else 200)

    def _delete(self, resource: Resource, key: Key) -> Reply:
        with self.live.lock:
            current = self.live.log.get(key)
            if current is None:
                return self._not_found(resource, key[2])
            if resource.twin_kind:
                self.live.cluster.delete(f"{resource.twin_kind}/{key[2]}", wait=False)
            elif key in self.live.extras:
                del self.live.extras[key]
            else:
                return _read_only(resource)
            self.live.publish()
            after = self.live.log.get(key)
        if after is not None:
            return json_reply(after, 202)
        return json_reply(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {
                    "name": key[2],
                    "kind": resource.plural,
                    "uid": current["metadata"]["uid"],
                },
            }
        )

    def _scale(self, resource: Resource, key: Key, method: str, body: bytes) -> Reply:
        if not resource.scale:
            return status_reply(404, "NotFound", f"{resource.plural} have no scale subresource")
        ref = f"{resource.twin_kind}/{key[2]}"
        with self.live.lock:
            if self.live.log.get(key) is None:
                return self._not_found(resource, key[2])
            if method in ("PATCH", "PUT"):
                try:
                    given = json.loads(body or b"{}")
                    replicas = given["spec"]["replicas"]
                    self.live.cluster.scale(ref, replicas)
                except (ValueError, KeyError, TypeError) as error:
                    return status_reply(400, "BadRequest", f"a Scale needs spec.replicas: {error}")
                except ClusterError as error:
                    return status_reply(422, "Invalid", str(error))
                self.live.publish()
            elif method != "GET":
                return status_reply(405, "MethodNotAllowed", f"{method} on /scale")
            scale = self.live.cluster.store.get_scale(ref)
            scale["metadata"]["resourceVersion"] = self.live.log.get(key)["metadata"][
                "resourceVersion"
            ]
        return json_reply(scale)

    def _status(self, resource, key, method, body, headers) -> Reply:
        with self.live.lock:
            current = self.live.log.get(key)
            if current is None:
                return self._not_found(resource, key[2])
            if method == "GET":
                return json_reply(current)
            if not resource.writable:
                return _read_only(resource)
            given = json.loads(body or b"{}")
            if method == "PATCH":
                given = merge_patch(current, given)
            status = given.get("status") or {}
            if resource.twin_kind:
                self.live.cluster.store.set_status(f"{resource.twin_kind}/{key[2]}", status)
            elif key in self.live.extras:
                self.live.extras[key]["status"] = status
            self.live.publish()
            return json_reply(self.live.log.get(key))

    # -- metrics and proxies ---------------------------------------------------------------

    def _custom_metrics(self, version: str, rest: str, query: dict[str, str]) -> Reply:
        cluster = self.live.cluster
        with self.live.lock:
            if not rest:
                return json_reply(metrics.resource_list(cluster, version))
            parts = rest.strip("/").split("/")
            if len(parts) == 5 and parts[0] == "namespaces":
                _, namespace, resource, name, metric = parts
                selector = None
                if query.get("metricLabelSelector"):
                    selector = dict(
                        term.split("=", 1) for term in query["metricLabelSelector"].split(",")
                    )
                status, body = metrics.object_metric(
                    cluster,
                    version,
                    namespace,
                    resource,
                    name,
                    metric,
                    rfc3339(self.live.now_wall()),
                    selector,
                )
                return json_reply(body, status)
        return status_reply(404, "NotFound", f"custom metrics path {rest} is not served")

    def _proxy(self, method, namespace, kind, name, port, rest, headers, body) -> Reply:
        rest = rest or "/"
        if kind == "services":
            if name != "seldon-mesh":
                return status_reply(
                    503, "ServiceUnavailable", f'no endpoints available for service "{name}"'
                )
            answer = self.mesh.handle(method, rest, headers, body)
            return json_reply(answer.body, answer.status, answer.headers)
        with self.live.lock:
            if self.live.log.get(("pods", namespace, name)) is None:
                return self._not_found(find("/api/v1", "pods"), name)  # type: ignore[arg-type]
            server, _, ordinal = name.rpartition("-")
            statefulset = self.live.cluster.controller.statefulsets.get(server)
            twin_pod = (
                statefulset.pods.get(int(ordinal)) if statefulset and ordinal.isdigit() else None
            )
            if (
                twin_pod is None
                or str(port or "") not in (str(AGENT_METRICS_PORT), "metrics")
                or rest != "/metrics"
            ):
                return status_reply(
                    503,
                    "ServiceUnavailable",
                    f"pod {name} serves only :{AGENT_METRICS_PORT}/metrics",
                )
            if not twin_pod.connected:
                return status_reply(
                    503,
                    "ServiceUnavailable",
                    f"error trying to reach service: dial tcp {name}: connection refused",
                )
            samples = twin_pod.agent.samples(namespace, name)
        agent_own = [
            ({k: v for k, v in labels.items() if k not in PROMETHEUS_TARGET_LABELS}, value)
            for labels, value in samples
        ]
        return Reply(200, metrics.prometheus_text(agent_own).encode(), "text/plain; version=0.0.4")


# labels Prometheus adds from the scrape target; the agent itself does not expose them
PROMETHEUS_TARGET_LABELS = frozenset({"namespace", "pod", "container", "endpoint", "job"})


def _authorization_resources() -> dict:
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{_AUTHORIZATION}/v1",
        "resources": [
            {
                "name": "selfsubjectaccessreviews",
                "singularName": "selfsubjectaccessreview",
                "namespaced": False,
                "kind": "SelfSubjectAccessReview",
                "verbs": ["create"],
            }
        ],
    }


def _allowed(body: bytes) -> Reply:
    # kubectl sends built-in types as protobuf, which the twin does not decode; the answer is
    # the same whatever was asked, so only a JSON review is echoed back
    try:
        review = json.loads(body)
    except ValueError:
        review = None
    if not isinstance(review, dict):
        review = {"apiVersion": f"{_AUTHORIZATION}/v1", "kind": "SelfSubjectAccessReview"}
    review["status"] = {"allowed": True, "reason": "the served twin has no RBAC"}
    return json_reply(review, 201)


def _read_only(resource: Resource) -> Reply:
    return status_reply(
        405,
        "MethodNotAllowed",
        f"{resource.plural} of the served twin are derived from its state and cannot be written",
    )


def _event(type_: str, obj: dict) -> bytes:
    return (json.dumps({"type": type_, "object": obj}) + "\n").encode()


def _gone(message: str) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Expired",
        "code": 410,
    }
