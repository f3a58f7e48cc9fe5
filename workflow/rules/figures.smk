# Figures are built from the tables only: one rule per registered figure (figure_<name>),
# derived from inforidge.figures.FIGURES (built-in, probe, capacity and multi-token figures
# alike), each writing PNG (embedded in the report) plus the other formats of figures.formats.
# Cosmetic settings and figure options reach the rules only through params, so changing
# them reruns figures only. Captions: workflow/report/<name>.rst.
from inforidge.figures import FIGURES, wanted_figures


def figure_files(name):
    """The figure's files: PNG first (the report's copy), then the other configured formats."""
    formats = ["png"] + [f for f in CFG.figures.formats if f != "png"]
    return [f"{RESULTS}/figures/{name}.{fmt}" for fmt in formats]


def figure_outputs():
    """Every figure file this config produces (probe and sweep figures only with their tables)."""
    return [path for spec in wanted_figures(CFG) for path in figure_files(spec.name)]


for _fig in FIGURES:

    rule:
        name:
            f"figure_{_fig.name}"
        output:
            report(
                figure_files(_fig.name)[0],
                caption=f"../report/{_fig.name}.rst",
                category=_fig.category,
                labels={"figure": _fig.label},
            ),
            figure_files(_fig.name)[1:],
        input:
            tables=[table_path(t) for t in _fig.tables],
            code=script_code("figure_draw.py", _fig.draw),
        params:
            figure=_fig.name,
            options=_fig.options(CFG),
            figures=as_dict(CFG.figures),
        log:
            f"logs/figures/{_fig.name}.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        script:
            "../scripts/figure_draw.py"
