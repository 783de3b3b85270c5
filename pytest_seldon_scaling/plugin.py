"""pytest entry point (registered as ``pytest11`` ``seldon_scaling``)."""
