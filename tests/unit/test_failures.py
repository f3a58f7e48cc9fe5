"""The onerror summary: one line per failed job with its run, rule, log and error line."""

from __future__ import annotations

from pathlib import Path

from inforidge.workflow.failures import error_line, failed_jobs, report, summary

# Snakemake 9's block for a failed job (snakemake.logging._format_job_error), twice as
# Snakemake repeats it at the end of a --keep-going run, plus a data job and a table job.
MAIN_LOG = """\
[Sun Nov 29 02:26:38 2026]
localrule train:
    output: results/runs/broken/checkpoints/step-0
    log: logs/train/broken/step-0.log
    jobid: 7
    wildcards: run=broken, step=0
Error in rule train:
    jobid: 7
    input: results/data/clash/train.parquet
    output: results/runs/broken/checkpoints/step-0
    log: logs/train/broken/step-0.log (check log file(s) for error details)
    conda-env: /tmp/conda/abc

Error in rule data:
    jobid: 3
    output: results/data/clash/eval_ood.parquet
    log: logs/data/clash/eval_ood.log (check log file(s) for error details)

Error in rule table_mi:
    jobid: 40
    output: results/tables/mi.parquet

Error in rule train:
    jobid: 7
    output: results/runs/broken/checkpoints/step-0
    log: logs/train/broken/step-0.log (check log file(s) for error details)
Exiting because a job execution failed. Look below for error messages
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_failed_jobs_are_read_once_each_with_run_and_log():
    jobs = list(failed_jobs(MAIN_LOG))
    assert [(j.rule, j.run, j.log) for j in jobs] == [
        ("train", "run broken", "logs/train/broken/step-0.log"),
        ("data", "task clash", "logs/data/clash/eval_ood.log"),
        ("table_mi", "-", None),
    ]


def test_error_line_is_the_logged_error_else_the_exception(tmp_path):
    logged = write(tmp_path / "a.log", "2026-11-29 02:27:43,428 inforidge.train INFO rule train\n"
                                       "2026-11-29 02:27:44,000 inforidge.train ERROR answers share a first target token\n")
    assert error_line(logged) == "answers share a first target token"
    traceback = write(tmp_path / "b.log", "Traceback (most recent call last):\n  File \"x.py\", line 1\n"
                                          "torch.OutOfMemoryError: CUDA out of memory.\n\n")
    assert error_line(traceback) == "torch.OutOfMemoryError: CUDA out of memory."
    assert error_line(tmp_path / "missing.log").startswith("(no log at")


def test_summary_names_run_rule_log_and_reason(tmp_path):
    write(tmp_path / "logs/train/broken/step-0.log", "x inforidge.train ERROR answers share a first target token: [['big cat', 'big dog']]\n")
    lines = summary(MAIN_LOG, tmp_path)
    assert lines[0] == ("FAILED run broken | rule train | log logs/train/broken/step-0.log | "
                        "answers share a first target token: [['big cat', 'big dog']]")
    assert lines[1].startswith("FAILED task clash | rule data | log logs/data/clash/eval_ood.log | (no log at")
    assert lines[2] == "FAILED - | rule table_mi | log - | (the rule has no log file)"


def test_report_reads_snakemakes_log_files(tmp_path):
    main = write(tmp_path / ".snakemake/log/run.snakemake.log", MAIN_LOG)
    text = report([str(main)], tmp_path)
    assert text.splitlines()[0].startswith("inforidge: 3 job(s) failed (-, run broken, task clash)")
    assert report([str(tmp_path / "absent.log")], tmp_path) == ""
    assert report([], tmp_path) == ""


def test_hub_failures_are_listed_per_run_with_the_fetch_command(tmp_path):
    hub_line = ("2026-11-29 02:26:40 inforidge.train ERROR model 'org/m' at revision step7 is not in the Hugging "
                "Face cache (/hf/hub) and the hub cannot be reached (cannot resolve huggingface.co)\n")
    write(tmp_path / "logs/train/broken/step-0.log", hub_line)
    write(tmp_path / "logs/data/clash/eval_ood.log", hub_line.replace("model 'org/m' at revision step7",
                                                                      "dataset 'org/d'"))
    main = write(tmp_path / "snakemake.log", MAIN_LOG)
    text = report([main], tmp_path, configfiles=[tmp_path / "configs" / "paper.yaml"])
    tail = text.splitlines()[-4:]
    assert tail[0] == "Not in the Hugging Face cache, and the hub cannot be reached:"
    assert tail[1:3] == ["  run broken: model 'org/m' at revision step7", "  task clash: dataset 'org/d'"]
    assert tail[3].endswith(f"inforidge fetch --configfile {tmp_path / 'configs' / 'paper.yaml'}")
    # Without hub failures there is no such block.
    write(tmp_path / "logs/train/broken/step-0.log", "ERROR something else\n")
    write(tmp_path / "logs/data/clash/eval_ood.log", "ERROR something else\n")
    assert "inforidge fetch" not in report([main], tmp_path)
