# Hidden states of every checkpoint on each of a run's splits: NPY shards + meta + manifest per split,
# one job per checkpoint (one start-up, one model load), one rule per split list (common.smk,
# dump_rules). Single-token dumps cover the eval splits; multitoken.smk's (docs/multitoken.md), when on,
# its splits with decode_steps = T into activations_mt/. Each manifest records the dump's provenance:
# the MI and read-out jobs take their keys from it.


for _kind, _splits in dump_rules():

    rule:
        name:
            _splits.rule(_kind.dump)
        input:
            unpack(dump_examples(_kind, _splits)),
            checkpoint=lambda w: checkpoint_dir(w.run, w.step),
            series_checked=lambda w: series_check(w.run),
            code=script_code("activations.py"),
        output:
            [dump_manifest(_kind, split) for split in _splits.splits],
        log:
            f"logs/{_kind.log('activations')}.log",
        benchmark:
            f"benchmarks/results/{_kind.log('activations')}.tsv"
        wildcard_constraints:
            run=_splits.run_pattern,
        group:
            "analysis_{run}_{step}"
        conda:
            "../../envs/analysis.yaml"
        threads: stage_threads("activations")
        resources:
            **stage_resources("activations"),
        params:
            activations=as_dict(CFG.activations),
            device=CFG.device,
            multitoken=dump_multitoken(_kind),
            provenance=dump_provenance(_kind, _splits),
        script:
            "../scripts/activations.py"
