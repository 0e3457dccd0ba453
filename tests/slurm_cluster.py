"""A real one-node SLURM cluster for the tests (Debian's slurm 22.05 + munge, as root, no systemd).

:func:`start_cluster` writes a slurm.conf with two scheduling-only fake GPUs and memory enforced (each job's
processes sampled every second, a job over its ``--mem`` killed: ``JobAcctGatherParams=OverMemoryKill``, as a
cluster without cgroups does it)
(state, spool, logs and the fake devices in a scratch directory; the two
configuration files in /etc/slurm, where job steps look), starts munged, slurmctld and slurmd, waits for the
node to be idle and returns the environment that points SLURM's clients at it.
:func:`stop_cluster` cancels jobs and stops the daemons.  Both raise
:class:`ClusterUnavailable` with the reason when this machine cannot do it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

DAEMONS = ("/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged")
MARKER = "# written by the HELIOS test suite (tests/slurm_cluster.py)"


class ClusterUnavailable(RuntimeError):
    pass


def _run(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, env=env, check=check)


def _slurm_conf(scratch: Path, cpus: int, memory_mb: int) -> str:
    return f"""ClusterName=helios-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
GresTypes=gpu
StateSaveLocation={scratch}/state
SlurmdSpoolDir={scratch}/spool
SlurmctldPidFile={scratch}/slurmctld.pid
SlurmdPidFile={scratch}/slurmd.pid
SlurmctldLogFile={scratch}/slurmctld.log
SlurmdLogFile={scratch}/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
MinJobAge=600
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def start_cluster(scratch: Path) -> dict[str, str]:
    """Start the cluster; returns the environment (SLURM_CONF) for clients and Snakemake."""
    if os.geteuid() != 0:
        raise ClusterUnavailable("needs root to run slurmctld, slurmd and munged")
    missing = [d for d in DAEMONS if not Path(d).exists()] + [c for c in ("sbatch", "sinfo", "squeue", "scontrol") if not shutil.which(c)]
    if missing:
        raise ClusterUnavailable(f"SLURM is not installed ({', '.join(missing)} missing); .ci/run installs it with apt-get")
    scratch.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool"):
        (scratch / sub).mkdir(exist_ok=True)
    for i in range(2):
        device = scratch / f"gpu{i}"
        if not device.exists():
            os.mknod(device, 0o666 | 0o020000, os.makedev(1, 3))  # character devices: gres needs files
    cpus = os.cpu_count() or 1
    memory_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
    # Job steps (srun inside a batch job) read the default path, whatever SLURM_CONF the daemons had:
    # the configuration goes to /etc/slurm, unless a real cluster's configuration is already there.
    conf_dir = Path("/etc/slurm")
    conf = conf_dir / "slurm.conf"
    if conf.exists() and MARKER not in conf.read_text():
        raise ClusterUnavailable(f"{conf} belongs to another cluster; not touching it")
    conf_dir.mkdir(parents=True, exist_ok=True)
    conf.write_text(MARKER + "\n" + _slurm_conf(scratch, cpus, memory_mb))
    (conf_dir / "gres.conf").write_text(f"{MARKER}\nNodeName=localhost Name=gpu File={scratch}/gpu[0-1]\n")
    env = {**os.environ, "SLURM_CONF": str(conf)}

    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    shutil.chown("/run/munge", "munge", "munge")
    if not Path("/etc/munge/munge.key").exists():
        _run("mungekey", "--create", check=False)
    if _run("pgrep", "-x", "munged", check=False).returncode != 0:
        started = _run("runuser", "-u", "munge", "--", "/usr/sbin/munged", check=False)
        if started.returncode != 0:
            raise ClusterUnavailable(f"munged did not start: {started.stderr.strip()}")
    check = subprocess.run("munge -n | unmunge", shell=True, capture_output=True, text=True)
    if check.returncode != 0:
        raise ClusterUnavailable(f"munge does not work: {check.stderr.strip()}")
    for command in (["/usr/sbin/slurmctld"], ["/usr/sbin/slurmd", "-N", "localhost"]):
        result = subprocess.run(command, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise ClusterUnavailable(f"{command[0]} did not start: {result.stderr.strip()}")
    deadline = time.monotonic() + 60
    state = ""
    while time.monotonic() < deadline:
        state = _run("sinfo", "-h", "-o", "%t", env=env, check=False).stdout.strip()
        if state == "idle":
            return env
        time.sleep(0.5)
    logs = "".join((scratch / name).read_text()[-1500:] for name in ("slurmctld.log", "slurmd.log") if (scratch / name).exists())
    stop_cluster(scratch, env)
    raise ClusterUnavailable(f"the node did not become idle (state {state!r}); logs:\n{logs}")


def stop_cluster(scratch: Path, env: dict[str, str]) -> None:
    _run("scancel", "--full", "--user", "root", env=env, check=False)
    for pidfile in ("slurmd.pid", "slurmctld.pid"):
        path = scratch / pidfile
        if path.exists():
            try:
                os.kill(int(path.read_text().strip()), 15)
            except (ValueError, ProcessLookupError):
                pass
    time.sleep(1)
    for name in ("slurm.conf", "gres.conf"):
        path = Path("/etc/slurm") / name
        if path.exists() and MARKER in path.read_text():
            path.unlink()
