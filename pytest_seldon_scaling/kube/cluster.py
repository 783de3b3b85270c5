"""``KubeCluster``: the SeldonCluster protocol on a real Kubernetes namespace running Core 2."""

from __future__ import annotations

import atexit
import builtins
import copy
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..cluster import KINDS, ClusterError, LoadRun, Source, WaitTimeout, parse_ref, ref_of
from ..load.profile import LoadProfile
from ..manifests import ManifestError, load_manifests
from ..timeline import Timeline
from ..twin.adapter import AdapterConfigError, parse_adapter_config
from .client import KubeApi, ObjectNotFound
from .mesh import (
    MESH_SERVICE,
    PortForward,
    load_balancer_url,
    port_forward_command,
    service_http_port,
)
from .objects import (
    DELETE_ORDER,
    RUN_LABEL,
    adapter_config_rules,
    allocatable_memory,
    conditions_of,
    deployment_rolled_out,
    dropped_fields,
    gib,
    is_terminating,
    ordinal_of,
    owned,
    pod_memory_request,
    pod_ready,
    run_of,
    same_adapter_rules,
    server_max_replicas,
)
from .preflight import CUSTOM_METRICS, PreflightReport
from .promtext import merge_placements, parse_prometheus_text, placement_from_samples
from .watch import WATCHED, KindWatcher, Mirror

AGENT_METRICS_PORT = 9006
# Control-plane pods whose logs go into failure artifacts: label selector -> what it is.
# The controller's Deployment is labelled ``control-plane: v2-controller-manager``
# (SeldonIO/seldon-core v2.10.2 k8s/helm-charts/seldon-core-v2-setup/templates/
# _components-statefulsets.tpl, operator/config/manager/manager.yaml).
LOG_SOURCES = {
    "app.kubernetes.io/name=seldon-scheduler": "scheduler",
    "app.kubernetes.io/name=seldon-server": "agent",
    "control-plane=v2-controller-manager": "controller",
}
SELDON_INFER_SERIES = "seldon_model_infer_total"


class KubeCluster:
    """One namespace of a real cluster (kind or existing) with Seldon Core 2 installed."""

    def __init__(
        self,
        api: KubeApi,
        *,
        backend: str,
        core_version: str,
        report_dir: Path | None = None,
        kubectl_binary: str | None = None,
        kubeconfig: str | None = None,
        kube_context: str | None = None,
        preflight: PreflightReport | None = None,
        delete_timeout: float = 180.0,
        watch: bool = True,
        on_close: Callable[[], None] | None = None,
        adapter: tuple[str, str] | None = None,
        adapter_timeout: float = 300.0,
        run_id: str | None = None,
        request_timeout: float = 10.0,
    ) -> None:
        self.api = api
        self.backend = backend
        self.core_version = core_version
        self.namespace = api.namespace
        # labels every object this run creates (RUN_LABEL): what it may change and remove
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.report_dir = report_dir
        self.preflight = preflight or PreflightReport([])
        self.timeline = Timeline()
        self.delete_timeout = delete_timeout
        self.request_timeout = request_timeout  # what Locust waits for each answer
        self.created: list[str] = []
        self._kubectl = kubectl_binary
        self._kubeconfig = kubeconfig
        self._context = kube_context
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._mesh: PortForward | None = None
        self._mesh_url: str | None = None
        self._loads: list[Any] = []
        self._on_close = on_close
        # (namespace, deployment) of a prometheus-adapter this run installed and may reconfigure
        self.adapter = adapter
        self.adapter_timeout = adapter_timeout
        # the rate window of the cluster's infer_rps rule, once an adapter rule was checked
        self.adapter_window: float | None = None
        self._closed = False
        self.mirror = Mirror(self.timeline, self.now)
        self.watchers = [KindWatcher(api, self.mirror, kind) for kind in WATCHED] if watch else []
        for watcher in self.watchers:
            watcher.start()
        atexit.register(self.close)
        self._previous_sigterm = _cleanup_on_sigterm()

    # -- time ----------------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self._started

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    # -- objects -------------------------------------------------------------------------------

    def _api_of(self, ref: str) -> tuple[str, str, str]:
        ref_kind, name = parse_ref(ref)
        api_version, kind = KINDS[ref_kind]
        return api_version, kind, name

    def _read(self, ref: str) -> dict | None:
        """The object, or None when the API server says it does not exist (404 only)."""
        api_version, kind, name = self._api_of(ref)
        try:
            return self.api.get(api_version, kind, name)
        except ObjectNotFound:
            return None

    def apply(self, *sources: Source) -> list[str]:
        try:
            manifests = load_manifests(*sources)
        except ManifestError as error:
            raise ClusterError(str(error)) from None
        helm_values = [m.where() for m in manifests if m.is_helm_values]
        if helm_values:
            raise ClusterError(
                f"{', '.join(helm_values)}: helm values cannot be applied to a cluster; "
                "give them as helm settings of the kind install"
            )
        objects = []
        for manifest in manifests:
            obj, origin = copy.deepcopy(manifest.obj), manifest.where()
            rules = adapter_config_rules(obj)
            if rules is None:
                obj = self._namespaced(obj, origin)
            objects.append((obj, origin, manifest.display, rules))
        self._check_capacity([obj for obj, _o, _d, rules in objects if rules is None])
        # every object checked before any is applied: a refusal changes nothing
        existed = {}
        for obj, origin, _display, rules in objects:
            if rules is None:
                existed[ref_of(obj)] = self._refuse_if_not_ours(obj, origin)
        # the adapter's rules first: on an existing cluster they may stop the run
        refs: builtins.list[str | None] = [
            None if rules is None else self._use_adapter_rules(obj, rules, f"{origin}: {display}")
            for obj, origin, display, rules in objects
        ]
        for index, (obj, origin, _display, rules) in enumerate(objects):
            if rules is not None:
                continue
            ref = ref_of(obj)
            try:
                stored = self.api.apply(owned(obj, self.run_id))
            except ClusterError as error:
                raise ClusterError(f"{origin}: {error}") from error
            dropped = dropped_fields(obj.get("spec"), stored.get("spec"), "spec")
            if dropped:
                warnings.warn(
                    f"{origin}: {ref}: the API server dropped {', '.join(dropped)} (not in the "
                    "CRD's schema, so it has no effect: a typo?)",
                    stacklevel=2,
                )
            with self._lock:
                if not existed[ref] and ref not in self.created:
                    self.created.append(ref)
            refs[index] = ref
        return [ref for ref in refs if ref is not None]

    def _refuse_if_not_ours(self, obj: dict, origin: str) -> bool:
        """Whether ``obj`` exists already; an error when it does and this run did not create it.

        This run changes only objects it created: server-side apply with forced conflicts
        would otherwise overwrite a user's object of the same name and leave it changed.
        """
        ref = ref_of(obj)
        live = self._read(ref)
        if live is not None and run_of(live) != self.run_id:
            raise ClusterError(
                f"{origin}: {ref} already exists in namespace {self.namespace} and this run "
                f"did not create it (no label {RUN_LABEL}={self.run_id}); this run changes only "
                "objects it created: rename it in the manifests, or delete it first"
            )
        return live is not None

    def _namespaced(self, obj: dict, origin: str) -> dict:
        """``obj`` ready to apply here: a supported kind, this namespace, no server fields."""
        ref_kind = ref_of(obj).partition("/")[0]
        expected = KINDS.get(ref_kind)
        if expected is None or (obj.get("apiVersion"), obj.get("kind")) != expected:
            supported = ", ".join(f"{kind} ({api})" for api, kind in KINDS.values())
            raise ClusterError(
                f"{origin}: {obj.get('kind')} ({obj.get('apiVersion')}) is not a kind this run "
                f"applies; supported, all namespaced: {supported}"
            )
        metadata = obj.setdefault("metadata", {})
        if metadata.get("namespace") not in (None, self.namespace):
            raise ClusterError(
                f"{origin}: {ref_of(obj)} is for namespace {metadata['namespace']!r}, "
                f"but this run uses {self.namespace!r}"
            )
        metadata["namespace"] = self.namespace
        for server_owned in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
            metadata.pop(server_owned, None)
        obj.pop("status", None)
        return obj

    def _check_capacity(self, objects: builtins.list[dict]) -> None:
        """Refuse Servers whose pods, at their maximum, cannot fit on the nodes.

        Counts the Servers this run already created and the new ones, each at its maximum
        (:func:`server_max_replicas`) times the memory its ServerConfig's pod requests,
        against the nodes' allocatable memory less what other pods request. Reading nodes
        and pods cluster-wide needs a ClusterRole: without one the check is skipped, with a
        warning saying so.
        """
        servers = [o for o in objects if o.get("kind") == "Server"]
        if not servers:
            return
        hpas = [o for o in objects if o.get("kind") == "HorizontalPodAutoscaler"]
        with self._lock:
            mine = [r for r in self.created if r.startswith(("server/", "hpa/"))]
        for ref in mine:
            obj = self._read(ref)
            if obj is not None:
                (servers if ref.startswith("server/") else hpas).append(obj)
        names = {s["metadata"]["name"] for s in servers}
        demand, parts = 0, []
        for server in {s["metadata"]["name"]: s for s in servers}.values():
            config = (server.get("spec") or {}).get("serverConfig")
            try:
                template = self.api.get(KINDS["serverconfig"][0], "ServerConfig", str(config))
            except ClusterError:
                continue  # the apply itself names a missing ServerConfig
            per_pod = pod_memory_request((template.get("spec") or {}).get("podSpec") or {})
            most = server_max_replicas(server, hpas)
            demand += most * per_pod
            parts.append(f"server/{server['metadata']['name']} {most} x {gib(per_pod)}")
        if not parts:
            return
        try:
            nodes = self.api.get_json("/api/v1/nodes", "reading the nodes' allocatable memory")
            pods = self.api.get_json(
                "/api/v1/pods",
                "reading the memory other pods request",
                query=[("fieldSelector", "status.phase=Running")],
            )
        except ClusterError as error:
            warnings.warn(
                f"pytest-seldon-scaling: node capacity not checked ({error})", stacklevel=2
            )
            return
        others = sum(
            pod_memory_request(pod.get("spec") or {})
            for pod in pods.get("items") or []
            if not (
                pod["metadata"].get("namespace") == self.namespace
                and (pod["metadata"].get("labels") or {}).get("seldon-server-name") in names
            )
        )
        free = allocatable_memory(nodes.get("items") or []) - others
        if demand > free:
            raise ClusterError(
                f"the Servers at their maximum request {gib(demand)} of memory "
                f"({', '.join(parts)}), but the nodes have {gib(free)} allocatable beyond what "
                "other pods request: lower maxReplicas (or the HPAs' maxReplicas), or give the "
                "cluster more memory"
            )

    def _use_adapter_rules(self, obj: dict, rules: builtins.list[dict], origin: str) -> str:
        """Make the metrics adapter serve ``rules``: a no-op when it already does.

        The adapter reads its rules once at start: on a cluster this run installed, a different
        rule set replaces the adapter's ConfigMap and restarts it; on an existing cluster it is
        an error (never silently rewire someone's custom metrics).
        """
        namespace, name = self.adapter or (
            obj["metadata"].get("namespace") or self.namespace,
            obj["metadata"]["name"],
        )
        try:
            live = self.api.get("v1", "ConfigMap", name, namespace=namespace)
        except ObjectNotFound:
            live = None
        live_rules = adapter_config_rules(live) if live is not None else None
        ref = f"configmap/{name}"
        if live_rules is not None and same_adapter_rules(live_rules, rules):
            self.adapter_window = infer_rps_window(live_rules)
            return ref
        if self.adapter is None:
            # A cluster set up from the docs ([2m]) or ansible ([5m]) serves the same metric
            # with another rate window: use it, and let predictions use the cluster's window.
            window = infer_rps_window(live_rules or [])
            if window is not None:
                self.adapter_window = window
                return ref
            state = "does not exist" if live is None else "has no rule serving infer_rps"
            raise ClusterError(
                f"{origin}: the cluster's prometheus-adapter ConfigMap {namespace}/{name} {state} "
                f"(a rule on {SELDON_INFER_SERIES} named infer_rps, mapping labels to "
                "mlops.seldon.io models and servers), so the HPAs would read no metric. Install "
                "such a rule in the cluster's adapter (and restart it), or run with "
                "--seldon-cluster=kind"
            )
        replacement = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": obj["data"],
        }
        self.api.apply(replacement)
        self.api.restart_deployment(name, namespace, f"pytest-seldon-scaling-{time.time():.0f}")
        self.wait_until(
            lambda: (
                deployment_rolled_out(
                    self.api.get("apps/v1", "Deployment", name, namespace=namespace)
                )
                and bool(self.api.get_json(CUSTOM_METRICS, "reading the custom metrics API"))
            ),
            self.adapter_timeout,
            what=f"prometheus-adapter {namespace}/{name} restarted with the rules of {origin}",
            poll=2.0,
        )
        self.adapter_window = infer_rps_window(rules)
        return ref

    def get(self, ref: str) -> dict:
        obj = self._read(ref)
        if obj is None:
            raise ObjectNotFound(f"{ref} does not exist in namespace {self.namespace}")
        return obj

    def list(self, kind: str) -> builtins.list[dict]:
        ref_kind, _ = parse_ref(f"{kind}/x")
        api_version, api_kind = KINDS[ref_kind]
        items, _version = self.api.list(api_version, api_kind)
        return items

    def delete(self, ref: str, *, wait: bool = True) -> None:
        api_version, kind, name = self._api_of(ref)
        self.api.delete(api_version, kind, name)
        with self._lock:
            if ref in self.created:
                self.created.remove(ref)
        if wait:
            self.wait_for(
                ref,
                lambda obj: obj is None,
                self.delete_timeout,
                what=f"{ref} to be deleted (finalizers honoured)",
            )

    def scale(self, ref: str, replicas: int) -> None:
        api_version, kind, name = self._api_of(ref)
        self.api.set_scale(api_version, kind, name, replicas)

    def read_scale(self, ref: str) -> dict:
        """The ``/scale`` subresource as the API server holds it."""
        api_version, kind, name = self._api_of(ref)
        return self.api.get_scale(api_version, kind, name)

    # -- waits ---------------------------------------------------------------------------------

    def wait_for(
        self,
        ref: str,
        predicate: Callable[[dict | None], bool],
        timeout: float,
        *,
        what: str,
        poll: float = 2.0,
    ) -> float:
        """Until ``predicate(object or None when it does not exist)``; when it became true.

        Reads the watch mirror while its watch is synced, else reads the API server directly.
        A failed read is never passed to the predicate: it is reported if time runs out.
        """
        deadline = time.monotonic() + timeout
        last_seen: str = "nothing read yet"
        last_error: str | None = None
        while True:
            synced, obj, version = self.mirror.lookup(ref)
            if not synced:
                try:
                    obj = self._read(ref)
                except ClusterError as error:
                    last_error = str(error)
                    obj = None
                    synced = False
                else:
                    synced = True
            if synced:
                last_seen = _summary(obj)
                if predicate(obj):
                    return self.now()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(
                    f"waited {timeout:g}s for {what}; last seen: {last_seen}"
                    + (f"; last read error: {last_error}" if last_error else "")
                )
            self.mirror.wait_changed(version, min(remaining, poll))

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float, *, what: str, poll: float = 1.0
    ) -> float:
        """Re-evaluates ``predicate`` on every watched change, and every ``poll`` seconds."""
        deadline = time.monotonic() + timeout
        last_error: str | None = None
        while True:
            version = self.mirror.version
            try:
                if predicate():
                    return self.now()
            except ClusterError as error:
                # a failed read is not an answer: keep waiting, and say so if time runs out
                last_error = str(error)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(
                    f"waited {timeout:g}s for {what}"
                    + (f"; last read error: {last_error}" if last_error else "")
                )
            self.mirror.wait_changed(version, min(remaining, poll))

    # -- placement and load --------------------------------------------------------------------

    def placement(self, server: str) -> dict[int, builtins.list[str]]:
        pods, _ = self.api.list("v1", "Pod", f"seldon-server-name={server}")
        parts = []
        for pod in pods:
            name = pod["metadata"]["name"]
            if not pod_ready(pod) or is_terminating(pod):
                continue
            text = self.api.get_text(
                f"/api/v1/namespaces/{self.namespace}/pods/{name}:{AGENT_METRICS_PORT}"
                "/proxy/metrics",
                f"reading agent metrics of pod {name} (server {server})",
                accept="text/plain",
            )
            part = placement_from_samples(parse_prometheus_text(text), server)
            ordinal = ordinal_of(name)
            if not part and ordinal is not None:
                part = {ordinal: []}
            parts.append(part)
        return merge_placements(parts)

    def mesh_url(self) -> str:
        """Where ``svc/seldon-mesh`` answers from here (LoadBalancer, else a port-forward)."""
        with self._lock:
            if self._mesh_url is not None:
                return self._mesh_url
            service = self.api.get("v1", "Service", MESH_SERVICE)
            url = load_balancer_url(service)
            if url is None:
                if not self._kubectl:
                    raise ClusterError(
                        f"svc/{MESH_SERVICE} has no LoadBalancer address and no kubectl was "
                        "found to port-forward to it (--seldon-kubectl-binary)"
                    )
                command = port_forward_command(
                    self._kubectl,
                    self.namespace,
                    service_http_port(service),
                    self._kubeconfig,
                    self._context,
                )
                self._mesh = PortForward.open(command)
                url = self._mesh.url
            self._mesh_url = url
            return url

    def load(self, model: str, profile: LoadProfile, protocol: str = "rest") -> LoadRun:
        from ..load.locust_driver import start_locust_load

        if protocol != "rest":
            raise ClusterError(
                f"load on model/{model}: the Locust driver sends REST only, not {protocol!r}"
            )

        artifacts = None
        if self.report_dir is not None:
            artifacts = Path(self.report_dir) / "locust" / f"{model}-{int(self.now())}"
        run = start_locust_load(
            self.mesh_url(),
            model,
            profile,
            timeline=self.timeline,
            clock=self.now,
            artifacts_dir=artifacts,
            timeout=self.request_timeout,
        )
        self._loads.append(run)
        return run

    # -- failure artifacts and cleanup ---------------------------------------------------------

    def collect_artifacts(self, directory: Path, log_lines: int = 300) -> builtins.list[Path]:
        """Objects, HPA conditions, Events and log tails into ``directory``; the files written.

        Each piece is collected on its own: one that cannot be read is written as the reason.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []

        def write(name: str, produce: Callable[[], str]) -> None:
            try:
                text = produce()
            except ClusterError as error:
                text = f"could not be collected: {error}\n"
            path = directory / name
            path.write_text(text)
            written.append(path)

        for ref_kind in ("model", "server", "serverconfig", "hpa"):
            write(f"{ref_kind}s.yaml", lambda k=ref_kind: _yaml_dump(self.list(k)))
        write("hpa-conditions.txt", lambda: _hpa_conditions(self.list("hpa")))
        write("events.txt", lambda: _events_text(self.api.list("v1", "Event")[0]))
        for selector, role in LOG_SOURCES.items():
            write(f"logs-{role}.txt", lambda s=selector: self._log_tails(s, log_lines))
        return written

    def _log_tails(self, selector: str, lines: int) -> str:
        pods, _ = self.api.list("v1", "Pod", selector)
        if not pods:
            return f"no pod matches {selector} in {self.namespace}\n"
        out = []
        for pod in pods:
            name = pod["metadata"]["name"]
            for container in (pod.get("spec") or {}).get("containers") or []:
                try:
                    text = self.api.get_text(
                        f"/api/v1/namespaces/{self.namespace}/pods/{name}/log",
                        f"reading logs of {name}/{container['name']}",
                        query=[("container", container["name"]), ("tailLines", lines)],
                    )
                except ClusterError as error:
                    text = f"could not be read: {error}\n"
                out.append(f"===== {name}/{container['name']} (last {lines} lines) =====\n{text}")
        return "\n".join(out)

    def cleanup(self) -> builtins.list[str]:
        """Delete what this run created, one kind at a time in :data:`DELETE_ORDER` (HPAs stop
        writing replicas, Models unload before their Servers go), each kind gone (finalizers
        honoured) before the next is deleted. Goes on past failures; every object it could
        not remove, with why."""
        with self._lock:
            refs = builtins.list(self.created)
        return self._delete_in_order(refs)

    def _delete_in_order(self, refs: builtins.list[str]) -> builtins.list[str]:
        problems = []
        for ref_kind in DELETE_ORDER:
            group = [r for r in refs if r.partition("/")[0] == ref_kind]
            requested = []
            for ref in group:
                try:
                    self.api.delete(*self._api_of(ref))
                except ClusterError as error:
                    problems.append(f"{ref}: {error}")
                else:
                    requested.append(ref)
            for ref in requested:
                try:
                    self.wait_for(
                        ref,
                        lambda obj: obj is None,
                        self.delete_timeout,
                        what=f"{ref} to be deleted",
                    )
                except (WaitTimeout, ClusterError) as error:
                    problems.append(f"{ref}: {error}")
                else:
                    with self._lock:
                        if ref in self.created:
                            self.created.remove(ref)
        return problems

    def remove_leftovers(self) -> builtins.list[str]:
        """Remove objects an earlier run created and never removed (it was killed); their refs.

        Found by :data:`RUN_LABEL`. Call it only while holding the namespace (the session
        lease, or a kind cluster this run owns): a live run's objects would look the same.
        Objects that could not be removed raise, naming each.
        """
        found = []
        for ref_kind in DELETE_ORDER:
            api_version, kind = KINDS[ref_kind]
            items, _ = self.api.list(api_version, kind, RUN_LABEL)
            found += [
                f"{ref_kind}/{item['metadata']['name']}"
                for item in items
                if run_of(item) not in (None, self.run_id)
            ]
        problems = self._delete_in_order(found)
        if problems:
            raise ClusterError(
                "objects left by an earlier run could not be removed:\n  " + "\n  ".join(problems)
            )
        if found:
            warnings.warn(
                f"pytest-seldon-scaling: removed {len(found)} object(s) an earlier run left in "
                f"namespace {self.namespace} (it was stopped before cleaning up): "
                + ", ".join(found),
                stacklevel=2,
            )
        return found

    def close(self) -> None:
        """Stop load and port-forwards, remove what this run created, stop the watches."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        problems: builtins.list[str] = []
        try:
            for run in self._loads:
                stop = getattr(run, "stop", None)
                if callable(stop) and not run.done:
                    stop()
            if self._mesh is not None:
                self._mesh.close()
            problems = self.cleanup()
        finally:
            for watcher in self.watchers:
                watcher.stop()
            for watcher in self.watchers:
                watcher.join(timeout=5)
            self.api.close()
            _restore_sigterm(self._previous_sigterm)
            if self._on_close is not None:
                self._on_close()
        if problems:
            raise ClusterError("cleanup left objects behind:\n  " + "\n  ".join(problems))


def infer_rps_window(rules: builtins.list[dict]) -> float | None:
    """The rate window (seconds) of the first rule serving ``infer_rps`` on Models and Servers
    from the agents' ``seldon_model_infer_total``; None when no rule does.

    Rules the twin's parser cannot read (other metrics, other query shapes) are skipped: a
    user's adapter holds more than the Seldon rule.
    """
    for rule in rules:
        configmap = {"kind": "ConfigMap", "metadata": {"name": "adapter"}, "data": {}}
        configmap["data"]["config.yaml"] = yaml.safe_dump({"rules": [rule]})
        try:
            (parsed,) = parse_adapter_config(configmap)
        except (AdapterConfigError, ValueError):
            continue
        if (
            parsed.series == SELDON_INFER_SERIES
            and parsed.metric_name() == "infer_rps"
            and parsed.label_for("mlops.seldon.io", "model") is not None
            and parsed.label_for("mlops.seldon.io", "server") is not None
        ):
            return parsed.window
    return None


def _cleanup_on_sigterm() -> Any:
    """Make SIGTERM stop the run as Ctrl-C does (KeyboardInterrupt), so cleanup runs.

    Only when nothing else handles SIGTERM and this is the main thread (signal handlers can
    be set nowhere else); the previous handler, to restore at close, else None.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum} (SIGTERM)")

    signal.signal(signal.SIGTERM, interrupt)
    return signal.SIG_DFL


def _restore_sigterm(previous: Any) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


def _summary(obj: dict | None) -> str:
    if obj is None:
        return "absent"
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    parts = [ref_of(obj)]
    if "replicas" in spec:
        parts.append(f"spec.replicas={spec['replicas']}")
    if "replicas" in status:
        parts.append(f"status.replicas={status['replicas']}")
    if is_terminating(obj):
        finalizers = obj.get("metadata", {}).get("finalizers") or []
        parts.append(f"terminating, finalizers={finalizers}")
    conditions = [
        f"{t}={s}" + (f" ({m or r})" if s != "True" and (m or r) else "")
        for t, (s, r, m) in conditions_of(obj).items()
    ]
    if conditions:
        parts.append("conditions: " + ", ".join(conditions))
    return " ".join(parts)


def _yaml_dump(items: builtins.list[dict]) -> str:
    cleaned = []
    for item in items:
        item = copy.deepcopy(item)
        item.get("metadata", {}).pop("managedFields", None)
        cleaned.append(item)
    return yaml.safe_dump_all(cleaned, sort_keys=False) if cleaned else "# none\n"


def _hpa_conditions(hpas: builtins.list[dict]) -> str:
    lines = []
    for hpa in hpas:
        status = hpa.get("status") or {}
        lines.append(
            f"{ref_of(hpa)}: current={status.get('currentReplicas')} "
            f"desired={status.get('desiredReplicas')} metrics={status.get('currentMetrics')}"
        )
        for type_, (state, reason, message) in conditions_of(hpa).items():
            lines.append(f"  {type_}={state} {reason}: {message}")
    return "\n".join(lines) + "\n" if lines else "no HPA in the namespace\n"


def _events_text(events: builtins.list[dict]) -> str:
    def when(event: dict) -> str:
        return str(
            event.get("lastTimestamp")
            or event.get("eventTime")
            or event.get("metadata", {}).get("creationTimestamp")
            or ""
        )

    rows = []
    for event in sorted(events, key=when):
        target = event.get("involvedObject") or {}
        rows.append(
            f"{when(event)} {event.get('type', '')} {target.get('kind', '')}/"
            f"{target.get('name', '')} {event.get('reason', '')} x{event.get('count', 1)}: "
            f"{event.get('message', '')}"
        )
    return "\n".join(rows) + "\n" if rows else "no events\n"
