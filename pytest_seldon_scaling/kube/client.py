"""A thin shell over the kubernetes client: every call bounded-retried, every failure named.

Seldon CRDs and HPAs go through the dynamic client (discovery finds their paths and the
``scale`` subresource). Objects cross this module as plain dicts. Transient failures (409
conflict, 429, 5xx, connection resets) are retried with tenacity a bounded number of times;
the error raised when retries give up says what was being done and what went wrong last.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError
from kubernetes.watch.watch import iter_resp_lines
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from ..cluster import ClusterError

FIELD_MANAGER = "pytest-seldon-scaling"
TRANSIENT_STATUS = frozenset({409, 429, 500, 502, 503, 504})

T = TypeVar("T")


class ObjectNotFound(ClusterError):
    """The API server answered 404: the object (or its kind) does not exist."""


class WatchExpired(Exception):
    """410 Gone: the resourceVersion a watch resumed from was compacted; list again."""


def status_of(error: BaseException) -> int | None:
    status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


def is_transient(error: BaseException) -> bool:
    """Worth retrying: conflicts, throttling, server errors, dropped connections."""
    if status_of(error) in TRANSIENT_STATUS:
        return True
    return isinstance(error, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError)


def describe_error(error: BaseException) -> str:
    status = status_of(error)
    if status is None:
        return f"{type(error).__name__}: {error}"
    body = getattr(error, "body", None) or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    with contextlib.suppress(ValueError, TypeError):
        body = json.loads(body).get("message", body)
    return f"HTTP {status} {getattr(error, 'reason', '') or ''}: {body}".strip().rstrip(":")


class RetryPolicy:
    """How long transient failures are retried: attempts and total seconds, jittered backoff."""

    def __init__(
        self,
        attempts: int = 6,
        max_seconds: float = 60.0,
        first_wait: float = 0.2,
        max_wait: float = 5.0,
        seed: int | None = None,
    ) -> None:
        self.attempts = attempts
        self.max_seconds = max_seconds
        self.first_wait = first_wait
        self.max_wait = max_wait
        self._random = random.Random(seed)

    def wait_seconds(self, attempt: int) -> float:
        """Exponential backoff with full jitter (seeded, so reruns wait the same)."""
        ceiling = min(self.max_wait, self.first_wait * 2 ** (attempt - 1))
        return self._random.uniform(ceiling / 2, ceiling)

    def run(self, what: str, call: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_seconds),
            wait=lambda state: self.wait_seconds(state.attempt_number),
            retry=retry_if_exception(is_transient),
            reraise=False,
        )
        try:
            return retrying(call)
        except RetryError as gave_up:
            attempt = gave_up.last_attempt
            raise ClusterError(
                f"{what}: gave up after {attempt.attempt_number} attempts; last error: "
                f"{describe_error(attempt.exception())}"
            ) from attempt.exception()


class KubeApi:
    """One namespace of one cluster, reached through a configured ``ApiClient``."""

    def __init__(
        self, api_client: ApiClient, namespace: str, retry: RetryPolicy | None = None
    ) -> None:
        self.api_client = api_client
        self.namespace = namespace
        self.retry = retry or RetryPolicy()
        self._discovery_cache = os.path.join(
            tempfile.gettempdir(), f"pytest-seldon-scaling-discovery-{os.getpid()}-{id(self)}.json"
        )
        self._dynamic: DynamicClient | None = None

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return self.retry.run(what, call)
        except ApiException as error:
            if error.status == 404:
                raise ObjectNotFound(f"{what}: not found ({describe_error(error)})") from error
            raise ClusterError(f"{what}: {describe_error(error)}") from error

    @property
    def dynamic(self) -> DynamicClient:
        if self._dynamic is None:
            self._dynamic = self._call(
                "discovering the API server's resources",
                lambda: DynamicClient(self.api_client, cache_file=self._discovery_cache),
            )
        return self._dynamic

    def resource(self, api_version: str, kind: str) -> Any:
        try:
            return self._call(
                f"looking up {kind} ({api_version})",
                lambda: self.dynamic.resources.get(api_version=api_version, kind=kind),
            )
        except ResourceNotFoundError:
            raise ObjectNotFound(
                f"the API server does not serve {kind} ({api_version}); is its CRD installed?"
            ) from None

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._discovery_cache)
        self.api_client.close()

    # -- objects -------------------------------------------------------------------------------

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict:
        resource = self.resource(api_version, kind)
        namespace = namespace or self.namespace
        return self._call(
            f"reading {kind} {namespace}/{name}",
            lambda: resource.get(name=name, namespace=namespace).to_dict(),
        )

    def list(
        self, api_version: str, kind: str, label_selector: str | None = None
    ) -> tuple[list[dict], str]:
        """Items and the list's resourceVersion (where a watch resumes from)."""
        resource = self.resource(api_version, kind)
        selected = f" ({label_selector})" if label_selector else ""
        listed = self._call(
            f"listing {kind} in {self.namespace}{selected}",
            lambda: resource.get(namespace=self.namespace, label_selector=label_selector).to_dict(),
        )
        return listed.get("items") or [], str(listed.get("metadata", {}).get("resourceVersion", ""))

    def apply(self, obj: dict) -> dict:
        """Server-side apply with our field manager; conflicts forced (the test owns them)."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = obj.get("metadata", {}).get("name", "")
        namespace = obj.get("metadata", {}).get("namespace") or self.namespace
        resource = self.resource(api_version, kind)
        return self._call(
            f"applying {kind} {namespace}/{name}",
            lambda: self.dynamic.server_side_apply(
                resource,
                body=obj,
                namespace=namespace,
                field_manager=FIELD_MANAGER,
                force_conflicts=True,
            ).to_dict(),
        )

    def delete(self, api_version: str, kind: str, name: str) -> bool:
        """Request deletion (foreground); False when the object was already gone."""
        resource = self.resource(api_version, kind)
        try:
            self._call(
                f"deleting {kind} {self.namespace}/{name}",
                lambda: resource.delete(
                    name=name,
                    namespace=self.namespace,
                    body={"propagationPolicy": "Foreground"},
                ),
            )
        except ObjectNotFound:
            return False
        return True

    def restart_deployment(self, name: str, namespace: str, at: str) -> None:
        """What ``kubectl rollout restart`` does: a new pod-template annotation."""
        resource = self.resource("apps/v1", "Deployment")
        patch = {"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": at}}}}}  # fmt: skip
        self._call(
            f"restarting deployment {namespace}/{name}",
            lambda: self.dynamic.patch(
                resource,
                body=patch,
                name=name,
                namespace=namespace,
                content_type="application/merge-patch+json",
            ),
        )

    def get_scale(self, api_version: str, kind: str, name: str) -> dict:
        scale = self.resource(api_version, kind).subresources["scale"]
        return self._call(
            f"reading the scale of {kind} {self.namespace}/{name}",
            lambda: scale.get(name=name, namespace=self.namespace).to_dict(),
        )

    def set_scale(self, api_version: str, kind: str, name: str, replicas: int) -> dict:
        scale = self.resource(api_version, kind).subresources["scale"]
        return self._call(
            f"scaling {kind} {self.namespace}/{name} to {replicas}",
            lambda: self.dynamic.patch(
                scale,
                body={"spec": {"replicas": replicas}},
                name=name,
                namespace=self.namespace,
                content_type="application/merge-patch+json",
            ).to_dict(),
        )

    def can_i(
        self, verb: str, group: str, resource: str, subresource: str = "", namespace: str = ""
    ) -> bool:
        """What ``kubectl auth can-i`` asks: a SelfSubjectAccessReview (``namespace=""`` for
        all namespaces, or a cluster-scoped resource)."""
        review = self.resource("authorization.k8s.io/v1", "SelfSubjectAccessReview")
        attributes = {"verb": verb, "group": group, "resource": resource}
        if subresource:
            attributes["subresource"] = subresource
        if namespace:
            attributes["namespace"] = namespace
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }
        answer = self._call(
            f"asking whether this user may {verb} {resource}", lambda: review.create(body=body)
        ).to_dict()
        return bool((answer.get("status") or {}).get("allowed"))

    # -- watches -------------------------------------------------------------------------------

    def open_watch(
        self, api_version: str, kind: str, resource_version: str, timeout_seconds: int
    ) -> urllib3.BaseHTTPResponse:
        """Start a watch from ``resource_version``; raises :class:`WatchExpired` on 410."""
        resource = self.resource(api_version, kind)
        try:
            return self._call(
                f"watching {kind} in {self.namespace}",
                lambda: self.dynamic.request(
                    "get",
                    resource.path(namespace=self.namespace),
                    watch=True,
                    resource_version=resource_version or None,
                    allow_watch_bookmarks=True,
                    timeout_seconds=timeout_seconds,
                    serialize=False,
                    _request_timeout=(10, timeout_seconds + 30),
                ),
            )
        except ClusterError as error:
            if status_of(error.__cause__ or error) == 410:
                raise WatchExpired(str(error)) from error
            raise

    # -- raw paths (pod proxy, logs, aggregated APIs) -----------------------------------------

    def get_text(
        self, path: str, what: str, query: list[tuple[str, Any]] | None = None, accept: str = "*/*"
    ) -> str:
        def fetch() -> str:
            response = self.dynamic.request(
                "get",
                path,
                query_params=list(query or []),
                header_params={"Accept": accept},
                serialize=False,
                _request_timeout=(10, 60),
            )
            return response.data.decode("utf-8", "replace")

        return self._call(what, fetch)

    def get_json(self, path: str, what: str, query: list[tuple[str, Any]] | None = None) -> dict:
        text = self.get_text(path, what, query=query, accept="application/json")
        try:
            return json.loads(text)
        except ValueError:
            raise ClusterError(f"{what}: the answer is not JSON: {text[:200]!r}") from None


def watch_events(response: urllib3.BaseHTTPResponse) -> Iterator[dict]:
    """Decoded watch events from a streaming response; 410 ERROR events raise WatchExpired."""
    for line in iter_resp_lines(response):
        if not line.strip():
            continue
        event = json.loads(line)
        if event.get("type") == "ERROR":
            status = event.get("object") or {}
            if status.get("code") == 410:
                raise WatchExpired(status.get("message", "resourceVersion too old"))
            raise ClusterError(f"watch error: {status.get('message', status)}")
        yield event
