#!/usr/bin/env bash
# Stop the single-node SLURM test cluster started by start_slurm.sh.
#   tests/cluster/stop_slurm.sh           # stop slurmd, slurmctld, munged
#   tests/cluster/stop_slurm.sh --purge   # ... and wipe slurm state/spool/logs
#                                         #     and the generated slurm.conf, gres.conf
# Daemons are stopped via their pid files only (never by process name).
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$0" "$@"; fi
    echo "stop_slurm.sh must run as root" >&2
    exit 1
fi

PURGE=0
[[ "${1:-}" == "--purge" ]] && PURGE=1

log() { printf '[stop_slurm] %s\n' "$*" >&2; }

stop_pidfile() {
    local name="$1" pf="$2" pid
    if [[ ! -s "$pf" ]]; then
        log "$name: no pid file ($pf)"
        return 0
    fi
    pid="$(cat "$pf")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name did not exit, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    else
        log "$name: not running"
    fi
    rm -f "$pf"
}

# Cancel any leftover jobs so slurmd does not leave stray job processes.
if command -v scancel >/dev/null 2>&1 && [[ -s /run/slurmctld.pid ]]; then
    timeout 10 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    timeout 10 scancel --quiet --state=PENDING,RUNNING 2>/dev/null || true
fi

stop_pidfile slurmd /run/slurmd.pid
stop_pidfile slurmctld /run/slurmctld.pid
stop_pidfile munged /run/munge/munged.pid

if ((PURGE)); then
    log "purging /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm/slurm.conf /etc/slurm/cgroup.conf /etc/slurm/gres.conf"
    rm -rf /var/spool/slurmctld /var/spool/slurmd
    rm -f /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log
    rm -f /etc/slurm/slurm.conf /etc/slurm/cgroup.conf /etc/slurm/gres.conf
fi
log "done"
