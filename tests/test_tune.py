"""``seldon-scaling tune``: what a replay cost, what a candidate changes, the front, the command."""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.timeline import Timeline, TrafficSecond
from pytest_seldon_scaling.tune import (
    SLO,
    Candidate,
    Outcome,
    hpa_spec,
    manifest_patch,
    measure,
    model_hpas,
    pareto_front,
    parse_slos,
    recommend,
    with_candidate,
)

pytest.importorskip("optuna")

API = "mlops.seldon.io/v1alpha1"


def test_measure_integrates_replicas_and_counts_slo_misses():
    timeline = Timeline()
    timeline.record_replicas(0, "model/m", 1, 1, 1)
    timeline.record_replicas(1800, "model/m", 3, 3, 3)
    timeline.record_replicas(0, "server/s", 1, 1, 1)
    timeline.record_replicas(900, "server/s", 2, 2, 2)
    timeline.record_condition(600, "model/m", "ModelReady", "False", "", "ScheduleFailed")
    timeline.record_condition(660, "model/m", "ModelReady", "True", "", "")
    timeline.record_traffic(TrafficSecond(10, "m", 5, 5, 5, {}, 1.0, 2.0, 30.0))
    timeline.record_traffic(TrafficSecond(11, "m", 5, 5, 3, {"503": 2}, 1.0, 2.0, 300.0))
    outcome = measure(timeline, 0, 3600, ["m"], max_p99_ms=100)
    assert outcome.replica_hours == pytest.approx(0.5 * 1 + 0.5 * 3)
    assert outcome.server_pod_hours == pytest.approx(0.25 * 1 + 0.75 * 2)
    assert (outcome.sent, outcome.failed, outcome.seconds_over_p99) == (10, 2, 1)
    assert outcome.schedule_failed_seconds == 60
    # a ScheduleFailed that never clears counts until the end of the window
    timeline.record_condition(3000, "model/m", "ModelReady", "False", "", "ScheduleFailed")
    assert measure(timeline, 0, 3600, ["m"], None).schedule_failed_seconds == 60 + 600


PARAMS = {
    "average_value": 12.5,
    "min_replicas": 2,
    "headroom": 1.2,
    "up_window": 30,
    "down_window": 240,
    "up_percent": 200,
    "down_percent": 25,
}


def hpa(name: str, model: str) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": API, "kind": "Model", "name": model},
            "minReplicas": 1,
            "maxReplicas": 3,
            "metrics": [
                {
                    "type": "Object",
                    "object": {
                        "metric": {"name": "infer_rps"},
                        "describedObject": {"apiVersion": API, "kind": "Model", "name": model},
                        "target": {"type": "AverageValue", "averageValue": 5},
                    },
                }
            ],
        },
    }


def test_max_replicas_follows_the_docs_rule_with_headroom():
    # peak 100 rps / 12.5 per replica = 8 replicas, x 1.2 headroom -> 10
    assert hpa_spec(PARAMS, 100.0)["maxReplicas"] == 10
    # never below minReplicas
    assert hpa_spec(PARAMS, 1.0)["maxReplicas"] == 2


def test_a_candidate_changes_only_the_replayed_models_hpas():
    objects = [hpa("a-hpa", "a"), hpa("b-hpa", "b")]
    changed = with_candidate(objects, PARAMS, {"a": 50.0})
    a, b = model_hpas(changed)
    assert a["spec"]["maxReplicas"] == math.ceil(50 / 12.5 * 1.2)
    assert a["spec"]["metrics"][0]["object"]["target"]["averageValue"] == "12.5"
    assert a["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 240
    assert b == objects[1] and objects[0]["spec"]["maxReplicas"] == 3  # inputs untouched
    patch = list(yaml.safe_load_all(manifest_patch(objects, PARAMS, {"a": 50.0})))
    assert [p["metadata"]["name"] for p in patch] == ["a-hpa"]
    assert patch[0]["spec"]["behavior"]["scaleUp"]["policies"] == [
        {"type": "Percent", "value": 200, "periodSeconds": 15}
    ]


def candidate(number: int, *values: float) -> Candidate:
    return Candidate(number, {}, Outcome(values[0], values[1], int(values[2]), 0, values[3]))


def test_the_front_drops_dominated_candidates_and_the_cheapest_meeting_slos_wins():
    cheap_failing = candidate(0, 1.0, 1.0, 50, 0)
    good = candidate(1, 3.0, 2.0, 0, 0)
    dear = candidate(2, 5.0, 2.0, 0, 0)
    dominated = candidate(3, 4.0, 3.0, 10, 0)
    front = pareto_front([cheap_failing, good, dear, dominated])
    assert [c.number for c in front] == [0, 1]
    assert recommend(front, SLO()).number == 1
    assert recommend([cheap_failing], SLO()) is None
    assert recommend([cheap_failing], SLO(max_failed=50)).number == 0


def test_slo_flags_and_their_errors():
    slo = parse_slos(["failed=3", "p99-ms=200", "over-p99=1m", "schedule-failed=30s"])
    assert slo == SLO(max_failed=3, p99_ms=200, max_over_p99=60, max_schedule_failed=30)
    with pytest.raises(ValueError, match="--slo latency=1: use failed=N"):
        parse_slos(["latency=1"])
    with pytest.raises(ValueError, match="--slo over-p99=soon"):
        parse_slos(["over-p99=soon"])


def write_setup(tmp_path) -> tuple[str, str]:
    """One Server (may grow to 6) with two Models and their HPAs; a short bursty trace."""
    docs = [
        {
            "apiVersion": API,
            "kind": "Server",
            "metadata": {"name": "mlserver"},
            "spec": {"serverConfig": "mlserver", "replicas": 1, "minReplicas": 1, "maxReplicas": 6},
        }
    ]
    for name in ("a", "b"):
        docs.append(
            {
                "apiVersion": API,
                "kind": "Model",
                "metadata": {"name": name},
                "spec": {
                    "storageUri": "gs://seldon-models/testing/iris1",
                    "requirements": ["sklearn"],
                    "memory": "50M",
                    "replicas": 1,
                    "server": "mlserver",
                },
            }
        )
        docs.append(hpa(f"{name}-hpa", name))
    manifests = tmp_path / "setup.yaml"
    manifests.write_text(yaml.safe_dump_all(docs))
    rows = ["time,a,b"] + [f"{60 * k},{2 + 18 * (8 <= k < 14)},3" for k in range(21)]
    trace = tmp_path / "day.csv"
    trace.write_text("\n".join(rows) + "\n")
    return str(manifests), str(trace)


def test_tune_prints_the_front_and_the_recommended_patch(tmp_path, capsys):
    manifests, trace = write_setup(tmp_path)
    plot, patch = tmp_path / "front.svg", tmp_path / "patch.yaml"
    args = ["tune", "--manifests", manifests, "--traffic", trace, "--trials", "8"]
    args += ["--population", "4", "--plot", str(plot), "--patch", str(patch)]
    code = main(args)
    out, err = capsys.readouterr()
    assert "Pareto front:" in out and "of 8 candidates" in out
    assert "scored 8/8 candidates" in err
    assert plot.read_text().startswith("<svg")
    # the seeded search over this setup finds candidates meeting the default SLOs
    assert code == 0, out
    assert "Recommended (*): candidate" in out
    # eight dots, the recommended one red and drawn last (never hidden under another)
    circles = plot.read_text().split("<circle")[1:]
    assert len(circles) == 8 and 'fill="#d62728"' in circles[-1]
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(patch.read_text())]
    assert names == ["a-hpa", "b-hpa"]


def front_of(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Pareto front"))
    return lines[start:]


def test_same_seed_same_front_with_one_or_two_processes(tmp_path, capsys):
    manifests, trace = write_setup(tmp_path)
    base = ["tune", "--manifests", manifests, "--traffic", trace, "--trials", "8"]
    base += ["--population", "4", "--seed", "3"]
    main(base)
    serial = front_of(capsys.readouterr().out)
    main([*base, "--jobs", "2"])
    assert front_of(capsys.readouterr().out) == serial
    main([*base[:-1], "4"])
    assert front_of(capsys.readouterr().out) != serial


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--worker", "0/2"], "--worker needs --storage"),
        (["--worker", "2/2", "--storage", "sqlite://"], "I must be in 0..N-1"),
        (["--slo", "fast=1"], "--slo fast=1"),
        (["--trials", "0"], "--trials ≥ 1"),
    ],
)
def test_bad_tune_arguments(tmp_path, capsys, extra, message):
    manifests, trace = write_setup(tmp_path)
    assert main(["tune", "--manifests", manifests, "--traffic", trace, *extra]) == 2
    assert message in capsys.readouterr().err


# -- distributed: a real PostgreSQL ------------------------------------------------------


def postgres_binary(name: str) -> str | None:
    """On PATH, or where Debian's postgresql package puts it (not on PATH there)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


INITDB, POSTGRES = postgres_binary("initdb"), postgres_binary("postgres")
needs_postgres = pytest.mark.skipif(
    not (INITDB and POSTGRES),
    reason="needs PostgreSQL's initdb and postgres on PATH (apt-get install -y postgresql)",
)


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; this machine's CI is root, so drop to 'postgres'."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    root = Path(tempfile.mkdtemp(prefix="seldon-tune-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = free_port()
    subprocess.run(
        as_postgres([INITDB, "-D", str(data), "-A", "trust", "-U", "tune"]),
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        as_postgres(
            [POSTGRES, "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(root)]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import psycopg

    url = f"postgresql+psycopg://tune@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={port} user=tune dbname=postgres").close()
                break
            except psycopg.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("postgres did not start")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@needs_postgres
def test_two_workers_on_postgresql_find_the_local_front(postgres_url, tmp_path, capsys):
    """A coordinator asks each generation into PostgreSQL, two ``--worker I/2`` processes score.

    PostgreSQL runs on 127.0.0.1 with a cluster initialised in a temporary directory; the
    front must be the one a local run with the same seed finds.
    """
    pytest.importorskip("psycopg")
    manifests, trace = write_setup(tmp_path)
    base = ["--manifests", manifests, "--traffic", trace, "--trials", "8", "--population", "4"]
    base += ["--seed", "5"]
    main(["tune", *base])
    local = front_of(capsys.readouterr().out)

    shared = [*base, "--storage", postgres_url, "--study", "t1"]
    command = [sys.executable, "-m", "pytest_seldon_scaling.cli", "tune", *shared]
    coordinator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    first = coordinator.stdout.readline()  # the study exists once the coordinator says so
    assert first.startswith("Tune: 8 candidates"), first
    workers = [
        subprocess.Popen([*command, "--worker", f"{i}/2"], stdout=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    try:
        out = first + coordinator.communicate(timeout=300)[0]
        said = [w.communicate(timeout=120)[0] for w in workers]
    finally:
        for process in (coordinator, *workers):
            process.kill()
    assert coordinator.returncode in (0, 1), out
    assert front_of(out) == local
    # both workers did a share of the work (trials 0, 2, 4, 6 and 1, 3, 5, 7)
    assert said == ["worker 0/2: scored 4 candidates\n", "worker 1/2: scored 4 candidates\n"]


def test_a_worker_without_a_coordinator_gives_up_and_says_why(tmp_path):
    from pytest_seldon_scaling.tune import SLO, Problem, Space, open_study, work

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    problem = Problem([], {}, {}, "2.10", 0, SLO(), Space(average_value=(1.0, 2.0)))
    with pytest.raises(TimeoutError, match=r"'missing' for 0\.5 s: is the coordinator"):
        work(problem, storage, "missing", 0, 2, trials=4, poll=0.1, idle=0.5)
    open_study("idle", 0, 4, storage)  # a study nobody asks trials of
    with pytest.raises(TimeoutError, match=r"'idle' for 0\.5 s"):
        work(problem, storage, "idle", 0, 2, trials=4, poll=0.1, idle=0.5)


def test_a_replay_pauses_the_cycle_collector_and_gives_it_back():
    import gc

    from pytest_seldon_scaling.tune import cycle_collection_paused

    seen = []
    with cycle_collection_paused():
        seen.append(gc.isenabled())
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:  # a caller that had it off keeps it off
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
