"""Figures: the figure registry (``registry``) and the report's figure order (``report``), both
declarations, and the drawing code (``plots``, ``probeplots``, ``readoutplots``, ``sweepplots``,
``verdictplots``), which reads the tidy tables only.

The drawing modules may import everything up to :mod:`inforidge.results`; the registry and
the report import only ``core``, ``workflow.planning`` and the analysis registries.
"""
