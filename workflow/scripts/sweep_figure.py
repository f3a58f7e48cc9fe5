"""Draw one capacity or multi-token figure (params.figure) from its table, in every configured format."""

from inforidge import plots, results, sweepplots
from inforidge.jobs import job

with job(snakemake) as log:
    params = snakemake.params
    table, draw = sweepplots.FIGURES[params.figure]
    frame = results.read_table(snakemake.input.table, table)
    look = plots.Look(palette=params.figures["palette"], cmap=params.figures["cmap"])
    plots.save_figure(draw(frame, look, site=params.site), snakemake.output, params.figures["dpi"])
    log.info("figure %s: %s", params.figure, ", ".join(snakemake.output))
