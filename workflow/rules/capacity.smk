# Model-capacity sweep: compares runs of different depth, built from the mi table only.
# Requested when capacity.enabled is true, or auto with >1 distinct scratch depth (docs/capacity.md).
from inforidge.capacity import capacity_wanted

# Figure name: report label (captions: workflow/report/<name>.rst).
CAPACITY_FIGURES = {"capacity_mi_by_depth": "MI vs relative depth", "capacity_ridge": "ridge position vs depth"}


def capacity_outputs():
    """The capacity table and figures, or nothing when the config does not ask for them."""
    if not capacity_wanted(CFG.capacity.enabled, all_run_params()):
        return []
    return [table_path("capacity")] + [f for name in CAPACITY_FIGURES for f in figure_files(name)]


rule capacity_table:
    output:
        table_path("capacity"),
    input:
        mi=table_path("mi"),
        code=script_code("capacity_table.py"),
    log:
        "logs/tables/capacity.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/capacity_table.py"


for _name, _label in CAPACITY_FIGURES.items():

    rule:
        name:
            f"figure_{_name}"
        output:
            figure_report(_name, "Model capacity", _label),
            figure_files(_name)[1:],
        input:
            table=table_path("capacity"),
            code=script_code("sweep_figure.py"),
        params:
            figure=_name,
            site=CFG.capacity.site,
            figures=as_dict(CFG.figures),
        log:
            f"logs/figures/{_name}.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        script:
            "../scripts/sweep_figure.py"
