"""The conformance suites, one module per Core 2 autoscaling approach (``--pyargs`` this)."""


class SeldonLintWarning(UserWarning):
    """A lint finding below error severity (``test_lint`` warns with it).

    Defined here, not in the test module: pytest-xdist's controller re-creates a worker's
    warnings by importing the category's module, which for a test module may not be importable.
    """
