# Figures are built from the tables only.


rule figure_mi_by_layer:
    output:
        report(
            f"{RESULTS}/figures/mi_by_layer.png",
            caption="../report/mi_by_layer.rst",
            category="Mutual information",
            labels={"figure": "MI vs layer"},
        ),
    input:
        table=f"{RESULTS}/tables/mi.parquet",
        code=package_files("plots.py"),
    params:
        figures=as_dict(CFG.figures),
    log:
        "logs/figures/mi_by_layer.log",
    localrule: True
    script:
        "../scripts/figure_mi_by_layer.py"


rule figure_training:
    output:
        report(
            f"{RESULTS}/figures/training.png",
            caption="../report/training.rst",
            category="Training",
            labels={"figure": "training curves"},
        ),
    input:
        table=f"{RESULTS}/tables/training.parquet",
        code=package_files("plots.py"),
    params:
        figures=as_dict(CFG.figures),
    log:
        "logs/figures/training.log",
    localrule: True
    script:
        "../scripts/figure_training.py"
