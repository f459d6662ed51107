"""`make run`'s supervisor (bin/run.py): the web server and one job worker start together on
the embedded queue, and Ctrl-C stops both."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_run_serves_the_app_with_a_worker_and_ctrl_c_stops_both(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "COPLAN_ENV", "COPLAN_QUEUE_URL")
    }
    env |= {"COPLAN_INSTANCE": str(tmp_path), "FLASK_APP": "app:create_app"}
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    run = subprocess.Popen(
        [sys.executable, "bin/run.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(run.stdout), daemon=True)
    reader.start()
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.3)
            with contextlib.suppress(OSError):
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").status
        assert status == 200
        while time.monotonic() < deadline and not any("coplan jobs worker" in x for x in lines):
            time.sleep(0.2)
        assert (tmp_path / "queue.sqlite3").exists()  # the embedded queue, in the instance
        children = _children(run.pid)
        assert len(children) == 2
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)
        reader.join(timeout=10)
        output = "".join(lines)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, output
    assert "coplan jobs worker: queue sqlite" in output
    assert "web server and worker stopped" in output
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
