"""Where the Core 2 reference data (../shared/reference/seldon-core2) lives: test data only.

Looked for next to the checkout, and next to its parent directory (a worktree under
``wt/<name>``); tests needing it skip, saying where they looked, when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_CANDIDATES = [base / "shared" / "reference" / "seldon-core2" for base in ROOT.parents[:2]]
REFERENCE = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])
needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason="Core 2 reference data not found at " + " or ".join(map(str, _CANDIDATES)),
)
