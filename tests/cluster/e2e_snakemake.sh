#!/usr/bin/env bash
# End-to-end check: run a throwaway 3-rule workflow through the repo's SLURM
# profile, `--profile slurm` from the repository root (./slurm -> profiles/slurm), against the cluster from start_slurm.sh and
# assert every job really ran inside a SLURM allocation.
#
#   tests/cluster/start_slurm.sh && tests/cluster/e2e_snakemake.sh [extra snakemake args]
#
# Uses $SNAKEMAKE if set, else .venv/bin/snakemake, else `snakemake` on PATH.
# The workflow lives in a mktemp dir (removed on success unless KEEP=1; kept
# on failure).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SNAKEMAKE="${SNAKEMAKE:-}"
if [[ -z "$SNAKEMAKE" ]]; then
    if [[ -x "$REPO/.venv/bin/snakemake" ]]; then SNAKEMAKE="$REPO/.venv/bin/snakemake"
    else SNAKEMAKE="$(command -v snakemake)"; fi
fi
# Put the interpreter's bin dir first on PATH: sbatch --export=ALL carries it
# into the jobs (rule shell commands / `python` then resolve to the venv).
export PATH="$(dirname "$SNAKEMAKE"):$PATH"

WORK="$(mktemp -d /tmp/inforidge-slurm-e2e.XXXXXX)"
chmod 755 "$WORK"
echo "[e2e] workdir $WORK" >&2

cat >"$WORK/Snakefile" <<'SMK'
SAMPLES = ["a", "b"]

rule all:
    input: "combined.txt"

rule make:
    output: "parts/{s}.txt"
    threads: 1
    resources: mem_mb=500, runtime=5
    shell: "echo \"{wildcards.s} job=${{SLURM_JOB_ID:-NONE}} host=$(hostname) py=$(command -v python)\" > {output}"

rule combine:
    input: expand("parts/{s}.txt", s=SAMPLES)
    output: "combined.txt"
    shell: "cat {input} > {output}; echo \"combine job=${{SLURM_JOB_ID:-NONE}}\" >> {output}"
SMK

start=$SECONDS
if ! (cd "$REPO" && "$SNAKEMAKE" --profile slurm --directory "$WORK" \
        --snakefile "$WORK/Snakefile" \
        --slurm-init-seconds-before-status-checks 3 --latency-wait 5 "$@"); then
    echo "[e2e] FAILED; slurm logs:" >&2
    find "$WORK/.snakemake/slurm_logs" -name '*.log' -exec sh -c 'echo "== $1"; cat "$1"' _ {} \; >&2 || true
    exit 1
fi
echo "[e2e] snakemake finished in $((SECONDS - start))s" >&2

cat "$WORK/combined.txt"
n_jobs="$(grep -c 'job=[0-9]' "$WORK/combined.txt")"
if grep -q 'job=NONE' "$WORK/combined.txt" || [[ "$n_jobs" -ne 3 ]]; then
    echo "[e2e] FAIL: expected 3 jobs with a SLURM_JOB_ID" >&2
    exit 1
fi
n_logs="$(find "$WORK/.snakemake/slurm_logs" -name '*.log' | wc -l)"
echo "[e2e] slurm logs: $n_logs" >&2
for id in $(grep -o 'job=[0-9]*' "$WORK/combined.txt" | cut -d= -f2); do
    grep -q "JobId=$id " /var/log/slurm/slurmctld.log 2>/dev/null \
        && echo "[e2e] slurmctld saw JobId=$id" >&2
done
echo "[e2e] OK: 3 jobs ran through sbatch" >&2
if [[ "${KEEP:-0}" == 1 ]]; then echo "[e2e] kept $WORK" >&2; else rm -rf "$WORK"; fi
