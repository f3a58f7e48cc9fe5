# Probes and read-outs: one rule per analysis job, derived from the analysis registries
# (inforidge.analyses.registry.analysis_jobs; docs/extending.md). A probe (probe_<name>) reloads the
# model of one (run, checkpoint); the probes enabled at every checkpoint share one such job
# (probes_every_checkpoint), so each checkpoint pays one job's start-up for them. A read-out
# (readout_<name>) reads the activation dump of one (run, checkpoint, eval split). What differs by
# input lives in the analysis_* helpers of common.smk; the one script runs the analyses its params
# name, dispatching on their input kind. (Snakemake evaluates `script:` again when a job runs,
# after this loop has moved on, so the script must not depend on the loop variable: a literal
# path, the same for every job.)


for _job in analysis_jobs(analysis_settings):

    rule:
        name:
            _job.rule
        input:
            unpack(analysis_frames(_job)),
            **analysis_inputs(_job),
        output:
            **analysis_job_outputs(_job),
        log:
            f"logs/{analysis_log(_job)}.log",
        benchmark:
            f"benchmarks/results/{analysis_log(_job)}.tsv"
        group:
            analysis_group(_job)
        conda:
            "../../envs/analysis.yaml"
        threads: analysis_threads(_job)
        resources:
            **analysis_resources(_job),
        params:
            **analysis_params(_job),
        script:
            "../scripts/analysis.py"
