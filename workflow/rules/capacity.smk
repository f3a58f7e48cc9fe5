# Model-capacity sweep: compares runs of different depth, built from the mi table only.
# Requested when capacity.enabled is true, or auto with >1 distinct scratch depth (docs/capacity.md).
# Its figures are registered in inforidge.figures (built by figures.smk).
from inforidge.planning import capacity_wanted


def capacity_outputs():
    """The capacity table, or nothing when the config does not ask for it."""
    return [table_path("capacity")] if capacity_wanted(CFG) else []


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
