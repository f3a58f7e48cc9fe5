# Model-capacity sweep: compares runs of different depth, built from the mi table only.
# Requested when capacity.enabled is true, or auto with >1 distinct scratch depth (docs/capacity.md).
# Its figures are registered in inforidge.figures.registry (built by figures.smk).


rule capacity_table:
    input:
        mi=table_path("mi"),
        code=script_code("capacity_table.py"),
    output:
        table_path("capacity"),
    log:
        "logs/tables/capacity.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/capacity_table.py"
