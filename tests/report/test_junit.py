"""JUnit as CI shows it: a check's testcase is named by its ID, its failure is its message."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pytest_seldon_scaling.resources import default_manifests

pytest_plugins = ["pytester"]


def test_a_failing_suite_check_reads_as_its_id_message_and_timeline(pytester, tmp_path):
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    for path in default_manifests().iterdir():
        text = path.read_text()
        if path.name == "servers.yaml":  # the shared Server can no longer hold 3 replicas
            text = text.replace(
                "  name: mlserver-shared\n  namespace: seldon-mesh\nspec:\n  serverConfig: "
                "mlserver\n  replicas: 1\n  minReplicas: 1\n  maxReplicas: 3",
                "  name: mlserver-shared\n  namespace: seldon-mesh\nspec:\n  serverConfig: "
                "mlserver\n  replicas: 1\n  minReplicas: 1\n  maxReplicas: 2",
            )
            assert "maxReplicas: 2" in text
        (manifests / path.name).write_text(text)
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "--seldon-cluster",
        "--pyargs",
        "pytest_seldon_scaling.suites.test_model_hpa",
        f"--seldon-manifests={manifests}",
        f"--junitxml={junit}",
    )
    result.assert_outcomes(passed=4, failed=1)
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) >= {"MHPA-01[iris-shared-model-hpa]", "MHPA-03[iris-shared-model-hpa]"}
    failure = cases["MHPA-01[iris-shared-model-hpa]"].find("failure")
    text = failure.text or ""
    assert text.startswith("model/iris-shared did not converge to 3 available replicas")
    assert "t(s)" in text and "spec/status/avail" in text  # the timeline table
    assert "def " not in text and "scenario.py" not in text  # no plugin or fixture source
    assert len(text) < 8000
