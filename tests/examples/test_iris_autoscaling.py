"""My team's autoscaling contract for the iris model (run: pytest --seldon-cluster)."""

from pathlib import Path

from pytest_seldon_scaling import Hold, Ramp
from pytest_seldon_scaling.expect import converges, zero_downtime

MANIFESTS = Path(__file__).parent / "manifests"


def test_iris_scales_out_and_back_without_errors(seldon):
    seldon.apply(MANIFESTS)
    converges(seldon, "model/iris", replicas=1, within="2m", stable_for="10s", field="available")

    run = seldon.load("iris", Ramp(1, 30, "2m") + Hold(30, "3m") + Hold(2, "8m"))

    # 30 rps at 10 rps per replica: the HPA wants 3 replicas, and the Server follows
    converges(seldon, "model/iris", replicas=3, within="4m", stable_for="1m")
    converges(seldon, "server/mlserver", replicas=3, within="1m")

    run.wait()
    zero_downtime(run)
    converges(seldon, "model/iris", replicas=1, within="2m", stable_for="30s")
