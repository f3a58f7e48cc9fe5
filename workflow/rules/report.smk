# `snakemake --report results/report.html`: the global description of the HTML report.
# Figures register themselves with report() in figures.smk; their captions live next to this one.


report: "../report/workflow.rst"
