# Probes and read-outs: one rule per registered analysis, derived from the analysis registries
# (inforidge.analyses.registry; docs/extending.md). A probe (probe_<name>) reloads the model of one
# (run, checkpoint); a read-out (readout_<name>) reads the activation dump of one (run,
# checkpoint, eval split). What differs by input lives in the analysis_* helpers of common.smk;
# the one script dispatches on the input kind of the analysis its params name. (Snakemake
# evaluates `script:` again when a job runs, after this loop has moved on, so the script must
# not depend on the loop variable: a literal path, the same for every analysis.)


for _spec in analyses():

    rule:
        name:
            _spec.rule
        input:
            unpack(analysis_frames(_spec)),
            **analysis_inputs(_spec),
        output:
            **{stem: analysis_file(_spec, stem) for stem in _spec.tables},
        log:
            f"logs/{analysis_job(_spec)}.log",
        benchmark:
            f"benchmarks/results/{analysis_job(_spec)}.tsv"
        group:
            analysis_group(_spec)
        conda:
            "../../envs/analysis.yaml"
        threads: analysis_threads(_spec)
        resources:
            **analysis_resources(_spec),
        params:
            **analysis_params(_spec),
        script:
            "../scripts/analysis.py"
