# Multi-token generation (docs/multitoken.md): the activations, MI and MI-table rules again, with
# their multi-token params: dumps with decode_steps = T into activations_mt/, then
# I(Z_l^(t); Y^(t)) per step t and the sequence-kernel MI. Off unless multitoken.enabled.
from inforidge.core.configschema import ConfigError
from inforidge.mi.multitoken import check_multitoken, decode_steps, horizon_of

# Its figures are registered in inforidge.figures.registry (built by figures.smk).

if CFG.multitoken.enabled:
    try:
        check_multitoken(CFG)
    except ConfigError as err:
        raise WorkflowError(f"invalid config: {err}") from None


# `with:` replaces a rule's whole input (params are merged by name): every input is restated.
use rule activations as multitoken_activations with:
    input:
        checkpoint=lambda w: checkpoint_dir(w.run, w.step),
        series_checked=lambda w: series_check(w.run),
        examples=lambda w: data_path(probe_task_name(CFG, w.run), w.split),
        code=script_code("activations.py"),
    output:
        f"{RESULTS}/runs/{{run}}/activations_mt/step-{{step}}/{{split}}/manifest.json",
    log:
        f"logs/multitoken/activations/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/multitoken/activations/{{run}}/step-{{step}}/{{split}}.tsv"
    params:
        multitoken=lambda w: {
            "horizon": horizon_of(CFG, w.run),
            "max_examples": CFG.multitoken.max_examples,
        },
        provenance=multitoken_provenance,


use rule mi as multitoken_mi with:
    input:
        manifest=rules.multitoken_activations.output[0],
        code=mi_code("mi.py"),
    output:
        f"{RESULTS}/runs/{{run}}/multitoken/step-{{step}}/{{split}}.parquet",
    log:
        f"logs/multitoken/mi/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/multitoken/mi/{{run}}/step-{{step}}/{{split}}.tsv"
    params:
        multitoken=lambda w: decode_steps(CFG, w.run),


use rule table_mi as multitoken_table with:
    input:
        parts=multitoken_parts() if CFG.multitoken.enabled else [],
        runs=run_records(),
        code=script_code("table_mi.py"),
    output:
        table_path("multitoken"),
    log:
        "logs/tables/multitoken.log",
    params:
        table="multitoken",
