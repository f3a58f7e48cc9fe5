# Read-outs of the activation dumps that need no kernel and no model, per (run, checkpoint,
# eval split): one rule per registered read-out (readout_<name>), derived from
# inforidge.readouts.registry.READOUTS (docs/extending.md).


for _readout in READOUTS:

    rule:
        name:
            f"readout_{_readout.name}"
        input:
            manifest=rules.activations.output[0],
            code=script_code("readout.py", _readout.job),
        output:
            readout_file(_readout.name),
        log:
            f"logs/readouts/{{run}}/step-{{step}}/{{split}}/{_readout.name}.log",
        benchmark:
            f"benchmarks/results/readouts/{{run}}/step-{{step}}/{{split}}/{_readout.name}.tsv"
        group:
            "analysis_{run}_{step}"
        conda:
            "../../envs/analysis.yaml"
        threads: 1
        resources:
            **stage_resources("mi"),
        params:
            readout=_readout.name,
            settings=as_dict(getattr(CFG.readouts, _readout.name)),
            table_keys=lambda w: {
                "run": w.run,
                "step": int(w.step),
                "split": w.split,
                "split_role": split_role(w.run, w.split),
            },
        script:
            "../scripts/readout.py"
