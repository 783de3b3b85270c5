"""pytest entry point (``pytest11``: ``seldon_scaling``): options, markers, fixtures, report.

Fixtures (the public API for your own tests):

* ``seldon`` — a per-test :class:`~pytest_seldon_scaling.handle.SeldonHandle`: apply manifests,
  start load, wait, read objects; what the test created is removed afterwards. On the twin each
  test gets its own namespace-in-a-box (own objects, own clock), so tests never see each other.
* ``seldon_load`` — ``seldon_load(model, profile) -> LoadRun``.
* ``seldon_cluster`` — the session's cluster (one kind or existing cluster for the whole run).
* ``seldon_session`` — opens further handles (``with seldon_session.open("name") as h:``), e.g.
  for a scenario shared by several checks in a module-scoped fixture.
* ``seldon_settings``, ``seldon_manifests``, ``seldon_evidence``.

Tests that need a cluster are skipped unless ``--seldon-cluster`` is given.
"""

from __future__ import annotations

import platform
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest

from .cluster import LoadRun, SeldonCluster
from .handle import SeldonHandle
from .load.profile import LoadProfile
from .manifests import Manifest, ManifestError, digest, load_manifests
from .report import (
    CheckResult,
    RunFacts,
    ScenarioRecord,
    junit_properties,
    render_terminal_summary,
    write_report,
)
from .settings import CLUSTER_MODES, SeldonSettings, add_options, normalize_core_version, resolve

NO_CLUSTER = (
    "needs a Seldon Core 2 cluster: run pytest with --seldon-cluster (the embedded twin, no "
    "Docker needed) or --seldon-cluster=kind|existing"
)
MARKER_KEYWORDS = ("core_version", "timeout", "seed", "twin")


@dataclass
class SeldonRun:
    """What the session collects for the conformance report."""

    settings: SeldonSettings
    manifests: list[Manifest]
    started: float = field(default_factory=time.time)
    checks: list[CheckResult] = field(default_factory=list)
    scenarios: list[ScenarioRecord] = field(default_factory=list)
    report_paths: dict = field(default_factory=dict)

    def facts(self) -> RunFacts:
        return RunFacts(
            backend=self.settings.cluster or "none",
            core_version=self.settings.core_version,
            seed=self.settings.seed,
            namespace=self.settings.namespace,
            manifests_digest=digest(self.manifests) if self.manifests else "",
            pytest_version=pytest.__version__,
            python_version=platform.python_version(),
            plugin_version=metadata.version("pytest-seldon-scaling"),
            started=self.started,
            ended=time.time(),
        )


RUN = pytest.StashKey[SeldonRun]()
REPORTS = pytest.StashKey[dict]()
EVIDENCE = pytest.StashKey[dict]()
HANDLE = pytest.StashKey[SeldonHandle]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """Keep ``pytest --seldon-cluster suites/`` meaning "bare flag, then a path".

    The value of ``--seldon-cluster`` is optional, so argparse would take ``suites/`` as it;
    a following word that is not a cluster mode is left to be a path.
    """
    for index, arg in enumerate(args[:-1]):
        following = args[index + 1]
        if (
            arg == "--seldon-cluster"
            and following not in CLUSTER_MODES
            and not following.startswith("-")
        ):
            args[index] = "--seldon-cluster="


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "seldon(core_version=None, timeout=None, seed=None, twin=None): per-test Seldon "
        "settings; twin={...} overrides TwinSettings fields on the twin",
    )
    config.addinivalue_line(
        "markers",
        "seldon_check(id, title): a conformance check with a stable ID and the one-line "
        "statement of what it proves",
    )
    settings = resolve(config)
    try:
        manifests = (
            load_manifests(*settings.manifests, namespace=settings.namespace)
            if settings.manifests
            else []
        )
    except ManifestError as error:
        raise pytest.UsageError(f"pytest-seldon-scaling: bad manifests:\n{error}") from None
    config.stash[RUN] = SeldonRun(settings, manifests)


# -- opening clusters -------------------------------------------------------------------------


class SeldonSession:
    """The session's access to clusters: the shared one and per-scenario handles."""

    def __init__(self, run: SeldonRun, request: pytest.FixtureRequest) -> None:
        self.run = run
        self.settings = run.settings
        self._request = request

    def shared(self) -> SeldonCluster:
        return self._request.getfixturevalue("seldon_cluster")

    @contextmanager
    def open(
        self,
        name: str,
        *,
        core_version: str | None = None,
        seed: int | None = None,
        timeout: float | None = None,
        twin: dict | None = None,
        approach: str = "",
        description: str = "",
    ) -> Iterator[SeldonHandle]:
        """A handle for one scenario; its timeline and load results go into the report."""
        if not self.settings.enabled:
            pytest.skip(NO_CLUSTER)
        version = normalize_core_version(core_version) if core_version else None
        if self.settings.cluster == "twin":
            cluster = _open_twin(
                self.settings,
                version or self.settings.core_version,
                self.settings.seed if seed is None else seed,
                twin or {},
            )
        else:
            if version and version != self.settings.core_version:
                pytest.skip(
                    f"needs Core 2 {version}; the cluster runs {self.settings.core_version}"
                )
            cluster = self.shared()
        handle = SeldonHandle(
            cluster, name=name, keep=self.settings.keep_cluster, timeout=timeout or 600.0
        )
        try:
            yield handle
        finally:
            self._record(handle, approach, description)
            leftovers = handle.cleanup()
            if cluster.backend == "twin":
                cluster.close()
            if leftovers:
                raise RuntimeError("could not remove test objects: " + "; ".join(leftovers))

    def _record(self, handle: SeldonHandle, approach: str, description: str) -> None:
        timeline = handle.timeline
        if handle.backend != "twin":
            timeline = timeline.between(handle.started_at, handle.now())
        loads = [run.wait().to_dict() for run in handle.runs if run.done]
        self.run.scenarios.append(
            ScenarioRecord(handle.name, timeline, loads, approach, description)
        )


def _open_twin(
    settings: SeldonSettings, core_version: str, seed: int, overrides: dict
) -> SeldonCluster:
    from .twin import TwinCluster, TwinSettings

    twin_settings = TwinSettings(
        server_autoscaling_enabled=settings.server_autoscaling,
        server_packing_enabled=settings.packing,
        server_packing_percentage=settings.packing_percentage,
        model_autoscaling_enabled=settings.model_autoscaling,
        request_timeout_seconds=settings.request_timeout,
    )
    try:
        twin_settings = twin_settings.with_(**overrides)
    except TypeError as error:
        raise pytest.UsageError(f"@pytest.mark.seldon(twin=...): {error}") from None
    return TwinCluster(
        core_version=core_version, namespace=settings.namespace, seed=seed, settings=twin_settings
    )


def _open_kube(settings: SeldonSettings) -> SeldonCluster:
    from .kube import PreflightFailed, open_kube_cluster

    try:
        return open_kube_cluster(
            settings.cluster,  # type: ignore[arg-type]
            namespace=settings.namespace,
            kube_context=settings.kube_context,
            kubeconfig=settings.kubeconfig,
            keep=settings.keep_cluster,
            core_version=settings.core_version,
            report_dir=settings.report_dir,
            seed=settings.seed,
            helm_settings=settings.helm_settings(),
            kind_binary=settings.kind_binary,
            kubectl_binary=settings.kubectl_binary,
            helm_binary=settings.helm_binary,
            cluster_name=settings.cluster_name,
        )
    except PreflightFailed as failed:
        pytest.skip(f"--seldon-cluster={settings.cluster} cannot run here: {failed}")


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def seldon_settings(pytestconfig: pytest.Config) -> SeldonSettings:
    """The resolved ``--seldon-*`` options and ini keys."""
    return pytestconfig.stash[RUN].settings


@pytest.fixture(scope="session")
def seldon_manifests(pytestconfig: pytest.Config) -> list[Manifest]:
    """The manifests given with ``--seldon-manifests`` (validated at start-up)."""
    return pytestconfig.stash[RUN].manifests


@pytest.fixture(scope="session")
def seldon_cluster(pytestconfig: pytest.Config) -> Iterator[SeldonCluster]:
    """The session's cluster: a twin, a kind cluster or your existing cluster."""
    settings = pytestconfig.stash[RUN].settings
    if not settings.enabled:
        pytest.skip(NO_CLUSTER)
    if settings.cluster == "twin":
        cluster = _open_twin(settings, settings.core_version, settings.seed, {})
    else:
        cluster = _open_kube(settings)
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def seldon_session(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> SeldonSession:
    """Opens scenario handles; see :meth:`SeldonSession.open`."""
    return SeldonSession(pytestconfig.stash[RUN], request)


@pytest.fixture
def seldon_evidence(request: pytest.FixtureRequest) -> dict:
    """A dict whose contents become this check's evidence in the report."""
    return request.node.stash.setdefault(EVIDENCE, {})


@pytest.fixture
def seldon(request: pytest.FixtureRequest, seldon_session: SeldonSession) -> Iterator[SeldonHandle]:
    """A handle on a Seldon Core 2 cluster for this test."""
    options = _marker_options(request.node)
    with seldon_session.open(request.node.nodeid, **options) as handle:
        request.node.stash[HANDLE] = handle
        yield handle
        call = request.node.stash.get(REPORTS, {}).get("call")
        if call is not None and call.failed:
            _collect_artifacts(handle, seldon_session.settings, request.node.nodeid)


@pytest.fixture
def seldon_load(seldon: SeldonHandle) -> Callable[[str, LoadProfile], LoadRun]:
    """``seldon_load(model, profile)`` starts load on the test's cluster and returns the run."""
    return seldon.load


@pytest.fixture(scope="session", autouse=True)
def _seldon_suite_properties(request: pytest.FixtureRequest) -> None:
    run = request.config.stash[RUN]
    if not run.settings.enabled or request.config.option.xmlpath is None:
        return
    record = request.getfixturevalue("record_testsuite_property")
    for name, value in junit_properties(run.facts()):
        record(name, value)


def _marker_options(node: pytest.Item) -> dict:
    options: dict = {}
    for marker in reversed(list(node.iter_markers("seldon"))):
        unknown = set(marker.kwargs) - set(MARKER_KEYWORDS)
        if marker.args or unknown:
            raise pytest.UsageError(
                f"{node.nodeid}: @pytest.mark.seldon takes only keywords "
                f"{', '.join(MARKER_KEYWORDS)}; got {marker.args or sorted(unknown)}"
            )
        options.update(marker.kwargs)
    return options


def _collect_artifacts(handle: SeldonHandle, settings: SeldonSettings, nodeid: str) -> None:
    collect = getattr(handle.cluster, "collect_artifacts", None)
    if collect is None or settings.report_dir is None:
        return
    collect(settings.report_dir / "artifacts" / re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid))


# -- checks and the report --------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    if report.when == "teardown" and _is_check(item):
        item.config.stash[RUN].checks.append(_check_result(item))
    return report


def _is_check(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("seldon_check") is not None or "seldon" in names


def _check_result(item: pytest.Item) -> CheckResult:
    reports = item.stash[REPORTS]
    marker = item.get_closest_marker("seldon_check")
    check_id, title = ((*marker.args, None, None))[:2] if marker else (None, None)
    if check_id and hasattr(item, "callspec"):
        check_id = f"{check_id}[{item.callspec.id}]"
    status, message = "passed", ""
    for when in ("setup", "call", "teardown"):
        report = reports.get(when)
        if report is None:
            continue
        if report.skipped:
            status = "skipped"
            message = _skip_reason(report)
            break
        if report.failed:
            status = "failed" if when == "call" else "error"
            message = _failure_message(report)
            break
    duration = sum(r.duration for r in reports.values())
    started = reports["setup"].start if "setup" in reports else None
    handle = item.stash.get(HANDLE, None)
    evidence = item.stash.get(EVIDENCE, {})
    return CheckResult(
        id=check_id or item.nodeid,
        approach=getattr(getattr(item, "module", None), "APPROACH", "Your tests"),
        title=title or (item.function.__doc__ or item.name).strip().splitlines()[0],  # type: ignore[attr-defined]
        status=status,
        duration=duration,
        message=message,
        evidence=evidence,
        started=started,
        ended=reports["teardown"].stop if "teardown" in reports else None,
        scenario=handle.name if handle else evidence.get("scenario"),
    )


def _failure_message(report: pytest.TestReport) -> str:
    """The assertion's own message (it carries the timeline table), not the traceback."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else report.longreprtext
    return message.removeprefix("pytest_seldon_scaling.expect.ExpectationFailed: ")[-6000:]


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN, None)
    if run is None or run.settings.report_dir is None or not (run.checks or run.scenarios):
        return
    run.report_paths = write_report(run.settings.report_dir, run.facts(), run.checks, run.scenarios)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = config.stash.get(RUN, None)
    if run is None or not run.settings.enabled or not run.checks:
        return
    terminalreporter.write_sep("=", "Seldon Core 2 conformance")
    for line in render_terminal_summary(run.checks, run.facts()):
        terminalreporter.write_line(line)
    if run.report_paths:
        terminalreporter.write_line(f"report: {Path(run.report_paths['html']).resolve()}")
