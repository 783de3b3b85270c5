"""pytest entry point (``pytest11``: ``seldon_scaling``): options, markers, fixtures, report.

Fixtures (the public API for your own tests):

* ``seldon`` — a per-test :class:`~pytest_seldon_scaling.handle.SeldonHandle`: apply manifests,
  start load, wait, read objects; what the test created is removed afterwards. On the twin each
  test gets its own namespace-in-a-box (own objects, own clock), so tests never see each other.
* ``seldon_load`` — ``seldon_load(model, profile) -> LoadRun``.
* ``seldon_cluster`` — the session's cluster (one kind or existing cluster for the whole run).
* ``seldon_session`` — opens further handles (``with seldon_session.open("name") as h:``), e.g.
  for a scenario shared by several checks in a module-scoped fixture.
* ``seldon_settings`` — the run's settings as this test's ``seldon`` marker changes them
  (per test; ``seldon_session.settings`` are the session's).
* ``seldon_manifests``, ``seldon_evidence``.

Tests that need a cluster are skipped unless ``--seldon-cluster`` is given.

The session's verdict (terminal line, ``report.json`` status, HTML badge) counts every test that
uses one of these fixtures or the ``seldon``/``seldon_check`` markers, and any other failed test
of the session; a run stopped by Ctrl-C, SIGTERM or collection errors is ``interrupted``. Under
pytest-xdist each worker hands its results to the controlling process, which writes the report.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .options import CLUSTER_MODES, OPTIONS, add_options

# Everything else is imported where it is used: this module loads in every pytest run of everyone
# who has the package installed, and most of those runs never touch Seldon (bench/startup_bench.py).
if TYPE_CHECKING:
    from .cluster import LoadRun, SeldonCluster
    from .handle import SeldonHandle
    from .load.profile import LoadProfile
    from .manifests import Manifest
    from .report import CheckResult, RunFacts, ScenarioRecord
    from .settings import SeldonSettings

NO_CLUSTER = (
    "needs a Seldon Core 2 cluster: run pytest with --seldon-cluster (the embedded twin, no "
    "Docker needed) or --seldon-cluster=kind|existing"
)
MARKER_KEYWORDS = ("core_version", "timeout", "seed", "twin")
# A test that uses any of these (or a seldon/seldon_check marker) is a check in the report.
FIXTURES = frozenset(
    {
        "seldon",
        "seldon_load",
        "seldon_cluster",
        "seldon_session",
        "seldon_settings",
        "seldon_manifests",
        "seldon_evidence",
    }
)
# Manifests of these kinds are what a --seldon-manifests path must hold to be tested.
SETUP_KINDS = frozenset({"Model", "Server", "ServerConfig", "HorizontalPodAutoscaler"})
# attribute of a pytest-xdist worker's test reports carrying its results to the controller
REPORT_ATTRIBUTE = "seldon_scaling"


class SeldonRun:
    """What the session collects for the conformance report.

    A plain class, not a dataclass: this module is imported in every pytest run, and a
    dataclass is code generated and compiled at import time.
    """

    def __init__(self, settings: SeldonSettings, manifests: list[Manifest]) -> None:
        self.settings = settings
        self.manifests = manifests
        self.started = time.time()
        self.checks: list[CheckResult] = []
        self.scenarios: list[ScenarioRecord] = []
        self.report_paths: dict = {}
        self.other_failures = 0  # failed tests and collectors that are not checks
        self.interrupted = ""  # why the run stopped early ("" if it ran to the end)
        self._sent = (0, 0, 0)  # checks, scenarios, failures a pytest-xdist worker handed on
        self.served: dict = {}  # per Model, the service profile the twin serves it with

    def facts(self) -> RunFacts:
        import platform
        from importlib import metadata

        from .manifests import digest
        from .report import RunFacts

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
            interrupted=self.interrupted,
            other_failures=self.other_failures,
            warnings=self.settings.warnings(),
            service_profiles="; ".join(
                f"model/{m}: {p.describe()}" for m, p in sorted(self.served.items())
            ),
        )

    def take_unsent(self) -> str:
        """A pytest-xdist worker's results since the last call, as JSON for the controller."""
        checks, scenarios, failures = self._sent
        self._sent = (len(self.checks), len(self.scenarios), self.other_failures)
        return json.dumps(
            {
                "checks": [c.to_dict() for c in self.checks[checks:]],
                "scenarios": [s.to_dict() for s in self.scenarios[scenarios:]],
                "other_failures": self.other_failures - failures,
            },
            default=str,
        )

    def merge(self, text: str) -> None:
        """Take in what a worker's :meth:`take_unsent` sent."""
        from .report import CheckResult, ScenarioRecord

        data = json.loads(text)
        self.checks.extend(CheckResult.from_dict(c) for c in data["checks"])
        # With --dist load, two workers may each run a module's scenario: on the twin the
        # runs are identical (same seed, same timeline) and the report keeps one.
        seen = {json.dumps(s.to_dict(), sort_keys=True, default=str) for s in self.scenarios}
        for scenario in data["scenarios"]:
            if json.dumps(scenario, sort_keys=True, default=str) not in seen:
                self.scenarios.append(ScenarioRecord.from_dict(scenario))
        self.other_failures += data["other_failures"]


_RUN = pytest.StashKey[SeldonRun]()
REPORTS = pytest.StashKey[dict]()
EVIDENCE = pytest.StashKey[dict]()
HANDLE = pytest.StashKey["SeldonHandle"]()
_SIGTERM = pytest.StashKey[Any]()


def seldon_run(config: pytest.Config) -> SeldonRun:
    """The session's run, resolving the options on first use (see :func:`pytest_configure`)."""
    run = config.stash.get(_RUN, None)
    if run is None:
        run = config.stash[_RUN] = _resolve_run(config)
    return run


def _resolve_run(config: pytest.Config) -> SeldonRun:
    from .extras import MissingExtra, require
    from .settings import resolve

    settings = resolve(config)
    if settings.cluster in ("kind", "existing"):
        try:
            require(f"--seldon-cluster={settings.cluster}", "kind", "load")
        except MissingExtra as missing:
            raise pytest.UsageError(f"pytest-seldon-scaling: {missing}") from None
    run = SeldonRun(settings, _given_manifests(settings.manifests, settings.namespace))
    if settings.service_profiles and settings.cluster == "twin":
        from .service_profile import profiles_for_manifests

        try:
            run.served = profiles_for_manifests(settings.service_profiles, run.manifests)
        except ValueError as error:
            raise pytest.UsageError(
                f"pytest-seldon-scaling: --seldon-service-profile: {error}"
            ) from None
    return run


def _given_manifests(paths: tuple[Path, ...], namespace: str) -> list[Manifest]:
    """The manifests of every ``--seldon-manifests`` path; a path without any stops the run.

    Without this an empty directory (or one of other YAML) would have the suites test their own
    defaults and report PASSED for manifests nobody wrote. All paths load together, so checks
    across files (duplicate names, references) see them all.
    """
    from .manifests import ManifestError, load_manifests

    try:
        manifests = load_manifests(*paths, namespace=namespace)
    except ManifestError as error:
        raise pytest.UsageError(f"pytest-seldon-scaling: bad manifests:\n{error}") from None
    empty = [
        path
        for path in paths
        if not any(
            (m.is_helm_values or m.kind in SETUP_KINDS) and _is_within(Path(m.source), path)
            for m in manifests
        )
    ]
    if empty:
        raise pytest.UsageError(
            "pytest-seldon-scaling: bad manifests:\n"
            + "\n".join(
                f"--seldon-manifests={path}: no Seldon objects in it (Model, Server, "
                "ServerConfig, HorizontalPodAutoscaler or helm values)"
                for path in empty
            )
        )
    return manifests


def _is_within(source: Path, path: Path) -> bool:
    return source == path or path in source.parents


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
    config.stash[_WATCH] = _SessionWatch(config)
    config.pluginmanager.register(config.stash[_WATCH], "seldon_scaling_watch")
    # A run that names any Seldon option or ini key has it checked now, before collection; any
    # other run resolves the defaults only if a test asks for them, so it loads nothing more.
    if _mentions_seldon(config):
        run = seldon_run(config)
        if run.settings.enabled and threading.current_thread() is threading.main_thread():
            config.stash[_SIGTERM] = signal.signal(signal.SIGTERM, _make_sigterm_handler(run))
        if run.settings.enabled and _xdist_default_distribution(config):
            # a module's checks share its scenarios (module-scoped fixtures): keep them on one
            # worker, so each scenario runs once, unless the user chose --dist
            config.option.dist = "loadfile"
        if run.settings.cluster == "kind" and config.pluginmanager.has_plugin("pytest-kind"):
            # registered after every entry point, so this kind_cluster wins over pytest-kind's
            config.pluginmanager.register(_NoSecondKindCluster(), "seldon_scaling_kind_cluster")


def _xdist_default_distribution(config: pytest.Config) -> bool:
    typed = [str(arg) for arg in config.invocation_params.args]
    chosen = any(arg == "--dist" or arg.startswith("--dist=") for arg in typed)
    return getattr(config.option, "dist", "no") == "load" and not chosen


class _NoSecondKindCluster:
    @pytest.fixture(scope="session")
    def kind_cluster(self) -> None:
        """pytest-kind's fixture, which with --seldon-cluster=kind would be a second cluster."""
        pytest.fail(
            "kind_cluster is pytest-kind's own cluster (a second one, created with its own kind "
            "binary and deleted at the end); with --seldon-cluster=kind use the seldon_cluster "
            "fixture, the run's kind cluster",
            pytrace=False,
        )


def _mentions_seldon(config: pytest.Config) -> bool:
    if config.getoption("--seldon-cluster") is not None:
        return True
    if any(config.getoption(f"--seldon-{o.name}") is not None for o in OPTIONS):
        return True
    if config.getini("seldon_cluster") != "twin":
        return True
    return any(
        config.getini(f"seldon_{o.name.replace('-', '_')}") not in (None, "", [], o.default)
        for o in OPTIONS
    )


def _make_sigterm_handler(run: SeldonRun) -> Callable[[int, Any], None]:
    def on_sigterm(signum: int, frame: Any) -> None:
        # As Ctrl-C: pytest tears the fixtures down (the run's objects are removed) and
        # the report says interrupted, with the checks that finished.
        run.interrupted = "SIGTERM"
        raise KeyboardInterrupt("SIGTERM")

    return on_sigterm


def pytest_unconfigure(config: pytest.Config) -> None:
    previous = config.stash.get(_SIGTERM, None)
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


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
        settings = _scenario_settings(self.settings, core_version, seed, twin)
        if settings.cluster == "twin":
            cluster = _open_twin(
                settings, settings.core_version, settings.seed, twin or {}, self.run.served
            )
        else:
            cluster = self.shared()
        from .handle import SeldonHandle

        # --seldon-keep-cluster keeps the cluster, never one test's objects for the next
        handle = SeldonHandle(cluster, name=name, timeout=timeout or 600.0)
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
        from .report import ScenarioRecord

        timeline = handle.timeline
        if handle.backend != "twin":
            timeline = timeline.between(handle.started_at, handle.now())
        loads = [run.wait().to_dict() for run in handle.runs if run.done]
        self.run.scenarios.append(
            ScenarioRecord(handle.name, timeline, loads, approach, description)
        )


def _scenario_settings(
    session: SeldonSettings, core_version: str | None, seed: int | None, twin: dict | None
) -> SeldonSettings:
    """The settings one scenario runs with; a version the shared cluster lacks skips it."""
    settings = session.marked(core_version=core_version, seed=seed, twin=twin)
    shared = settings.cluster not in (None, "twin")  # a kind or existing cluster: one version
    if shared and settings.core_version != session.core_version:
        wanted, running = settings.core_version, session.core_version
        pytest.skip(f"needs Core 2 {wanted}; the cluster runs {running}")
    return settings


def _open_twin(
    settings: SeldonSettings, core_version: str, seed: int, overrides: dict, served: dict
) -> SeldonCluster:
    from .service_profile import serve_with
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
    cluster = TwinCluster(
        core_version=core_version, namespace=settings.namespace, seed=seed, settings=twin_settings
    )
    serve_with(cluster, served)
    return cluster


def _open_kube(run: SeldonRun) -> SeldonCluster:
    from .kube import PreflightFailed, open_kube_cluster

    settings = run.settings
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
            request_timeout=settings.request_timeout,
        )
    except PreflightFailed as failed:
        reason = f"--seldon-cluster={settings.cluster} cannot run here: {failed}"
        if settings.allow_skip:
            pytest.skip(reason)
        # Asked for by name, so a missing cluster is an error, never a run of skips that exits
        # 0 (CI would go green having checked nothing). --seldon-allow-skip opts into skipping.
        run.interrupted = reason
        pytest.exit(f"{reason} (--seldon-allow-skip skips instead)", returncode=4)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def seldon_settings(request: pytest.FixtureRequest) -> SeldonSettings:
    """The resolved ``--seldon-*`` options and ini keys, as this test's seldon marker sets them.

    Function-scoped because a marker is per test; wider-scoped fixtures read the session's
    settings from ``seldon_session.settings``.
    """
    options = _marker_options(request.node)
    return _scenario_settings(
        seldon_run(request.config).settings,
        options.get("core_version"),
        options.get("seed"),
        options.get("twin"),
    )


@pytest.fixture(scope="session")
def seldon_manifests(pytestconfig: pytest.Config) -> list[Manifest]:
    """The manifests given with ``--seldon-manifests`` (validated at start-up)."""
    return seldon_run(pytestconfig).manifests


@pytest.fixture(scope="session")
def seldon_cluster(pytestconfig: pytest.Config) -> Iterator[SeldonCluster]:
    """The session's cluster: a twin, a kind cluster or your existing cluster."""
    run = seldon_run(pytestconfig)
    settings = run.settings
    if not settings.enabled:
        pytest.skip(NO_CLUSTER)
    if settings.cluster == "twin":
        cluster = _open_twin(settings, settings.core_version, settings.seed, {}, run.served)
    else:
        cluster = _open_kube(run)
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def seldon_session(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> SeldonSession:
    """Opens scenario handles; see :meth:`SeldonSession.open`."""
    return SeldonSession(seldon_run(pytestconfig), request)


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
    run = request.config.stash.get(_RUN, None)  # None: no Seldon option given, nothing to add
    if run is None or not run.settings.enabled or request.config.option.xmlpath is None:
        return
    from .report import junit_properties

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
    import re

    collect = getattr(handle.cluster, "collect_artifacts", None)
    if collect is None or settings.report_dir is None:
        return
    collect(settings.report_dir / "artifacts" / re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid))


# -- checks and the report --------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    reports = item.stash.setdefault(REPORTS, {})
    reports[report.when] = report
    if report.when == "teardown":
        if _is_check(item):
            check = _check_result(item)
            seldon_run(item.config).checks.append(check)
            if item.get_closest_marker("seldon_check") is not None:
                _name_junit_testcase(item, check.id)
        elif any(r.failed for r in reports.values()):
            seldon_run(item.config).other_failures += 1
        if hasattr(item.config, "workerinput"):
            # A pytest-xdist worker: the results travel with the test's report (xdist sends a
            # report's attributes along), so the controller has every finished check even when
            # the run is interrupted before the workers end.
            setattr(report, REPORT_ATTRIBUTE, seldon_run(item.config).take_unsent())
    return report


class _SessionWatch:
    """Hooks that are not given the config: failed collectors, and why the run stopped."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.failed_collectors = 0

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.failed_collectors += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        sent = getattr(report, REPORT_ATTRIBUTE, None)
        if sent is not None and not hasattr(self.config, "workerinput"):
            seldon_run(self.config).merge(sent)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        run = self.config.stash.get(_RUN, None)
        if run is None or run.interrupted:
            return
        if isinstance(excinfo.value, pytest.Session.Interrupted):
            run.interrupted = str(excinfo.value)  # "1 error during collection"
        elif type(excinfo.value) is KeyboardInterrupt:
            run.interrupted = "Ctrl-C (KeyboardInterrupt)"
        else:
            run.interrupted = str(excinfo.value) or type(excinfo.value).__name__


_WATCH = pytest.StashKey[_SessionWatch]()


def _name_junit_testcase(item: pytest.Item, check_id: str) -> None:
    """JUnit names a check's testcase by its ID (``MHPA-01[iris-shared-model-hpa]``), as
    ``record_xml_attribute`` would; the classname keeps the module."""
    from _pytest.junitxml import xml_key

    xml = item.config.stash.get(xml_key, None)
    if xml is not None:
        xml.node_reporter(item.nodeid).add_attribute("name", check_id)


def _is_check(item: pytest.Item) -> bool:
    """A test that used the plugin: any of its fixtures or markers (yours included)."""
    names = getattr(item, "fixturenames", ())
    return (
        any(item.iter_markers("seldon_check"))
        or any(item.iter_markers("seldon"))
        or not FIXTURES.isdisjoint(names)
    )


def _check_result(item: pytest.Item) -> CheckResult:
    from .report import CheckResult
    from .settings import normalize_core_version

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
    version = _marker_options(item).get("core_version")
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
        core_version=(
            handle.core_version
            if handle
            else normalize_core_version(str(version))
            if version
            else seldon_run(item.config).settings.core_version
        ),
    )


def _failure_message(report: pytest.TestReport) -> str:
    """The assertion's own message (it carries the timeline table), not the traceback."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else report.longreprtext
    message = message.removeprefix("pytest_seldon_scaling.expect.ExpectationFailed: ")
    return message.removeprefix("Failed: ")[-6000:]  # pytest.fail(..., pytrace=False) prefix


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist starts the workers, which write artifacts
def pytest_sessionstart(session: pytest.Session) -> None:
    run = session.config.stash.get(_RUN, None)
    if run is None or run.settings.report_dir is None or hasattr(session.config, "workerinput"):
        return
    from .report import clear_report_dir

    clear_report_dir(run.settings.report_dir)


@pytest.hookimpl(trylast=True)  # after pytest's own teardown, so the last scenarios are recorded
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(_RUN, None)
    if run is None:
        return
    run.other_failures += session.config.stash[_WATCH].failed_collectors
    if exitstatus == pytest.ExitCode.INTERRUPTED and not run.interrupted:
        run.interrupted = "stopped before the end"
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker: its results went with its reports; the controller writes
    if run.settings.report_dir is None or not (run.checks or run.scenarios or run.interrupted):
        return
    from .report import write_report

    run.report_paths = write_report(run.settings.report_dir, run.facts(), run.checks, run.scenarios)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or not run.settings.enabled or not (run.checks or run.interrupted):
        return
    from .report import render_terminal_summary

    terminalreporter.write_sep("=", "Seldon Core 2 conformance")
    for line in render_terminal_summary(run.checks, run.facts()):
        terminalreporter.write_line(line)
    if run.report_paths:
        terminalreporter.write_line(f"report: {Path(run.report_paths['html']).resolve()}")
