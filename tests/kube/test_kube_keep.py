"""--seldon-keep-cluster keeps the cluster, not each test's objects (they would leak into the
next test: its Models and HPAs seen by later tests)."""

from __future__ import annotations

INNER = """
MODEL = '''
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata: {name: iris}
spec: {storageUri: gs://seldon-models/iris, requirements: [sklearn], replicas: 1}
'''

def test_objects_go_at_teardown(seldon):
    seldon.apply(MODEL)
    assert [m["metadata"]["name"] for m in seldon.list("model")] == ["iris"]
    assert seldon.cleanup() == []
    assert seldon.list("model") == []
"""


def test_keeping_the_cluster_still_removes_each_tests_objects(pytester):
    pytester.makepyfile(INNER)
    result = pytester.runpytest("--seldon-cluster=twin", "--seldon-keep-cluster")
    result.assert_outcomes(passed=1)
