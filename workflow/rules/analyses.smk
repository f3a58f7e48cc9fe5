# Probes and read-outs: one rule per registered analysis, derived from the analysis registries
# (inforidge.analyses.registry; docs/extending.md). A probe (probe_<name>) reloads the model of one
# (run, checkpoint); a read-out (readout_<name>) reads the activation dump of one (run,
# checkpoint, eval split). What differs by input lives in the analysis_* helpers of common.smk,
# except the script: Snakemake evaluates `script:` again when a job runs, after this loop has
# moved on to the last analysis, so each input kind names its script literally in a block of
# its own (the two blocks are otherwise identical).


for _spec in analyses():

    if _spec.input == "checkpoint":

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
                "../scripts/probe.py"

    else:

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
                "../scripts/readout.py"
