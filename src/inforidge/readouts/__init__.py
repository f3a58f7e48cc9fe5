"""Read-outs of an activation dump that need no kernel (linear probe: :mod:`inforidge.readouts.linear_probe`).

Layers (:data:`inforidge.LAYERS`): ``registry`` is a declaration (``core``, ``analyses.spec``, the
table schemas, the figure registry); the jobs may import any lower layer, the drawing code too.
"""
