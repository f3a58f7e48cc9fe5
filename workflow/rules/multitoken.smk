# Multi-token generation (docs/multitoken.md): dumps with decode_steps = T into activations_mt/, then
# I(Z_l^(t); Y^(t)) per step t and the sequence-kernel MI (the dump and MI rules of activations.smk
# and mi.smk, common.smk's MULTI_TOKEN kind), and the MI-table rule again. Off unless
# multitoken.enabled.
# Its config is checked with the others' (common.smk); its figures are registered in
# inforidge.figures.registry (built by figures.smk).


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
