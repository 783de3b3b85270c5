"""The package as a user gets it: the built wheel in a fresh virtualenv, outside this checkout.

One module-scoped install (about 10 s: build the wheel from a copy of the sources, a venv
without system site-packages, ``pip install`` of the wheel and its core dependencies from the
configured index), then a small user repository in a temporary directory: their manifests in
``deploy/`` and a test file of their own using the public fixtures. Nothing runs from here:
no checkout on ``sys.path``, no ``conftest.py`` copied, the working directory is the user's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
EXAMPLES = CHECKOUT / "tests" / "examples"


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{done.args}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (an in-tree build would leave build/ here)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(
        CHECKOUT / "pytest_seldon_scaling", source / "pytest_seldon_scaling", ignore=ignore
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(CHECKOUT / name, source / name)
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(source)]
    _ok(_run(pip, work))
    return next(work.glob("pytest_seldon_scaling-*.whl"))


@pytest.fixture(scope="module")
def python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv's python with the wheel installed (core dependencies only: no extras)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    python = env_dir / "bin" / "python"
    _ok(_run([str(python), "-m", "pip", "install", "-q", str(wheel)], env_dir))
    return python


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A user's repository: ``deploy/`` with their manifests, their own test file beside it."""
    shutil.copytree(EXAMPLES / "manifests", tmp_path / "deploy")
    test = (EXAMPLES / "test_iris_autoscaling.py").read_text(encoding="utf-8")
    (tmp_path / "test_iris.py").write_text(
        test.replace('Path(__file__).parent / "manifests"', 'Path(__file__).parent / "deploy"'),
        encoding="utf-8",
    )
    return tmp_path


def test_the_wheel_ships_the_suites_and_every_default_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = CHECKOUT / "pytest_seldon_scaling"
    expected = {
        path.relative_to(CHECKOUT).as_posix()
        for pattern in ("suites/*.py", "defaults/**/*.yaml")
        for path in package.glob(pattern)
    }
    assert expected, "nothing to look for: the suites or the defaults moved"
    assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"


def test_nothing_is_imported_from_the_checkout(python: Path, user_repo: Path) -> None:
    code = (
        "import sys, pytest_seldon_scaling.plugin, pytest_seldon_scaling.suites.conftest\n"
        "from pytest_seldon_scaling import resources\n"
        "paths = [m.__file__ for n, m in sys.modules.items()\n"
        "         if n.startswith('pytest_seldon_scaling') and getattr(m, '__file__', None)]\n"
        "paths += [str(resources.default_manifests()), str(resources.kind_config())]\n"
        "print('\\n'.join(paths))\n"
    )
    paths = _ok(_run([str(python), "-c", code], user_repo)).stdout.split()
    site = Path(python).parent.parent
    assert len(paths) > 3
    assert all(Path(p).resolve().is_relative_to(site.resolve()) for p in paths), paths
    assert not any(Path(p).resolve().is_relative_to(CHECKOUT) for p in paths), paths


def test_the_shipped_suites_pass_on_the_users_manifests(python: Path, user_repo: Path) -> None:
    suites = ["--pyargs", "pytest_seldon_scaling.suites", "--seldon-cluster"]
    options = ["--seldon-manifests", "deploy/", "--seldon-report=report", "-p", "no:cacheprovider"]
    done = _ok(_run([str(python), "-m", "pytest", *suites, *options], user_repo))
    assert "seldon-scaling conformance (twin, Core 2 2.10, seed 0): PASSED" in done.stdout
    text = (user_repo / "report" / "report.json").read_text(encoding="utf-8")
    assert str(CHECKOUT) not in text + done.stdout  # no file of the checkout was read
    report = json.loads(text)
    assert report["summary"]["status"] == "passed"
    assert report["summary"]["passed"] > 0
    # the user's manifests were tested, not the package's defaults
    sources = json.dumps(report["checks"])
    assert "iris" in sources and "iris-shared" not in sources


def test_check_is_the_short_spelling_of_the_suites_run(python: Path, user_repo: Path) -> None:
    command = [str(python.parent / "seldon-scaling"), "check", "--manifests", "deploy/"]
    done = _ok(_run([*command, "--report", "report", "--", "-p", "no:cacheprovider"], user_repo))
    assert "PASSED" in done.stdout
    assert json.loads((user_repo / "report" / "report.json").read_text())["summary"]["passed"]


def test_the_users_own_test_runs_with_the_public_fixtures(python: Path, user_repo: Path) -> None:
    command = [str(python), "-m", "pytest", "--seldon-cluster", "test_iris.py", "-p"]
    done = _ok(_run([*command, "no:cacheprovider", "--seldon-report=report"], user_repo))
    assert "1 passed" in done.stdout
    report = json.loads((user_repo / "report" / "report.json").read_text(encoding="utf-8"))
    assert [(c["status"], c["approach"]) for c in report["checks"]] == [("passed", "Your tests")]


def test_a_real_cluster_without_the_extras_stops_with_the_pip_line(
    python: Path, user_repo: Path
) -> None:
    command = [str(python), "-m", "pytest", "--seldon-cluster=kind", "test_iris.py"]
    done = _run([*command, "-p", "no:cacheprovider"], user_repo)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert (
        "--seldon-cluster=kind needs the [kind,load] extras (missing kubernetes, tenacity, "
        "pytest_kind, locust): pip install 'pytest-seldon-scaling[kind,load]'"
    ) in done.stderr
