"""What the Snakemake workflow plans and how its jobs run: optional stages (``planning``), which
package files a rule runs (``codedeps``), cluster requests (``clusterplan``), job glue (``jobs``),
failure summaries, fetching hub inputs, external checkpoint series and run chains.

May import ``core``, the declarations, ``config`` and ``models``; ``planning`` is itself a
declaration (the figure registry reads it), so it imports nothing at run time.
"""
