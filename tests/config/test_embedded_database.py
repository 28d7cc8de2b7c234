"""The embedded PostgreSQL boots from nothing, is shared by concurrent processes, and survives a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

QUERY_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import psycopg
    from config.database import _ensure_database, start_embedded_server

    server = start_embedded_server(Path(sys.argv[1]))
    _ensure_database(server, "personas")
    socket_dir = str(server.get_postmaster_info().socket_dir)
    with psycopg.connect(host=socket_dir, user="postgres", dbname="personas") as conn:
        print(conn.execute("SELECT current_database(), 40 + 2").fetchone(), flush=True)
    # Stay attached until the test creates the release file (or a minute passes).
    release = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    deadline = time.monotonic() + 60
    while release is not None and not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    """
)


def run_script(pgdata: Path, hold_until: Path | None = None) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.Popen(
        [sys.executable, "-c", QUERY_SCRIPT, str(pgdata), *([str(hold_until)] if hold_until else [])],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def server_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def pgdata(tmp_path):
    path = tmp_path / "data" / "postgres"
    yield path
    if server_running(path):  # never leave a server behind, whatever the test did
        subprocess.run(["pkill", "-f", f"-D {path}"], check=False)


def test_boots_from_nothing_runs_a_query_and_stops_when_the_last_process_exits(pgdata):
    assert not pgdata.exists()
    assert "('personas', 42)" in finish(run_script(pgdata))
    assert (pgdata / "PG_VERSION").exists()
    assert not server_running(pgdata)


def test_a_second_process_attaches_to_the_running_server(pgdata, tmp_path):
    release = tmp_path / "release"
    first = run_script(pgdata, hold_until=release)
    assert "('personas', 42)" in first.stdout.readline()  # the server is up and the first is attached
    assert "('personas', 42)" in finish(run_script(pgdata))
    assert server_running(pgdata), "the second process must not stop a server the first still uses"
    release.touch()
    finish(first)
    assert not server_running(pgdata)


def test_a_killed_server_is_started_again(pgdata, tmp_path):
    release = tmp_path / "release"
    holder = run_script(pgdata, hold_until=release)
    assert "('personas', 42)" in holder.stdout.readline()
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)  # a crash: stale postmaster.pid, the holder still listed
    holder.kill()
    holder.communicate(timeout=30)
    for _ in range(100):  # the server's children notice their parent died and exit
        if not subprocess.run(["pgrep", "-f", f"-D {pgdata}"], capture_output=True).stdout:
            break
        time.sleep(0.1)
    assert "('personas', 42)" in finish(run_script(pgdata))
    assert not server_running(pgdata)


def test_a_crashed_process_leaves_nothing_to_clean_by_hand(pgdata):
    finish(run_script(pgdata))
    # A process killed with SIGKILL stays listed as attached; a dead pid must not pin the server.
    (pgdata / ".handle_pids.json").write_text(json.dumps([2**22 + 12345]))
    assert "('personas', 42)" in finish(run_script(pgdata))
    assert not server_running(pgdata)
