"""Draw one figure (params.figure) from its tables and save it in every configured format."""

from inforidge import plots, results
from inforidge.jobs import job

with job(snakemake) as log:
    name = snakemake.params.figure
    frames = {table: results.read_table(path, table) for path, table in zip(snakemake.input.tables, snakemake.params.tables)}
    settings = snakemake.params.figures
    fig = plots.draw(name, frames, plots.Look(palette=settings["palette"], cmap=settings["cmap"]))
    plots.save_figure(fig, snakemake.output, settings["dpi"])
    log.info("figure %s: %s", name, ", ".join(snakemake.output))
