"""Load Kubernetes manifests (and Core 2 helm values) from files, directories, text or dicts.

Every document becomes a :class:`Manifest`: the plain object plus where it came from, with the
line of each field so lint findings and load errors can point at ``file:line``. Loading
validates what the rest of the project relies on (the shapes of Models, Servers, ServerConfigs
and autoscaling/v2 HPAs, as the CRDs and the Kubernetes API define them) and raises one
:class:`ManifestError` listing every problem, each naming the file, line, object and field.

A YAML document without ``apiVersion``/``kind`` whose top-level keys are those of the Core 2
setup chart (``autoscaling:``, ``serverConfig:``, ...) or servers chart (``mlserver:``,
``triton:``) is kept as helm values: its :attr:`Manifest.kind` is :data:`HELM_VALUES`.

YAML is read as the Kubernetes API server reads it (sigs.k8s.io/yaml over go-yaml), with its
bounds, so a hostile or broken file stops with one line instead of a hang or a traceback:
requests are at most 3 MiB (kube-apiserver's request body limit, kubernetes/kubernetes #83261
for CVE-2019-11253); an alias expansion that makes up most of a document fails as go-yaml's
``document contains excessive aliasing`` (gopkg.in/yaml.v2 ``decode.go`` ``allowedAliasRatio``,
ported below); nesting stops at :data:`MAX_DEPTH` levels (go-yaml stops at 10000, which Python's
recursive YAML composer cannot reach; no Kubernetes object comes near 100); duplicate keys are
errors, as ``kubectl apply --validate=strict`` (the default since Kubernetes 1.27) reports them;
timestamps stay strings and keys become strings, as in Kubernetes' JSON.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .cluster import KINDS, SELDON_API_VERSION, ref_of
from .quantity import QuantityError, QuantityRangeError, parse_quantity

HELM_VALUES = "HelmValues"
SETUP_CHART = "seldon-core-v2-setup"
SERVERS_CHART = "seldon-core-v2-servers"

# Top-level keys of the charts' values.yaml (seldon-core-v2-setup / -servers, v2.10).
_SETUP_CHART_KEYS = frozenset(
    {
        "autoscaling",
        "controller",
        "dataflow",
        "envoy",
        "hodometer",
        "imagePullSecrets",
        "kafka",
        "logging",
        "modelgateway",
        "opentelemetry",
        "pipelinegateway",
        "scheduler",
        "security",
        "serverConfig",
        "services",
    }
)
_SERVERS_CHART_KEYS = frozenset({"mlserver", "triton"})
_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_NAMED_KINDS = frozenset(kind for _, kind in KINDS.values())
_INT32 = (-(2**31), 2**31 - 1)
MAX_BYTES = 3 * 1024 * 1024
MAX_DEPTH = 100
# Core 2's own kinds (the CRDs of mlops.seldon.io/v1alpha1, v2.10)
_SELDON_KINDS = frozenset(
    {"Model", "Server", "ServerConfig", "Pipeline", "Experiment", "SeldonConfig", "SeldonRuntime"}
)
# kinds this project reads, with the only apiVersion it (and Core 2) reads them in
_API_VERSIONS = {kind: api for api, kind in KINDS.values()}
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

Path_ = tuple[str | int, ...]
_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class ManifestError(ValueError):
    """Manifests that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True, eq=False)
class Manifest:
    """One object as written, where it came from, and the line of each of its fields."""

    obj: dict
    source: str = "<object>"
    line: int = 0  # 1-based line of the document start; 0 when unknown (dicts)
    lines: Mapping[Path_, int] = field(default_factory=dict, repr=False)
    columns: Mapping[Path_, int] = field(default_factory=dict, repr=False)  # 1-based

    @property
    def is_helm_values(self) -> bool:
        return helm_chart(self.obj) is not None

    @property
    def kind(self) -> str:
        return HELM_VALUES if self.is_helm_values else str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def name(self) -> str:
        if self.is_helm_values:
            return Path(self.source).name
        return str(_mapping(self.obj.get("metadata")).get("name", ""))

    @property
    def namespace(self) -> str | None:
        return _mapping(self.obj.get("metadata")).get("namespace")

    @property
    def spec(self) -> dict:
        return _mapping(self.obj.get("spec"))

    @property
    def display(self) -> str:
        """``Kind/name`` as in messages (``Model/irisa0``)."""
        return f"{self.kind}/{self.name}"

    def line_of(self, path: str | Sequence[str | int] = ()) -> int:
        """Line of a field (``"spec.metrics[0].target.type"``), or of its nearest present parent."""
        steps = parse_path(path) if isinstance(path, str) else tuple(path)
        while steps:
            if steps in self.lines:
                return self.lines[steps]
            steps = steps[:-1]
        return self.lines.get((), self.line)

    def column_of(self, path: str | Sequence[str | int] = ()) -> int:
        """Column of the field :meth:`line_of` finds (0 when unknown)."""
        steps = parse_path(path) if isinstance(path, str) else tuple(path)
        while steps and steps not in self.lines:
            steps = steps[:-1]
        return self.columns.get(steps, 0)

    def where(self, path: str | Sequence[str | int] = ()) -> str:
        """``source:line`` of a field (just ``source`` when lines are unknown)."""
        line = self.line_of(path)
        return f"{self.source}:{line}" if line else self.source


def parse_path(path: str) -> Path_:
    """``"spec.metrics[0].type"`` -> ``("spec", "metrics", 0, "type")``."""
    return tuple(int(index) if index else key for key, index in _PATH_TOKEN.findall(path))


def format_path(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def helm_chart(obj: Mapping) -> str | None:
    """The Core 2 chart whose values these are, or ``None`` for a Kubernetes object."""
    if not isinstance(obj, Mapping) or "apiVersion" in obj or "kind" in obj:
        return None
    keys = set(obj)
    if keys & _SETUP_CHART_KEYS:
        return SETUP_CHART
    if keys & _SERVERS_CHART_KEYS:
        return SERVERS_CHART
    return None


def ref(manifest: Manifest) -> str:
    """The object reference (``"model/irisa0"``) of a manifest."""
    if manifest.is_helm_values:
        return f"helmvalues/{manifest.name}"
    return ref_of(manifest.obj)


def digest(manifests: Iterable[Manifest]) -> str:
    """A sha256 of the objects' canonical JSON, independent of order, files and formatting."""
    canonical = sorted(json.dumps(m.obj, sort_keys=True, separators=(",", ":")) for m in manifests)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


# -- loading ---------------------------------------------------------------------------------


def load_manifests(
    *sources: Any, namespace: str | None = None, duplicates_are_errors: bool = True
) -> list[Manifest]:
    """Load files, directories (``*.yaml|*.yml|*.json``, recursive, sorted), YAML text, dicts.

    Multi-document YAML and ``List`` kinds are flattened. Raises :class:`ManifestError` naming
    file, line, object and field of every problem found. With ``namespace``, Seldon objects and
    HPAs that name another namespace are errors (the run applies into ``namespace``). Objects
    defined twice are errors (one would silently replace the other when applied), unless
    ``duplicates_are_errors`` is False: lint reports them per setup instead (SCL021), since a
    repository may hold one Model per environment under the same name.
    """
    manifests: list[Manifest] = []
    errors: list[str] = []
    for source in sources:
        for manifest in _documents(source, errors):
            if manifest.kind.endswith("List") and isinstance(manifest.obj.get("items"), list):
                manifests.extend(_list_items(manifest, errors))
            else:
                manifests.append(manifest)
    for manifest in manifests:
        errors.extend(validate(manifest))
        if namespace is not None:
            errors.extend(_check_namespace(manifest, namespace))
    if duplicates_are_errors:
        errors.extend(_duplicates(manifests))
    if errors:
        raise ManifestError(errors)
    return manifests


def _in_run_namespace(manifest: Manifest) -> bool:
    """Applied into the run's namespace: Seldon objects and HPAs, not the adapter's ConfigMap,
    which lives with the adapter, elsewhere."""
    return manifest.kind in _NAMED_KINDS and manifest.kind != "ConfigMap"


def in_namespace(manifests: Iterable[Manifest], namespace: str) -> list[Manifest]:
    """Copies of ``manifests`` whose Seldon objects and HPAs name ``namespace``.

    For the package's default manifests, written for Core 2's usual ``seldon-mesh``: a run in
    another namespace tests them there. File and line of every field stay as loaded.
    """
    moved = []
    for manifest in manifests:
        if _in_run_namespace(manifest) and isinstance(manifest.obj.get("metadata"), dict):
            obj = copy.deepcopy(manifest.obj)
            obj["metadata"]["namespace"] = namespace
            manifest = replace(manifest, obj=obj)
        moved.append(manifest)
    return moved


def _check_namespace(manifest: Manifest, namespace: str) -> list[str]:
    theirs = manifest.namespace
    if not _in_run_namespace(manifest) or theirs is None:
        return []
    if theirs == namespace:
        return []
    return [
        f"{manifest.where(('metadata', 'namespace'))}: {manifest.display}: metadata.namespace: "
        f"{_show(theirs)} is not the run's namespace {_show(namespace)} (--seldon-namespace)"
    ]


def _duplicates(manifests: Sequence[Manifest]) -> list[str]:
    """Two objects with one kind, namespace and name: the later would silently replace the first."""
    first: dict[tuple[str, str, str, str], Manifest] = {}
    errors = []
    for manifest in manifests:
        if manifest.is_helm_values or not manifest.name or not isinstance(manifest.name, str):
            continue
        key = (manifest.api_version, manifest.kind, str(manifest.namespace or ""), manifest.name)
        if key in first:
            errors.append(
                f"{manifest.where(('metadata', 'name'))}: {manifest.display}: metadata.name: "
                f"defined twice (first at {first[key].where(('metadata', 'name'))})"
            )
        else:
            first[key] = manifest
    return errors


def _documents(source: Any, errors: list[str]) -> list[Manifest]:
    if isinstance(source, Manifest):
        return [source]
    if isinstance(source, Mapping):
        return [Manifest(dict(source))]
    if isinstance(source, Path) or (isinstance(source, str) and not _looks_like_yaml(source)):
        return _from_path(Path(source), errors)
    if isinstance(source, str):
        return _parse_yaml(source, "<string>", errors)
    if isinstance(source, Iterable):
        found: list[Manifest] = []
        for item in source:
            found.extend(_documents(item, errors))
        return found
    errors.append(f"{source!r}: not a file, directory, YAML text or dict")
    return []


def _looks_like_yaml(text: str) -> bool:
    return "\n" in text or ": " in text or text.lstrip().startswith(("{", "["))


def _from_path(path: Path, errors: list[str]) -> list[Manifest]:
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and p.suffix in _MANIFEST_SUFFIXES and not _hidden(p, path)
        )
        found: list[Manifest] = []
        for file in files:
            found.extend(_from_path(file, errors))
        return found
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: undecodable, or a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        errors.append(f"{path}: cannot read: {reason}")
        return []
    return _parse_yaml(text, str(path), errors)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


class _Loader(yaml.SafeLoader):
    """YAML as Kubernetes reads it: timestamps stay strings (go-yaml into ``interface{}``)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _YAMLLimit(Exception):
    """A document beyond what the API server would decode; ``line`` is where (1-based)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def _parse_yaml(text: str, source: str, errors: list[str]) -> list[Manifest]:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        errors.append(
            f"{source}: {size} bytes, more than the 3 MiB the Kubernetes API server accepts"
        )
        return []
    found: list[Manifest] = []
    loader = None
    try:
        _check_depth(_Loader(text))
        loader = _Loader(text)
        while loader.check_node():
            node = loader.get_node()
            lines = _Walk().lines(node)
            obj = _plain(loader.construct_document(node), lines, ())
            if obj is None:
                continue
            line = node.start_mark.line + 1
            if not isinstance(obj, dict):
                errors.append(f"{source}:{line}: document is a {type(obj).__name__}, not a mapping")
                continue
            found.append(Manifest(obj, source, line, lines, _column_map(node)))
    except _YAMLLimit as limit:
        errors.append(f"{source}:{limit.line}: invalid YAML: {limit.problem}")
    except yaml.YAMLError as exc:
        errors.append(_yaml_error(exc, text, source))
    finally:
        if loader is not None:
            loader.dispose()
    return found


def _yaml_error(exc: yaml.YAMLError, text: str, source: str) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        # a character YAML forbids (control characters, e.g. a stray \x01): no mark, a position
        line = text.count("\n", 0, max(0, exc.position)) + 1
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        return f"{source}:{line}: invalid YAML: character {character!r} is not allowed"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{where}: invalid YAML: {problem}"


_OPENING = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken)
_OPENING += (yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
_CLOSING = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _check_depth(scanner: yaml.SafeLoader) -> None:
    """Refuse deep nesting from the tokens (the scanner loops; the composer would recurse)."""
    depth = 0
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, _OPENING):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _YAMLLimit(
                        token.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels"
                    )
            elif isinstance(token, _CLOSING):
                depth -= 1
    finally:
        scanner.dispose()


def allowed_alias_ratio(decode_count: int) -> float:
    """go-yaml's ``allowedAliasRatio``: the share of a decode alias expansion may make up."""
    low, high = 400_000, 4_000_000
    if decode_count <= low:
        return 0.99
    if decode_count >= high:
        return 0.10
    return 0.99 - 0.89 * (decode_count - low) / (high - low)


class _Walk:
    """One pass over a document's nodes as go-yaml decodes them: lines, aliases, duplicate keys.

    PyYAML shares an aliased node; meeting a node again is following an alias, and everything
    decoded under it counts as alias expansion, as go-yaml's ``aliasDepth`` does.
    """

    def __init__(self) -> None:
        self.decoded = 0
        self.aliased = 0
        self.seen: set[int] = set()
        self.open: set[int] = set()
        self.map: dict[Path_, int] = {}

    def lines(self, node: yaml.Node) -> dict[Path_, int]:
        self._visit(node, (), False)
        return self.map

    def _count(self, node: yaml.Node, in_alias: bool) -> None:
        self.decoded += 1
        self.aliased += in_alias
        if (
            self.aliased > 100
            and self.decoded > 1000
            and self.aliased / self.decoded > allowed_alias_ratio(self.decoded)
        ):
            raise _YAMLLimit(node.start_mark.line + 1, "document contains excessive aliasing")

    def _visit(self, node: yaml.Node, prefix: Path_, in_alias: bool) -> None:
        key = id(node)
        if key in self.open:
            raise _YAMLLimit(node.start_mark.line + 1, "an anchor's value contains itself")
        if key in self.seen:
            self._count(node, in_alias)  # the alias itself
            in_alias = True
        self.seen.add(key)
        self._count(node, in_alias)
        self.map.setdefault(prefix, node.start_mark.line + 1)
        self.open.add(key)
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _YAMLLimit(key_node.start_mark.line + 1, "a key must be a scalar")
                name, line = str(key_node.value), key_node.start_mark.line + 1
                if name in keys and key_node.tag != "tag:yaml.org,2002:merge":
                    raise _YAMLLimit(line, f"duplicate key {name!r} (first on line {keys[name]})")
                keys.setdefault(name, line)
                path = (*prefix, name)
                self._visit(value_node, path, in_alias)
                self.map[path] = line
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._visit(item, (*prefix, index), in_alias)
        self.open.discard(key)


def _plain(value: Any, lines: Mapping[Path_, int], path: Path_) -> Any:
    """JSON-shaped data, as Kubernetes stores it: string keys, no NaN, no bytes or sets."""
    if isinstance(value, dict):
        return {_key(k): _plain(v, lines, (*path, _key(k))) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, lines, (*path, i)) for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        where = next((lines[p] for p in _prefixes(path) if p in lines), 0)
        raise _YAMLLimit(where, f"{format_path(path)}: {value!r} is not a JSON number")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, set):
        return {_key(k): None for k in value}
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _prefixes(path: Path_) -> list[Path_]:
    return [path[:n] for n in range(len(path), -1, -1)]


def _key(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _column_map(node: yaml.Node, prefix: Path_ = ()) -> dict[Path_, int]:
    """1-based column of each field's key (of each item, for sequences), as editors count."""
    columns = {prefix: node.start_mark.column + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            columns.update(_column_map(value_node, path))
            columns[path] = key_node.start_mark.column + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            columns.update(_column_map(item, (*prefix, index)))
    return columns


def _list_items(manifest: Manifest, errors: list[str]) -> list[Manifest]:
    items = []
    for index, item in enumerate(manifest.obj["items"]):
        prefix = ("items", index)
        if not isinstance(item, dict):
            errors.append(
                f"{manifest.where(prefix)}: {manifest.kind}: items[{index}]: not a mapping"
            )
            continue
        lines = {path[2:]: line for path, line in manifest.lines.items() if path[:2] == prefix}
        columns = {p[2:]: c for p, c in manifest.columns.items() if p[:2] == prefix}
        items.append(Manifest(item, manifest.source, manifest.line_of(prefix), lines, columns))
    return items


# -- validation ------------------------------------------------------------------------------


class _Checker:
    """Collects ``file:line: Kind/name: field: problem`` lines for one manifest."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.errors: list[str] = []

    def fail(self, path: Path_, problem: str) -> None:
        m = self.manifest
        name = m.name or "<unnamed>"
        self.errors.append(
            f"{m.where(path)}: {m.kind or '<no kind>'}/{name}: {format_path(path)}: {problem}"
        )

    def get(self, path: Path_) -> Any:
        value: Any = self.manifest.obj
        for step in path:
            if isinstance(step, int):
                value = value[step] if isinstance(value, list) and step < len(value) else None
            else:
                value = value.get(step) if isinstance(value, dict) else None
        return value

    def mapping(self, path: Path_, *, required: bool = False) -> dict | None:
        value = self.get(path)
        if value is None:
            if required:
                self.fail(path, "required")
            return None
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping, got {_show(value)}")
            return None
        return value

    def string(self, path: Path_, *, required: bool = False, choices: Sequence[str] = ()) -> None:
        value = self.get(path)
        if value is None:
            if required:
                self.fail(path, "required")
        elif not isinstance(value, str) or (required and not value):
            self.fail(path, f"must be a non-empty string, got {_show(value)}")
        elif choices and value not in choices:
            self.fail(path, f"must be one of {', '.join(choices)}, got {_show(value)}")

    def integer(
        self, path: Path_, *, required: bool = False, low: int = _INT32[0], high: int = _INT32[1]
    ) -> None:
        value = self.get(path)
        if value is None:
            if required:
                self.fail(path, "required")
            return
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            bound = f"an integer >= {low}" if high == _INT32[1] else f"an integer {low}..{high}"
            if low == _INT32[0]:
                bound = "a 32-bit integer"
            self.fail(path, f"must be {bound}, got {_show(value)}")

    def quantity(self, path: Path_, *, required: bool = False, positive: bool = False) -> None:
        value = self.get(path)
        if value is None:
            if required:
                self.fail(path, "required")
            return
        try:
            amount = parse_quantity(value)
        except QuantityRangeError:
            self.fail(path, f"is out of range (beyond an int64), got {_show(value)}")
            return
        except QuantityError:
            self.fail(path, f"must be a quantity (e.g. 3, 500m, 100Mi), got {_show(value)}")
            return
        if positive and amount <= 0:
            self.fail(path, f"must be positive, got {_show(value)}")

    def strings(self, path: Path_) -> None:
        value = self.get(path)
        if value is None:
            return
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, f"must be a list of strings, got {_show(value)}")


def _show(value: Any) -> str:
    return json.dumps(value, default=str)


def validate(manifest: Manifest) -> list[str]:
    """Problems of one manifest (empty when it is usable)."""
    check = _Checker(manifest)
    if manifest.is_helm_values:
        _check_helm_values(check)
        return check.errors
    if "apiVersion" not in manifest.obj and "kind" not in manifest.obj:
        return [
            f"{manifest.where()}: not a Kubernetes object (no apiVersion, no kind) nor values of "
            f"the {SETUP_CHART} or {SERVERS_CHART} helm chart"
        ]
    check.string(("apiVersion",), required=True)
    check.string(("kind",), required=True)
    # Objects the project works with need a name; tool configs (kind's Cluster, kustomize's
    # Kustomization) have no metadata and are kept as they are.
    named = manifest.kind in _NAMED_KINDS or "metadata" in manifest.obj
    if named and check.mapping(("metadata",), required=True) is not None:
        check.string(("metadata", "name"), required=True)
        check.string(("metadata", "namespace"))
        _check_name(check, ("metadata", "name"), 253)
        _check_name(check, ("metadata", "namespace"), 63)
    _check_api_version(check)
    kind = manifest.obj.get("kind")
    checker = _KIND_CHECKS.get(kind) if manifest.api_version == SELDON_API_VERSION else None
    if kind == "HorizontalPodAutoscaler":
        checker = _check_hpa
    if checker is not None:
        checker(check)
    return check.errors


def _check_name(check: _Checker, path: Path_, longest: int) -> None:
    """Names as the API server validates them (DNS-1123 subdomain; namespaces are labels)."""
    value = check.get(path)
    if not isinstance(value, str) or not value:
        return
    label = longest == 63
    if len(value) > longest or not _DNS_SUBDOMAIN.match(value) or (label and "." in value):
        form = "DNS-1123 label" if label else "DNS-1123 subdomain"
        check.fail(
            path,
            f"must be a {form} (lower-case letters, digits, '-'"
            + ("" if label else ", '.'")
            + f"; at most {longest} characters), got {_show(value)}",
        )


def _check_api_version(check: _Checker) -> None:
    """Kinds this project reads, and Core 2's group, only in the version they exist in."""
    api, kind = check.manifest.api_version, check.manifest.obj.get("kind")
    if not isinstance(kind, str) or not api:
        return
    wanted = _API_VERSIONS.get(kind)
    if api.split("/")[0] == SELDON_API_VERSION.split("/")[0] and kind not in _SELDON_KINDS:
        known = ", ".join(sorted(_SELDON_KINDS))
        check.fail(("kind",), f"{_show(kind)} is not a Core 2 kind (expected one of {known})")
    elif kind in _SELDON_KINDS and api != SELDON_API_VERSION:
        check.fail(("apiVersion",), f"must be {SELDON_API_VERSION}, got {_show(api)}")
    elif wanted is not None and api != wanted and kind != "HorizontalPodAutoscaler":
        check.fail(("apiVersion",), f"must be {wanted}, got {_show(api)}")


def _check_scaling_fields(check: _Checker) -> None:
    # the CRDs take any int32; a negative count is nothing Core 2 can run
    for key in ("replicas", "minReplicas", "maxReplicas"):
        check.integer(("spec", key), low=0)


def _check_model(check: _Checker) -> None:
    # The CRDs do not require spec; its required fields apply once it is there.
    if check.mapping(("spec",)) is None:
        return
    check.string(("spec", "storageUri"), required=True)
    for key in ("modelType", "server", "schemaUri", "secretName"):
        check.string(("spec", key))
    _check_scaling_fields(check)
    check.integer(("spec", "artifactVersion"))
    check.quantity(("spec", "memory"))
    check.strings(("spec", "requirements"))


def _check_server(check: _Checker) -> None:
    if check.mapping(("spec",)) is None:
        return
    check.string(("spec", "serverConfig"), required=True)
    _check_scaling_fields(check)
    check.strings(("spec", "capabilities"))
    check.strings(("spec", "extraCapabilities"))
    check.mapping(("spec", "podSpec"))


def _check_server_config(check: _Checker) -> None:
    if check.mapping(("spec",)) is not None:
        check.mapping(("spec", "podSpec"), required=True)


_KIND_CHECKS = {
    "Model": _check_model,
    "Server": _check_server,
    "ServerConfig": _check_server_config,
}

_METRIC_MEMBERS = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "External": "external",
}
# Target types the API server accepts per metric source.
_TARGET_TYPES = {
    "Object": ("Value", "AverageValue"),
    "Pods": ("AverageValue",),
    "Resource": ("Utilization", "AverageValue"),
    "ContainerResource": ("Utilization", "AverageValue"),
    "External": ("Value", "AverageValue"),
}
_TARGET_FIELDS = {
    "Value": "value",
    "AverageValue": "averageValue",
    "Utilization": "averageUtilization",
}


def _check_hpa(check: _Checker) -> None:
    if check.manifest.api_version != "autoscaling/v2":
        check.fail(
            ("apiVersion",), f"must be autoscaling/v2, got {_show(check.manifest.api_version)}"
        )
        return
    if check.mapping(("spec",), required=True) is None:
        return
    if check.mapping(("spec", "scaleTargetRef"), required=True) is not None:
        check.string(("spec", "scaleTargetRef", "kind"), required=True)
        check.string(("spec", "scaleTargetRef", "name"), required=True)
        check.string(("spec", "scaleTargetRef", "apiVersion"))
    check.integer(("spec", "maxReplicas"), required=True, low=1)
    check.integer(("spec", "minReplicas"), low=1)
    low, high = check.get(("spec", "minReplicas")), check.get(("spec", "maxReplicas"))
    if _is_int(low) and _is_int(high) and low > high:
        check.fail(("spec", "minReplicas"), f"must be <= maxReplicas {high}, got {low}")
    metrics = check.get(("spec", "metrics"))
    if metrics is not None and not isinstance(metrics, list):
        check.fail(("spec", "metrics"), f"must be a list, got {_show(metrics)}")
    elif metrics == []:
        check.fail(
            ("spec", "metrics"),
            "is empty: the API server would put 80% CPU utilization there; list the metric "
            "to scale on",
        )
    elif metrics:
        for index in range(len(metrics)):
            _check_metric(check, ("spec", "metrics", index))
    if check.mapping(("spec", "behavior")) is not None:
        for direction in ("scaleUp", "scaleDown"):
            _check_rules(check, ("spec", "behavior", direction))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_metric(check: _Checker, path: Path_) -> None:
    if check.mapping(path, required=True) is None:
        return
    check.string((*path, "type"), required=True, choices=tuple(_METRIC_MEMBERS))
    kind = check.get((*path, "type"))
    if kind not in _METRIC_MEMBERS:
        return
    member = (*path, _METRIC_MEMBERS[kind])
    if check.mapping(member, required=True) is None:
        return
    if kind in ("Resource", "ContainerResource"):
        check.string((*member, "name"), required=True)
        if kind == "ContainerResource":
            check.string((*member, "container"), required=True)
    elif check.mapping((*member, "metric"), required=True) is not None:
        check.string((*member, "metric", "name"), required=True)
        check.mapping((*member, "metric", "selector"))
    described = (*member, "describedObject")
    if kind == "Object" and check.mapping(described, required=True) is not None:
        check.string((*described, "kind"), required=True)
        check.string((*described, "name"), required=True)
        check.string((*described, "apiVersion"))
    _check_target(check, (*member, "target"), _TARGET_TYPES[kind])


def _check_target(check: _Checker, path: Path_, allowed: Sequence[str]) -> None:
    if check.mapping(path, required=True) is None:
        return
    check.string((*path, "type"), required=True, choices=allowed)
    target_type = check.get((*path, "type"))
    if target_type not in allowed:
        return
    value_field = (*path, _TARGET_FIELDS[target_type])
    if target_type == "Utilization":
        check.integer(value_field, required=True, low=1)
    else:
        check.quantity(value_field, required=True, positive=True)


def _check_rules(check: _Checker, path: Path_) -> None:
    if check.mapping(path) is None:
        return
    check.integer((*path, "stabilizationWindowSeconds"), low=0, high=3600)
    check.string((*path, "selectPolicy"), choices=("Max", "Min", "Disabled"))
    check.quantity((*path, "tolerance"))
    policies = check.get((*path, "policies"))
    if policies is None:
        return
    if not isinstance(policies, list):
        check.fail((*path, "policies"), f"must be a list, got {_show(policies)}")
        return
    for index in range(len(policies)):
        policy = (*path, "policies", index)
        if check.mapping(policy, required=True) is None:
            continue
        check.string((*policy, "type"), required=True, choices=("Pods", "Percent"))
        check.integer((*policy, "value"), required=True, low=1)
        check.integer((*policy, "periodSeconds"), required=True, low=1, high=1800)


def _check_helm_values(check: _Checker) -> None:
    if helm_chart(check.manifest.obj) == SETUP_CHART:
        if check.mapping(("autoscaling",)) is None:
            return
        for key in ("autoscalingModelEnabled", "autoscalingServerEnabled", "serverPackingEnabled"):
            value = check.get(("autoscaling", key))
            if value is not None and not isinstance(value, bool):
                check.fail(("autoscaling", key), f"must be true or false, got {_show(value)}")
        value = check.get(("autoscaling", "serverPackingPercentage"))
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            check.fail(
                ("autoscaling", "serverPackingPercentage"), f"must be a number, got {_show(value)}"
            )
        return
    for server in _SERVERS_CHART_KEYS:
        if check.mapping((server,)) is not None:
            for key in ("replicas", "minReplicas", "maxReplicas"):
                check.integer((server, key))


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
