# Functional probes per (run, checkpoint): one rule per registered probe (probe_<name>),
# derived from inforidge.probes.registry.PROBES (docs/extending.md).


for _spec in PROBES:

    rule:
        name:
            f"probe_{_spec.name}"
        input:
            unpack(probe_inputs(_spec)),
            checkpoint=lambda w: checkpoint_dir(w.run, w.step),
            series_checked=lambda w: series_check(w.run),
            code=script_code("probe.py", _spec.job),
        output:
            **{stem: probe_file(stem) for stem in _spec.tables},
        log:
            f"logs/probes/{{run}}/step-{{step}}/{_spec.name}.log",
        benchmark:
            f"benchmarks/results/probes/{{run}}/step-{{step}}/{_spec.name}.tsv"
        group:
            "analysis_{run}_{step}"
        conda:
            "../../envs/analysis.yaml"
        threads: stage_threads("probes")
        resources:
            **stage_resources("probes"),
        params:
            probe=_spec.name,
            settings=as_dict(getattr(CFG.probes, _spec.name)),
            device=CFG.device,
        script:
            "../scripts/probe.py"
