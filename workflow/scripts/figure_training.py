"""Training and evaluation metrics per checkpoint."""

import pandas as pd

from inforidge import plots
from inforidge.jobs import job

with job(snakemake):
    plots.style(snakemake.params.figures["palette"])
    fig = plots.training_curves(pd.read_parquet(snakemake.input.table))
    plots.save_figure(fig, snakemake.output, snakemake.params.figures["dpi"])
