# Matrix-based Renyi MI per site, layer (and increment), subsample seed and kernel, for each split's
# dump of a checkpoint: one job per checkpoint, as the dump (activations.smk), so that a SLURM group
# part stays one job wide (dump -> MI, a chain). The rows' keys (run, step, split, data_split) come
# from each dump's manifest.


for _kind, _splits in dump_rules():

    rule:
        name:
            _splits.rule(_kind.mi)
        input:
            manifests=[dump_manifest(_kind, split) for split in _splits.splits],
            code=mi_code("mi.py"),
        output:
            [mi_file(_kind, split) for split in _splits.splits],
        log:
            f"logs/{_kind.log('mi')}.log",
        benchmark:
            f"benchmarks/results/{_kind.log('mi')}.tsv"
        wildcard_constraints:
            run=_splits.run_pattern,
        group:
            "analysis_{run}_{step}"
        conda:
            "../../envs/analysis.yaml"
        threads: stage_threads("mi")
        resources:
            **stage_resources("mi"),
        params:
            mi=as_dict(CFG.mi),
            device=CFG.device,
            multitoken=mi_multitoken(_kind),
        script:
            "../scripts/mi.py"
