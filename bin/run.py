#!/usr/bin/env python3
"""`make run`'s supervisor: the web server and one job worker (`flask jobs worker`) on the
embedded queue, started together and stopped together.

Ctrl-C (or SIGTERM) stops both: each child gets SIGINT (huey finishes the job it is running,
up to STOP_GRACE seconds), then SIGTERM, then SIGKILL. If either child exits on its own, the
other is stopped too and the supervisor exits with the first one's status.
Usage: python bin/run.py [--host 127.0.0.1] [--port 5000]
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE = 20  # seconds a child has to stop after SIGINT, then again after SIGTERM


def flask() -> str:
    """The flask executable beside this Python (the project's .venv)."""
    return str(Path(sys.executable).parent / "flask")


def start(host: str, port: int) -> dict[str, subprocess.Popen]:
    """The web server and the worker, each in its own process group (signals come from us)."""
    env = os.environ | {"FLASK_APP": os.environ.get("FLASK_APP", "app:create_app")}
    commands = {
        "web": [flask(), "run", "--host", host, "--port", str(port)],
        "worker": [flask(), "jobs", "worker"],
    }
    return {
        name: subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        for name, command in commands.items()
    }


def stop(children: dict[str, subprocess.Popen]) -> None:
    """SIGINT, then SIGTERM, then SIGKILL, to each child still running."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        running = [p for p in children.values() if p.poll() is None]
        if not running:
            return
        for process in running:
            process.send_signal(sig)
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and any(p.poll() is None for p in running):
            time.sleep(0.1)


def main(argv=None) -> int:
    """Run both until Ctrl-C or one of them exits; return an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    children = start(args.host, args.port)
    status = 0
    try:
        while not stopping:
            ended = [(n, p.returncode) for n, p in children.items() if p.poll() is not None]
            if ended:
                name, status = ended[0]
                print(f"run: the {name} process exited ({status}); stopping the other", flush=True)
                break
            time.sleep(0.2)
    finally:
        stop(children)
    if stopping:
        print("run: web server and worker stopped", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
