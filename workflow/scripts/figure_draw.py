"""Draw one registered figure (params.figure) from its tables, in every configured format."""

from inforidge import results
from inforidge.config import FiguresConfig
from inforidge.core.configschema import build
from inforidge.core.registry import resolve
from inforidge.figures import plots
from inforidge.figures.report import all_figures
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    params = snakemake.params
    spec = all_figures()[params.figure]
    frames = [results.read_table(path, table) for path, table in zip(snakemake.input.tables, spec.tables, strict=True)]
    look = build(FiguresConfig, params.figures, "figures")
    fig = plots.render(resolve(spec.draw), frames, look, params.options)
    plots.save_figure(fig, snakemake.output, look.dpi)
    log.info("figure %s: %s", params.figure, ", ".join(snakemake.output))
