# Figures are built from the tables only: one rule per registered figure (figure_<name>),
# derived from inforidge.figures.report.all_figures (built-in, probe, read-out and sweep figures alike,
# in report order), each writing PNG (embedded in the report) plus the other formats of figures.formats.
# Cosmetic settings and figure options reach the rules only through params, so changing
# them reruns figures only. Captions: workflow/report/<name>.rst.
from inforidge.figures.report import all_figures

for _fig in all_figures():

    rule:
        name:
            f"figure_{_fig.name}"
        input:
            tables=[table_path(t) for t in _fig.tables],
            code=script_code("figure_draw.py", _fig.draw),
        output:
            report(
                figure_files(_fig.name)[0],
                caption=f"../report/{_fig.name}.rst",
                category=_fig.category,
                labels={"figure": _fig.label},
            ),
            figure_files(_fig.name)[1:],
        log:
            f"logs/figures/{_fig.name}.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        params:
            figure=_fig.name,
            options=_fig.options(CFG),
            figures=as_dict(CFG.figures),
        script:
            "../scripts/figure_draw.py"
