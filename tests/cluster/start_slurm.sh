#!/usr/bin/env bash
# Start a real single-node SLURM cluster (munged + slurmctld + slurmd) on this
# machine, for CI / local testing of `snakemake --workflow-profile slurm`.
#
#   sudo tests/cluster/start_slurm.sh          # install (if needed), configure, start, self-test
#   tests/cluster/stop_slurm.sh [--purge]      # stop daemons (and wipe state)
#
# Idempotent: re-running it when the cluster is already up only re-checks it.
# Works without systemd (daemons are started directly) and without cgroups
# (proctrack/linuxproc + task/none) and without an accounting database
# (accounting_storage/none; `sacct` therefore does NOT work -> use squeue).
#
# Environment knobs:
#   SLURM_START_TIMEOUT   seconds to wait for the node / test jobs (default 120)
#   SLURM_SKIP_SELFTEST=1 skip the srun/sbatch smoke test
#   SLURM_CLUSTER_NAME    ClusterName (default: inforidge)
#   SLURM_PARTITION       partition name (default: debug)
#   SLURM_NODE_CPUS       CPUs the node advertises (default: 8, at least the real count).
#                         More than the machine has, so that jobs can request the 4-8
#                         CPUs of real runs (SlurmdParameters=config_overrides; nothing
#                         pins CPUs here, jobs just share the real cores).
#   SLURM_NODE_GPUS       fake GPUs (GRES gpu on /dev/null-like files; default 2, at most 6):
#                         --gpus=N and --gres=gpu:N requests are scheduled like on a GPU
#                         partition, but no device exists (the test configs use CPU).
set -euo pipefail

TIMEOUT="${SLURM_START_TIMEOUT:-120}"
CLUSTER_NAME="${SLURM_CLUSTER_NAME:-inforidge}"
PARTITION="${SLURM_PARTITION:-debug}"
NODE_GPUS="${SLURM_NODE_GPUS:-2}"

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
CTLD_STATE=/var/spool/slurmctld
SLURMD_SPOOL=/var/spool/slurmd
LOG_DIR=/var/log/slurm
CTLD_LOG="$LOG_DIR/slurmctld.log"
SLURMD_LOG="$LOG_DIR/slurmd.log"
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_RUN=/run/munge
MUNGE_PID="$MUNGE_RUN/munged.pid"
MUNGE_LOG=/var/log/munge/munged.log
MUNGE_KEY=/etc/munge/munge.key

log() { printf '[start_slurm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

dump_logs() {
    local f
    for f in "$MUNGE_LOG" "$CTLD_LOG" "$SLURMD_LOG"; do
        echo "======== $f (last 60 lines) ========" >&2
        if [[ -f "$f" ]]; then tail -n 60 "$f" >&2; else echo "(missing)" >&2; fi
    done
    echo "======== sinfo -N -l ========" >&2
    sinfo -N -l >&2 2>&1 || true
    echo "======== scontrol show node ========" >&2
    scontrol show node >&2 2>&1 || true
}

die() {
    log "ERROR: $*"
    dump_logs
    exit 1
}

# pid_alive PIDFILE -> 0 if the pid in PIDFILE is a live process
pid_alive() {
    local pf="$1" pid
    [[ -s "$pf" ]] || return 1
    pid="$(cat "$pf" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null
}

# wait_for SECONDS DESCRIPTION CMD... -> polls CMD every second
wait_for() {
    local secs="$1" what="$2"; shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            die "timed out after ${secs}s waiting for: $what"
        fi
        sleep 1
    done
}

# ---------------------------------------------------------------- root check
if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E bash "$0" "$@"
    fi
    echo "start_slurm.sh must run as root (or with sudo available)" >&2
    exit 1
fi

START=$SECONDS

# ---------------------------------------------------------------- (a) install
need_install=0
for bin in slurmctld slurmd sinfo srun sbatch squeue scontrol munged; do
    if ! command -v "$bin" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$bin ]]; then
        need_install=1
    fi
done
if ((need_install)); then
    log "installing slurm-wlm + munge via apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends: skip the *-dev plugin packages and friends.
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    log "apt install done ($((SECONDS - START))s)"
fi
export PATH="$PATH:/usr/sbin:/sbin"

SLURM_USER=root
if id slurm >/dev/null 2>&1; then SLURM_USER=slurm; fi
MUNGE_USER=root
if id munge >/dev/null 2>&1; then MUNGE_USER=munge; fi

# ---------------------------------------------------------------- (b) config
NODE="$(hostname -s)"
CPUS="$(nproc --all)"
# Topology from slurmd itself when available (avoids "topology mismatch"
# warnings); fall back to a flat CPUs= line.
TOPO="CPUs=$CPUS"
if topo_line="$(slurmd -C 2>/dev/null | head -n1)"; then
    s="$(sed -n 's/.*SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$topo_line")"
    c="$(sed -n 's/.*CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$topo_line")"
    t="$(sed -n 's/.*ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$topo_line")"
    cp="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$topo_line")"
    if [[ -n "$s" && -n "$c" && -n "$t" && "$cp" == "$CPUS" ]]; then
        TOPO="CPUs=$CPUS Sockets=$s CoresPerSocket=$c ThreadsPerCore=$t"
    fi
fi
# Advertise at least SLURM_NODE_CPUS CPUs (config_overrides below makes slurmd accept it).
NODE_CPUS="${SLURM_NODE_CPUS:-8}"
if ((NODE_CPUS > CPUS)); then TOPO="CPUs=$NODE_CPUS"; fi
MEM_TOTAL="$(free -m | awk '/^Mem:/ {print $2}')"
# Leave ~5% (at least 256 MiB) for the OS: slurmd drains a node whose
# configured RealMemory exceeds what it detects.
MEM_RESERVE=$((MEM_TOTAL / 20))
((MEM_RESERVE < 256)) && MEM_RESERVE=256
REAL_MEM=$((MEM_TOTAL - MEM_RESERVE))

mkdir -p "$CONF_DIR" "$CTLD_STATE" "$SLURMD_SPOOL" "$LOG_DIR"
chown "$SLURM_USER": "$CTLD_STATE" "$LOG_DIR"
chmod 755 "$CTLD_STATE" "$SLURMD_SPOOL" "$LOG_DIR"

NEW_CONF="$(mktemp)"
trap 'rm -f "$NEW_CONF"' EXIT
cat >"$NEW_CONF" <<EOF
# Generated by tests/cluster/start_slurm.sh -- single-node test cluster.
ClusterName=$CLUSTER_NAME
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=$SLURM_USER
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
SwitchType=switch/none
# No cgroups in this (gVisor) container -> track processes via /proc.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# No slurmdbd: sacct/sacctmgr/sshare do not work on this cluster.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
# Keep finished jobs visible to squeue/scontrol for 1 h: the tests read the
# requests of a run's jobs back after the run. The snakemake SLURM plugin only
# trusts 'squeue' status polling when MinJobAge >= 3 x
# init_seconds_before_status_checks (default 40s -> 120s).
MinJobAge=3600
# Trust the node lines below (more CPUs than the machine has, fake GPUs) instead of
# draining the node for a mismatch with the detected hardware.
SlurmdParameters=config_overrides
GresTypes=gpu
ReturnToService=2
StateSaveLocation=$CTLD_STATE
SlurmdSpoolDir=$SLURMD_SPOOL
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 $TOPO RealMemory=$REAL_MEM Gres=gpu:$NODE_GPUS State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

CONF_CHANGED=0
if [[ ! -f "$CONF" ]] || ! cmp -s "$NEW_CONF" "$CONF"; then
    install -m 644 "$NEW_CONF" "$CONF"
    CONF_CHANGED=1
    log "wrote $CONF (node=$NODE $TOPO RealMemory=$REAL_MEM)"
fi
# Fake GPUs: slurmd counts GPUs by their device files, so harmless character devices
# stand in; the scheduler allocates them (and sets CUDA_VISIBLE_DEVICES) like real ones.
NEW_GRES="$(mktemp)"
{
    echo "# Generated by tests/cluster/start_slurm.sh: $NODE_GPUS fake GPUs (harmless char devices)."
    n=$NODE_GPUS
    for dev in /dev/null /dev/zero /dev/full /dev/urandom /dev/random /dev/tty; do
        ((n-- > 0)) || break
        echo "NodeName=$NODE Name=gpu File=$dev"
    done
} >"$NEW_GRES"
if [[ ! -f "$CONF_DIR/gres.conf" ]] || ! cmp -s "$NEW_GRES" "$CONF_DIR/gres.conf"; then
    install -m 644 "$NEW_GRES" "$CONF_DIR/gres.conf"
    CONF_CHANGED=1
fi
rm -f "$NEW_GRES"
# cgroup.conf is only read by cgroup plugins; write a harmless one so that
# nothing tries to autodetect/mount cgroups.
if [[ ! -f "$CONF_DIR/cgroup.conf" ]]; then
    cat >"$CONF_DIR/cgroup.conf" <<'EOF'
# Generated by tests/cluster/start_slurm.sh: cgroups are not used
# (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none).
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
EOF
fi

# ---------------------------------------------------------------- (c) munge
if [[ ! -s "$MUNGE_KEY" ]]; then
    log "creating munge key $MUNGE_KEY"
    mkdir -p "$(dirname "$MUNGE_KEY")"
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile="$MUNGE_KEY" --force
    else
        dd if=/dev/urandom bs=1 count=1024 of="$MUNGE_KEY" status=none
    fi
fi
mkdir -p "$MUNGE_RUN" /var/lib/munge /var/log/munge
chown "$MUNGE_USER": "$MUNGE_KEY" "$MUNGE_RUN" /var/lib/munge /var/log/munge "$(dirname "$MUNGE_KEY")"
chmod 0400 "$MUNGE_KEY"
chmod 0700 "$(dirname "$MUNGE_KEY")" /var/log/munge
chmod 0755 "$MUNGE_RUN"

if ! pid_alive "$MUNGE_PID"; then
    log "starting munged"
    rm -f "$MUNGE_PID" "$MUNGE_RUN/munge.socket.2" "$MUNGE_RUN/munge.socket.2.lock"
    if [[ "$MUNGE_USER" != root ]]; then
        runuser -u "$MUNGE_USER" -- munged --pid-file="$MUNGE_PID" --log-file="$MUNGE_LOG" \
            || die "munged failed to start"
    else
        munged --force --pid-file="$MUNGE_PID" --log-file="$MUNGE_LOG" || die "munged failed to start"
    fi
fi
wait_for 20 "munge credential round-trip" bash -c 'munge -n | unmunge'

# ---------------------------------------------------------------- (c) slurm
if ((CONF_CHANGED)) && pid_alive "$CTLD_PID"; then
    log "slurm.conf changed -> restarting daemons"
    kill "$(cat "$SLURMD_PID" 2>/dev/null)" 2>/dev/null || true
    kill "$(cat "$CTLD_PID")" 2>/dev/null || true
    for _ in $(seq 1 20); do
        pid_alive "$CTLD_PID" || pid_alive "$SLURMD_PID" || break
        sleep 0.5
    done
fi

if ! pid_alive "$CTLD_PID"; then
    log "starting slurmctld"
    rm -f "$CTLD_PID"
    # -c: start from an empty job table. Jobs in StateSaveLocation belong to daemons that are
    # gone (an earlier boot, or a snapshot of this machine taken mid-run); recovered, they hold
    # CPUs and memory that no process uses, and the self-test below waited on them past its
    # timeout (a CI run failed so). Jobs of a cluster that is still up are kept: this branch
    # runs only when slurmctld is not.
    slurmctld -c -f "$CONF" || die "slurmctld failed to start"
fi
wait_for 30 "slurmctld to answer (scontrol ping)" bash -c 'scontrol ping | grep -q UP'

if ! pid_alive "$SLURMD_PID"; then
    log "starting slurmd"
    rm -f "$SLURMD_PID"
    slurmd -f "$CONF" || die "slurmd failed to start"
fi

# ---------------------------------------------------------------- (d) checks
node_ready() {
    local st
    st="$(sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n1)"
    case "$st" in
        idle | mixed | allocated | completing) return 0 ;;
        down* | drain* | fail*)
            # e.g. left DOWN from a previous unclean stop: resume it.
            scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
            return 1 ;;
        *) return 1 ;;
    esac
}
wait_for "$TIMEOUT" "node $NODE to become idle in sinfo" node_ready
log "node $NODE is up ($((SECONDS - START))s)"

if [[ "${SLURM_SKIP_SELFTEST:-0}" != 1 ]]; then
    out="$(timeout "$TIMEOUT" srun -p "$PARTITION" -N1 -n1 --mem=64 -t 1 hostname 2>&1)" \
        || die "srun hostname failed: $out"
    [[ -n "$out" ]] || die "srun hostname printed nothing"
    log "srun hostname -> $out"

    tmpd="$(mktemp -d)"
    chmod 777 "$tmpd"
    jid="$(sbatch --parsable -p "$PARTITION" -n1 --mem=64 -t 1 -o "$tmpd/out.%j" -D "$tmpd" \
        --wrap 'echo sbatch-ok on $(hostname)' 2>&1)" || die "sbatch failed: $jid"
    jid="${jid%%;*}"
    job_done() {
        local st
        st="$(scontrol show job "$jid" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')"
        case "$st" in
            COMPLETED) return 0 ;;
            FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL)
                die "sbatch test job $jid ended in state $st" ;;
            *) return 1 ;;
        esac
    }
    wait_for "$TIMEOUT" "sbatch test job $jid to complete" job_done
    grep -q sbatch-ok "$tmpd/out.$jid" || die "sbatch job $jid output missing: $(cat "$tmpd"/out.* 2>&1)"
    log "sbatch --wrap -> $(cat "$tmpd/out.$jid")"
    rm -rf "$tmpd"
fi

log "SLURM cluster '$CLUSTER_NAME' ready: partition '$PARTITION', node $NODE" \
    "($TOPO, RealMemory=${REAL_MEM}M) in $((SECONDS - START))s"
