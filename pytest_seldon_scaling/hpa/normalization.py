"""Behaviour normalisation: stabilization and rate limits (``horizontal.go``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .conditions import (
    _DOWN_LIMIT,
    _DOWN_STABILIZED,
    _TOO_FEW,
    _TOO_MANY,
    _UP_LIMIT,
    _UP_STABILIZED,
    _WITHIN_RANGE,
)
from .types import (
    MAX_INT32,
    MIN_INT32,
    SCALE_UP_LIMIT_FACTOR,
    SCALE_UP_LIMIT_MINIMUM,
    Recommendation,
    ScaleEvent,
    _ceil32,
    _to_int32,
)


def _recommendations(items: Iterable) -> list[Recommendation]:
    return [
        r if isinstance(r, Recommendation) else Recommendation(int(r[0]), float(r[1]))
        for r in items
    ]


def _events(items: Iterable) -> list[ScaleEvent]:
    return [e if isinstance(e, ScaleEvent) else ScaleEvent(int(e[0]), float(e[1])) for e in items]


def stabilize_recommendation(
    recommendations: Iterable[Recommendation | tuple[int, float]],
    proposal: int,
    now: float,
    window: float = 300.0,
) -> tuple[int, list[Recommendation]]:
    """No behavior: the max of the proposal and every recommendation not older than ``window``.

    Returns the stabilized count and the new history (the proposal overwrites the last entry
    older than the window, else is appended).
    """
    highest = proposal
    cutoff = now - window
    old_index = None
    history: list[Recommendation] = []
    # one pass: this runs on every sync of every HPA without a behavior
    for index, rec in enumerate(recommendations):
        if not isinstance(rec, Recommendation):
            rec = Recommendation(int(rec[0]), float(rec[1]))
        history.append(rec)
        if rec.timestamp < cutoff:
            old_index = index
        elif rec.replicas > highest:
            highest = rec.replicas
    entry = Recommendation(proposal, now)
    if old_index is not None:
        history[old_index] = entry
    else:
        history.append(entry)
    return highest, history


@dataclass(frozen=True)
class Stabilized:
    replicas: int
    reason: str
    message: str
    recommendations: list[Recommendation]


def stabilize_recommendation_with_behaviors(
    recommendations: Iterable[Recommendation | tuple[int, float]],
    current_replicas: int,
    proposal: int,
    now: float,
    scale_up_window: float,
    scale_down_window: float,
) -> Stabilized:
    """With behavior: clamp current into [min of up-window recs, max of down-window recs]."""
    history = _recommendations(recommendations)
    up_cutoff, down_cutoff = now - scale_up_window, now - scale_down_window
    up, down = proposal, proposal
    old_index = None
    for index, rec in enumerate(history):
        if rec.timestamp > up_cutoff:
            up = min(rec.replicas, up)
        if rec.timestamp > down_cutoff:
            down = max(rec.replicas, down)
        if rec.timestamp < up_cutoff and rec.timestamp < down_cutoff:
            old_index = index
    recommendation = current_replicas
    if recommendation < up:
        recommendation = up
    if recommendation > down:
        recommendation = down
    entry = Recommendation(proposal, now)
    if old_index is not None:
        history[old_index] = entry
    else:
        history.append(entry)
    if proposal >= current_replicas:
        return Stabilized(recommendation, "ScaleUpStabilized", _UP_STABILIZED, history)
    return Stabilized(recommendation, "ScaleDownStabilized", _DOWN_STABILIZED, history)


def calculate_scale_up_limit(
    current_replicas: int,
    factor: float = SCALE_UP_LIMIT_FACTOR,
    minimum: float = SCALE_UP_LIMIT_MINIMUM,
) -> int:
    """Legacy scale-up cap ``max(factor × current, minimum)``."""
    return _to_int32(max(factor * float(current_replicas), minimum))


def convert_desired_replicas_with_rules(
    current_replicas: int,
    desired_replicas: int,
    min_replicas: int,
    max_replicas: int,
    *,
    scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR,
    scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM,
) -> tuple[int, str, str]:
    """No behavior: clamp into [min, min(max, max(2 × current, 4))]; ``(replicas, reason, msg)``."""
    scale_up_limit = calculate_scale_up_limit(
        current_replicas, scale_up_limit_factor, scale_up_limit_minimum
    )
    if max_replicas > scale_up_limit:
        maximum, limiting = scale_up_limit, _UP_LIMIT
    else:
        maximum, limiting = max_replicas, _TOO_MANY
    if desired_replicas < min_replicas:
        return (min_replicas, *_TOO_FEW)
    if desired_replicas > maximum:
        return (maximum, *limiting)
    return (desired_replicas, *_WITHIN_RANGE)


def get_replicas_change_per_period(
    period_seconds: float, events: Iterable[ScaleEvent | tuple[int, float]], now: float
) -> int:
    """Sum of changes of events strictly younger than the period."""
    cutoff = now - period_seconds
    return sum(e.change for e in _events(events) if e.timestamp > cutoff)


def _period_start(
    current: int,
    policy: Mapping,
    up_events: list[ScaleEvent],
    down_events: list[ScaleEvent],
    now: float,
) -> int:
    period = float(policy["periodSeconds"])
    added = get_replicas_change_per_period(period, up_events, now)
    removed = get_replicas_change_per_period(period, down_events, now)
    return current - added + removed


def calculate_scale_up_limit_with_scaling_rules(
    current_replicas: int,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    rules: Mapping,
    now: float,
) -> int:
    """Highest count the scale-up policies allow now (Max: largest, Min: smallest, Disabled)."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current_replicas
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    pick, result = (min, MAX_INT32) if select == "Min" else (max, MIN_INT32)
    for policy in rules.get("policies") or []:
        start = _period_start(current_replicas, policy, up_events, down_events, now)
        if policy["type"] == "Pods":
            proposed = start + int(policy["value"])
        else:
            proposed = _ceil32(float(start) * (1 + float(policy["value"]) / 100))
        result = pick(result, proposed)
    return result


def calculate_scale_down_limit_with_behaviors(
    current_replicas: int,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    rules: Mapping,
    now: float,
) -> int:
    """Lowest count the scale-down policies allow now (Max: largest change, Min, Disabled)."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current_replicas
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    pick, result = (max, MIN_INT32) if select == "Min" else (min, MAX_INT32)
    for policy in rules.get("policies") or []:
        start = _period_start(current_replicas, policy, up_events, down_events, now)
        if policy["type"] == "Pods":
            proposed = start - int(policy["value"])
        else:
            proposed = _to_int32(float(start) * (1 - float(policy["value"]) / 100))
        result = pick(result, proposed)
    return result


def convert_desired_replicas_with_behavior_rate(
    current_replicas: int,
    desired_replicas: int,
    min_replicas: int,
    max_replicas: int,
    behavior: Mapping,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    now: float,
) -> tuple[int, str, str]:
    """With behavior: policy limits from the scale-event history, then [min, max]."""
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    if desired_replicas > current_replicas:
        limit = calculate_scale_up_limit_with_scaling_rules(
            current_replicas, up_events, down_events, behavior["scaleUp"], now
        )
        limit = max(limit, current_replicas)
        if max_replicas > limit:
            maximum, limiting = limit, _UP_LIMIT
        else:
            maximum, limiting = max_replicas, _TOO_MANY
        if desired_replicas > maximum:
            return (maximum, *limiting)
    elif desired_replicas < current_replicas:
        limit = calculate_scale_down_limit_with_behaviors(
            current_replicas, up_events, down_events, behavior["scaleDown"], now
        )
        limit = min(limit, current_replicas)
        if min_replicas < limit:
            minimum, limiting = limit, _DOWN_LIMIT
        else:
            minimum, limiting = min_replicas, _TOO_FEW
        if desired_replicas < minimum:
            return (minimum, *limiting)
    return (desired_replicas, *_WITHIN_RANGE)


def _longest_policy_period(rules: Mapping) -> float:
    return float(max((int(p["periodSeconds"]) for p in rules.get("policies") or []), default=0))


def store_scale_event(
    behavior: Mapping | None,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    previous_replicas: int,
    new_replicas: int,
    now: float,
) -> tuple[list[ScaleEvent], list[ScaleEvent]]:
    """Record a rescale in the direction's history (behavior only), reusing an outdated slot."""
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    if behavior is None:
        return up_events, down_events
    if new_replicas > previous_replicas:
        events, rules, change = up_events, behavior["scaleUp"], new_replicas - previous_replicas
    else:
        events, rules, change = down_events, behavior["scaleDown"], previous_replicas - new_replicas
    cutoff = now - _longest_policy_period(rules)
    for event in events:
        if event.timestamp < cutoff:
            event.outdated = True
    outdated = [i for i, e in enumerate(events) if e.outdated]
    entry = ScaleEvent(change, now)
    if outdated:
        events[outdated[-1]] = entry
    else:
        events.append(entry)
    return up_events, down_events
