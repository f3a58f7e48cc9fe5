# Figures are built from the tables only: one rule per figure (figure_<name>), each
# writing PNG (embedded in the report) plus the other formats of figures.formats.
# Cosmetic settings reach the rules only through params, so changing them reruns figures only.

# name: (tables read, report category, report label, requested?). Captions:
# workflow/report/<name>.rst; drawing: inforidge.plots.FIGURES[name]. The table list is
# spelled out here so that parsing the workflow does not import matplotlib.
FIGURE_REPORT = {
    "mi_by_layer": (["mi"], "Mutual information", "MI vs layer (ridge curves)", lambda: True),
    "mi_heatmap": (["mi"], "Mutual information", "MI heatmap (layer x step)", lambda: True),
    "mi_gain": (["mi"], "Mutual information", "incremental gain", lambda: CFG.mi.increments),
    "mi_corrected": (["mi"], "Mutual information", "raw vs corrected MI", lambda: CFG.mi.permutations > 0),
    "ridge_layer": (["mi"], "Mutual information", "ridge layer over training", lambda: True),
    "final_sites": (
        ["mi"],
        "Mutual information",
        "resid_post vs final_norm",
        lambda: {"resid_post", "final_norm"} <= set(CFG.activations.sites),
    ),
    "kernel_ablation": (["mi"], "Mutual information", "kernel ablation", lambda: len(CFG.mi.kernels) > 1),
    "training": (["training"], "Training", "training curves", lambda: True),
    "residual_scaling": (
        ["residual_scaling"],
        "Probes",
        "residual scaling",
        lambda: bool(probe_outputs("residual_scaling_betas")),
    ),
    "residual_scaling_accuracy": (
        ["residual_scaling_accuracy"],
        "Probes",
        "residual scaling accuracy (before vs after)",
        lambda: bool(probe_outputs("residual_scaling_accuracy")),
    ),
    "early_exit": (["early_exit", "mi"], "Probes", "early exit", lambda: bool(probe_outputs("early_exit"))),
    "attention": (["attention"], "Probes", "attention mass", lambda: bool(probe_outputs("attention"))),
}


def figure_files(name):
    """The figure's files: PNG first (the report's copy), then the other configured formats."""
    formats = ["png"] + [f for f in CFG.figures.formats if f != "png"]
    return [f"{RESULTS}/figures/{name}.{fmt}" for fmt in formats]


def figure_report(name, category, label):
    """The figure's PNG registered in the HTML report, captioned by workflow/report/<name>.rst."""
    return report(
        figure_files(name)[0], caption=f"../report/{name}.rst", category=category, labels={"figure": label}
    )


def figure_outputs():
    """Every figure file this config produces (probe figures only with their tables)."""
    return [path for name, (*_, wanted) in FIGURE_REPORT.items() if wanted() for path in figure_files(name)]


for _name, (_tables, _category, _label, _) in FIGURE_REPORT.items():

    rule:
        name:
            f"figure_{_name}"
        output:
            figure_report(_name, _category, _label),
            figure_files(_name)[1:],
        input:
            tables=[table_path(t) for t in _tables],
            code=script_code("figure_draw.py"),
        params:
            figure=_name,
            tables=_tables,
            figures=as_dict(CFG.figures),
        log:
            f"logs/figures/{_name}.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        script:
            "../scripts/figure_draw.py"
