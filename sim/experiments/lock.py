"""The lock that keeps two sweeps from writing into one results folder at once.

Where the system has ``flock`` (Linux, macOS, BSD) the lock is the kernel's lock on ``DIR/.lock``:
taking it is one atomic step, only one open file can hold it, and it vanishes with the process that
held it, so a killed sweep never leaves a stale lock and there is no "is its owner still alive?"
guess to get wrong. The file also holds the owner's PID, for the message a second sweep prints.
Releasing removes the file only while still holding it, and a new owner checks that the file it
locked is still the one at ``DIR/.lock`` (not one its previous owner just removed), so two owners
can never hold two different files.

Elsewhere the lock is a file made in one step with its content (a hard link to a file already
holding ``PID token``); a lock whose PID is not running is taken over, and releasing removes the
file only if it still holds our token.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from sim.experiments.store import StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK = ".lock"


class FolderLock:
    """``acquire()`` raises StoreError when another sweep holds ``root``; ``release()`` frees only our own lock."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK
        self.fd: int | None = None
        self.token: str | None = None

    @property
    def held(self) -> bool:
        return self.fd is not None or self.token is not None

    def _busy(self) -> StoreError:
        try:
            owner = self.path.read_text().split()[0]
        except (OSError, IndexError):
            owner = ""
        who = f"another sweep (process {owner})" if owner.isdigit() else "another sweep"
        return StoreError(f"{self.root} is in use by {who}; wait for it to finish, or use another --out")

    def acquire(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - Windows
            self._acquire_by_link()
            return
        for _ in range(100):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise self._busy() from None
                raise
            try:
                st = os.stat(self.path)
                mine = os.fstat(fd)
                same = (st.st_ino, st.st_dev) == (mine.st_ino, mine.st_dev)
            except FileNotFoundError:
                same = False
            if not same:  # its previous owner removed it after we opened it: lock the new file instead
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self.fd = fd
            return
        raise StoreError(f"cannot lock {self.root}: {self.path} keeps being replaced")

    def _acquire_by_link(self) -> None:  # pragma: no cover - used only without flock
        token = f"{os.getpid()} {uuid.uuid4().hex}"
        tmp = self.path.with_name(f"{LOCK}.{uuid.uuid4().hex}")
        tmp.write_text(token)
        try:
            for _ in range(2):
                try:
                    os.link(tmp, self.path)
                except FileExistsError:
                    try:
                        pid = int(self.path.read_text().split()[0])
                    except (OSError, ValueError, IndexError):
                        raise self._busy() from None
                    if _alive(pid):
                        raise self._busy() from None
                    self.path.unlink(missing_ok=True)  # its owner died: take it over
                    continue
                self.token = token
                return
        finally:
            tmp.unlink(missing_ok=True)
        raise self._busy()

    def release(self) -> None:
        """Remove the lock file if we hold it; never touch another process's lock."""
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                with contextlib.suppress(FileNotFoundError):
                    st, mine = os.stat(self.path), os.fstat(fd)
                    if (st.st_ino, st.st_dev) == (mine.st_ino, mine.st_dev):
                        os.unlink(self.path)
            finally:
                os.close(fd)
        elif self.token is not None:  # pragma: no cover - Windows
            token, self.token = self.token, None
            with contextlib.suppress(OSError):
                if self.path.read_text() == token:
                    self.path.unlink()


@contextlib.contextmanager
def folder_lock(root: Path) -> Iterator[FolderLock]:
    """Hold ``root``'s lock for the block (StoreError at once if another sweep holds it)."""
    lk = FolderLock(root)
    lk.acquire()
    try:
        yield lk
    finally:
        lk.release()


def _alive(pid: int) -> bool:  # pragma: no cover - used only without flock
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
