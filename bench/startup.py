"""Start-up figures: seconds from process start to the first AWS call of ``plan``,
``status`` and ``up``, and the wall time of ``ecsdeploy --help``.

``python -m bench.startup [--repeat N] [--importtime]`` starts the moto server behind the
benchmark's proxy (no added latency) and runs the CLI as a subprocess, as a user would.
"Process start" is the moment the subprocess is spawned (``time.monotonic()`` just before
``Popen``, so interpreter start-up counts); "first AWS call" is measured twice: when the
process calls ``connect()`` for its first request (the CLI runs as its console script
does, under a wrapper that writes that moment down: ``CONNECT_WRAPPER``), and when the
proxy has read that request (its call log, same clock: this adds the proxy's own accept
and parsing, in the benchmark's process); the process's CPU
time (user + system, from ``/proc``) when the proxy has logged that call is printed too,
a figure that depends little on the machine's load. Each command runs
``--repeat`` times (default 5) and the median is printed. ``--importtime`` also writes
``python -X importtime`` of each command to ``.bench/importtime-COMMAND.txt`` (the
biggest cumulative imports are printed).

A script, not a test: the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import specs
from bench.__main__ import compile_sources
from bench.emulator import Emulator
from bench.proxy import Proxy

ROOT = Path(__file__).resolve().parent.parent
ECSDEPLOY = Path(sys.executable).parent / "ecsdeploy"


def _env(proxy: Proxy) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=proxy.endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=specs.REGION,
        NO_COLOR="1",
    )
    return env


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The CLI as its console script runs it, with the moment of its first connect() written
# to BENCH_CONNECT_LOG (time.monotonic(): CLOCK_MONOTONIC, one clock for every process).
CONNECT_WRAPPER = """
import os, socket, sys, time
_connect, _log = socket.socket.connect, os.environ["BENCH_CONNECT_LOG"]
def connect(self, address):
    if not os.path.exists(_log):
        with open(_log, "w") as f:
            f.write(repr(time.monotonic()))
    return _connect(self, address)
socket.socket.connect = connect
sys.argv = ["ecsdeploy", *sys.argv[1:]]
from ecsdeploy.entry import main
main()
"""


def first_call(proxy: Proxy, args: list[str], log: Path) -> tuple[float, float, float, float]:
    """(seconds to the first AWS call at the proxy, seconds to the process's first
    connect(), CPU seconds the process had used by the proxy's call, total wall) of one run
    of ``ecsdeploy ARGS``. The CPU figure hardly depends on the machine's load, the wall
    figures do."""
    mark = proxy.log.mark()
    cpu = -1.0
    connected = log.with_suffix(".connect")
    connected.unlink(missing_ok=True)
    env = {**_env(proxy), "BENCH_CONNECT_LOG": str(connected)}
    argv = [sys.executable, "-c", CONNECT_WRAPPER, *args]
    with log.open("w") as out:
        start = time.monotonic()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        while process.poll() is None and proxy.log.mark() == mark:
            time.sleep(0.002)
        if process.poll() is None:
            try:
                cpu = _cpu_seconds(process.pid)
            except (OSError, IndexError, ValueError):
                pass
        returncode = process.wait()
        wall = time.monotonic() - start
    calls = proxy.log.since(mark)
    if returncode not in (0, 2) or not calls:  # plan exits 2 when there are changes
        raise RuntimeError(f"{' '.join(argv)} exited {returncode}; see {log}")
    first_connect = float(connected.read_text()) - start
    return min(c.start for c in calls) - start, first_connect, cpu, wall


def help_wall(repeat: int) -> float:
    walls = []
    for _ in range(repeat):
        start = time.monotonic()
        subprocess.run([str(ECSDEPLOY), "--help"], stdout=subprocess.DEVNULL, check=True)
        walls.append(time.monotonic() - start)
    return statistics.median(walls)


def importtime(proxy: Proxy, args: list[str], path: Path) -> list[tuple[int, str]]:
    """``python -X importtime`` of one command; the ten biggest cumulative imports (µs)."""
    argv = [sys.executable, "-X", "importtime", "-m", "ecsdeploy", *args]
    done = subprocess.run(argv, env=_env(proxy), capture_output=True, text=True)
    path.write_text(done.stderr)
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if name.startswith("ecsdeploy") or not name.startswith(" "):
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:10]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args(argv)
    compile_sources()
    work = ROOT / ".bench" / "startup"
    work.mkdir(parents=True, exist_ok=True)
    spec = specs.write(
        specs.example_spec(ROOT / "configs" / "example.yaml", "startup"), work / "spec.yaml"
    )
    commands = {
        "plan": ["plan", str(spec)],
        "status": ["status", str(spec)],
        "up": ["up", str(spec), "--yes", "--no-wait"],
    }
    with tempfile.TemporaryDirectory() as tmp, Emulator(Path(tmp) / "moto.log") as emulator:
        proxy = Proxy(emulator.port, 0.0).start()
        try:
            print(f"ecsdeploy --help: {help_wall(args.repeat):.3f} s wall (median)")
            for name, command in commands.items():
                firsts, connects, cpus, walls = [], [], [], []
                for index in range(args.repeat):
                    log = work / f"{name}-{index}.log"
                    first, connect, cpu, wall = first_call(proxy, command, log)
                    firsts.append(first)
                    connects.append(connect)
                    cpus.append(cpu)
                    walls.append(wall)
                print(
                    f"{name:7} first AWS call {statistics.median(firsts):.3f} s after process "
                    f"start at the proxy, {statistics.median(connects):.3f} s at its connect() "
                    f"(medians of {args.repeat}; proxy min {min(firsts):.3f}, max "
                    f"{max(firsts):.3f}); CPU by then {statistics.median(cpus):.2f} s; wall "
                    f"{statistics.median(walls):.2f} s"
                )
                if args.importtime:
                    top = importtime(proxy, command, work / f"importtime-{name}.txt")
                    for micros, module in top:
                        print(f"    {micros / 1e6:.3f} s  {module}")
            subprocess.run(
                [str(ECSDEPLOY), "down", str(spec), "--yes"],
                env=_env(proxy),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
