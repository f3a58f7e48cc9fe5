"""The tidy result tables: declared columns (``schema``, ``verdictschema``: declarations), building
and writing the tables (``tidy``), and the tables derived from the ``mi`` table (``ridge``,
``capacity``, ``verdict``).

May import everything below it in :data:`inforidge.LAYERS` (``core`` to ``mi``); the two schema
modules import only ``core`` and each other.
"""
