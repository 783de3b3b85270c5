"""Our pytest plugin loads beside Locust's (which owns ``--host``/``-H``, ``session``,
``fastsession``), none of our names clash with it, and neither patches pytest with gevent."""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["pytester"]

PROBE = """
import sys

def test_probe(request):
    config = request.config
    plugins = config.pluginmanager
    assert plugins.get_plugin("seldon_scaling") is not None, "our plugin did not load"
    assert plugins.get_plugin("locust") is not None, "Locust's plugin did not load"
    assert config.getoption("--host") == "http://127.0.0.1:9"  # still Locust's option

    assert "gevent" not in sys.modules and "locust" not in sys.modules
"""


def test_both_plugins_load_and_keep_their_own_names(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_probe=PROBE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--host=http://127.0.0.1:9")
    result.assert_outcomes(passed=1)


def help_names(pytester: pytest.Pytester, *args: str) -> set[str]:
    """Option flags and ini keys ``pytest --help`` lists."""
    result = pytester.runpytest_subprocess("--help", "-p", "no:cacheprovider", *args)
    assert result.ret == 0, result.stderr.str()
    names = set()
    for line in result.stdout.lines:
        names.update(re.findall(r"(?:^  |, )(--?[\w-]+)", line))
        names.update(re.findall(r"^  ([a-z][\w]+) \(", line))  # ini keys: "  name (type):"
    return names


def test_every_option_and_ini_key_of_ours_starts_with_seldon(pytester: pytest.Pytester) -> None:
    with_ours = help_names(pytester)
    without = help_names(pytester, "-p", "no:seldon_scaling")
    ours = with_ours - without
    assert "--host" in without and "--host" in with_ours  # Locust's, unchanged
    assert ours, "our plugin adds no option"
    assert sorted(n for n in ours if not n.lstrip("-").startswith("seldon")) == []


def fixtures_by_plugin(text: str) -> dict[str, list[str]]:
    """``pytest --fixtures`` output -> {defining module: [fixture names]}."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^-+ fixtures defined from (\S+) -+$", line)
        if match:
            current = found.setdefault(match.group(1), [])
        elif current is not None and re.match(r"^\w", line):
            current.append(line.split()[0])
    return found


def test_fixtures_keep_their_owners(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stderr.str()
    owners = fixtures_by_plugin(result.stdout.str())
    assert owners["pytest_locust.plugin"] == ["session", "fastsession"]
    ours = owners["pytest_seldon_scaling.plugin"]
    assert ours and [name for name in ours if not name.startswith("seldon")] == []
