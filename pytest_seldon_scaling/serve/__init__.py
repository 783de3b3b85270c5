"""``seldon-scaling twin serve``: the twin answering the Kubernetes API and seldon-mesh.

:class:`ServedTwin` runs a :class:`~pytest_seldon_scaling.twin.TwinCluster` on the wall clock
(:mod:`.live`) and serves, on 127.0.0.1, the Kubernetes API subset kubectl and the kube
backend use (:mod:`.api`, :mod:`.resources`, :mod:`.objects`, :mod:`.changes`,
:mod:`.metrics`) and the V2 inference data plane of ``svc/seldon-mesh`` (:mod:`.mesh`), over
stdlib HTTP servers (:mod:`.http`). :func:`write_kubeconfig` points a context at it.
"""

from .server import CONTEXT, ServedTwin, write_kubeconfig

__all__ = ["CONTEXT", "ServedTwin", "write_kubeconfig"]
