"""The one analysis spec (``spec``) shared by probes and read-outs, every analysis of the workflow
(``registry``: probes then read-outs), and the verdict table's read-outs (``verdictspec``).

Declarations only, torch-free: may import ``core``, the table schemas, the figure registry and
the probe and read-out registries. The analyses' jobs live in ``probes/`` and ``readouts/``.
"""
