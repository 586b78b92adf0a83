"""Child processes that a test run starts and ends on every exit path (tests/test_browser.py).

JupyterLab (with its kernels) and Chromium (with its renderers) each start in a process
group of their own, so that a Ctrl-C in the terminal reaches pytest alone, and pytest
decides when they end. :meth:`Group.end` ends a group and every process descended from
its leader (a kernel runs in a session of its own, outside its server's group), with
SIGINT and SIGTERM held back meanwhile so that a second Ctrl-C cannot cut it short; then
it removes the group's own temporary folder, where it has one (Chromium leaves a folder
with its singleton socket in TMPDIR). It is called:

- by the fixture that started the group, when the tests are done or interrupted;
- at interpreter exit (``atexit``), for a run whose teardown was cut short;
- on SIGTERM to pytest, which otherwise ends Python without running either of the above;
- on Linux, when pytest dies even by SIGKILL: each leader gets SIGTERM from the kernel
  (``setpriv --pdeathsig``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import psutil

_LIVE: dict[int, "Group"] = {}


@dataclass
class Group:
    """A process group led by ``process``, and what it was started as."""

    name: str
    process: subprocess.Popen
    descendants: set[int] = field(default_factory=set)
    temp_dir: Path | None = None  # the group's TMPDIR, removed once its processes are gone

    @property
    def pid(self) -> int:
        return self.process.pid

    def members(self) -> list[psutil.Process]:
        """The leader, everything descended from it, and everything left in its group."""
        found: dict[int, psutil.Process] = {}
        try:
            leader = psutil.Process(self.pid)
            for p in [leader, *leader.children(recursive=True)]:
                found[p.pid] = p
        except psutil.NoSuchProcess:
            pass
        for pid in self.descendants - found.keys():  # seen earlier, maybe orphaned since
            with contextlib.suppress(psutil.NoSuchProcess):
                found[pid] = psutil.Process(pid)
        for p in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if os.getpgid(p.pid) == self.pid:
                    found[p.pid] = p
        return list(found.values())

    def remember_descendants(self) -> None:
        """Note who belongs to the group now (a kernel outlives its server by a moment)."""
        self.descendants |= {p.pid for p in self.members()}

    def end(self, grace_s: float = 10) -> None:
        """SIGTERM to every member, SIGKILL to any left after ``grace_s``; then reap."""
        with _signals_held():
            members = self.members()
            for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, sig)
                for p in members:
                    with contextlib.suppress(psutil.Error):
                        p.send_signal(sig)
                _, members = psutil.wait_procs(members, timeout=wait_s)
                if not members:
                    break
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(1)
            if self.temp_dir is not None:
                shutil.rmtree(self.temp_dir, ignore_errors=True)
            _LIVE.pop(self.pid, None)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done (they are delivered afterwards)."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError):  # not the main thread, or no such call here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _with_parent_death_signal(command: Sequence[str]) -> list[str]:
    """``command`` run so that it gets SIGTERM when pytest dies (util-linux's setpriv,
    where there is one: no Python runs between fork and exec, which threads make unsafe)."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "TERM", "--", *command] if setpriv else list(command)


def start(name: str, command: Sequence[str], *, log: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None, own_temp_dir: bool = False) -> Group:
    """Start ``command`` as the leader of a new process group; output goes to ``log``.
    ``own_temp_dir``: its TMPDIR is a new folder, removed when the group ends (a short
    path in the system's temporary folder: a Unix socket's path has at most 107 bytes)."""
    _install_handlers()
    temp_dir = Path(tempfile.mkdtemp(prefix=f"course-{name}-")) if own_temp_dir else None
    if temp_dir is not None:
        env = {**(os.environ if env is None else env), "TMPDIR": str(temp_dir)}
    with log.open("ab") as out:
        process = subprocess.Popen(_with_parent_death_signal(command), env=env, cwd=cwd,
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    group = Group(name, process, temp_dir=temp_dir)
    _LIVE[process.pid] = group
    return group


def end_all() -> None:
    for group in list(_LIVE.values()):
        group.end(grace_s=5)


def live() -> list[Group]:
    return list(_LIVE.values())


_installed = False


def _on_sigterm(signum, frame) -> None:
    end_all()
    raise KeyboardInterrupt("SIGTERM")  # pytest tears down and reports an interrupted run


def _install_handlers() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(end_all)
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)
