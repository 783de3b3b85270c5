"""The twin on the wall clock: one thread steps the SimPy environment to wall time × speed.

Every reader and writer (API handlers, the mesh, the stepping thread) holds :attr:`LiveTwin.lock`
while it touches the twin, so the simulation stays single-threaded. After each step and each
write, :meth:`LiveTwin.publish` renders what changed into the change log and wakes watches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..twin.cluster import TwinCluster
from .changes import ChangeLog, Key
from .objects import Renderer


class LiveTwin:
    """A :class:`TwinCluster` whose virtual time follows the wall clock (× ``speed``)."""

    def __init__(
        self,
        cluster: TwinCluster,
        *,
        speed: float = 1.0,
        mesh_port: int = 0,
        tick: float = 0.05,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"--speed must be > 0, not {speed:g}")
        self.cluster = cluster
        self.speed = speed
        self.tick = tick
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.log = ChangeLog()
        self.extras: dict[Key, dict] = {}  # objects the twin does not model (Leases)
        self._monotonic = monotonic
        self._wall = wall
        self._start_monotonic = monotonic()
        self._start_wall = wall()
        self._start_virtual = cluster.now()
        self.renderer = Renderer(cluster, self.wall_of, mesh_port)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- clocks ----------------------------------------------------------------------------

    def virtual_target(self) -> float:
        """Where virtual time should be now."""
        return self._start_virtual + (self._monotonic() - self._start_monotonic) * self.speed

    def wall_of(self, t: float) -> float:
        """The wall-clock instant (epoch seconds) of virtual instant ``t``."""
        return self._start_wall + (t - self._start_virtual) / self.speed

    def wall_delay(self, virtual_seconds: float) -> float:
        return virtual_seconds / self.speed

    def now_wall(self) -> float:
        return self._wall()

    # -- stepping --------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Step the twin to the present (without rendering: the clock thread publishes)."""
        with self.lock:
            behind = self.virtual_target() - self.cluster.now()
            if behind > 0:
                self.cluster.sleep(behind)

    def advance(self) -> None:
        with self.lock:
            self.catch_up()
            self.publish()

    def publish(self) -> None:
        """Record what changed since the last publish; wake the watches."""
        with self.lock:
            rendered = self.renderer.render()
            rendered.update(self.extras)
            if self.log.sync(rendered):
                self.changed.notify_all()

    def start(self) -> None:
        self.publish()
        self._thread = threading.Thread(target=self._run, name="seldon-twin-clock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            self.advance()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.lock:
            self.changed.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()
