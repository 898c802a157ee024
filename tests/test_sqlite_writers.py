"""SQLite writers queue before BEGIN IMMEDIATE (engine/store/sqlite_writers.py): one at a
time across threads and processes, the turn given up however the transaction ends, and
never held by a process that died."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.store.database import make_engine
from engine.store.shared_reads import READ_ONLY
from engine.store.sqlite_writers import writer_queue

# A second process that takes a write transaction through the same code, says so on
# stdout, and holds it until killed.
HOLDER = """
import sys, time
from sqlalchemy import text
from engine.store.database import make_engine
engine = make_engine(sys.argv[1])
with engine.begin() as connection:
    connection.execute(text("INSERT INTO marks (who) VALUES ('holder')"))
    print("holding", flush=True)
    time.sleep(120)
"""


@pytest.fixture()
def database(tmp_path: Path):
    path = tmp_path / "queue.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE marks (id INTEGER PRIMARY KEY, who TEXT)"))
    yield path, engine
    engine.dispose()


def _marks(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT who FROM marks ORDER BY id")).scalars())


def test_writers_of_two_threads_never_overlap(database):
    _path, engine = database
    inside, overlaps = [0], []
    guard = threading.Lock()

    def write(n: int) -> None:
        for _ in range(20):
            with engine.begin() as connection:
                with guard:
                    inside[0] += 1
                    overlaps.append(inside[0] > 1)
                connection.execute(text("INSERT INTO marks (who) VALUES (:w)"), {"w": str(n)})
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(_marks(engine)) == 80
    assert not any(overlaps)


def test_the_turn_is_given_up_after_a_rollback_and_an_error(database):
    _path, engine = database
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("INSERT INTO marks (who) VALUES ('lost')"))
        raise RuntimeError("the unit of work fails half-way")
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO marks (who) VALUES ('rolled back')"))
        connection.rollback()
    done = threading.Event()

    def other_thread() -> None:  # would wait forever if a turn were still held
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO marks (who) VALUES ('kept')"))
        done.set()

    threading.Thread(target=other_thread, daemon=True).start()
    assert done.wait(10)
    assert _marks(engine) == ["kept"]


def test_a_second_engine_on_the_same_file_shares_the_queue(database):
    path, engine = database
    other = make_engine(f"sqlite:///{path}")
    try:
        assert writer_queue(path) is writer_queue(path.parent / "." / path.name)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO marks (who) VALUES ('first engine')"))
        with other.begin() as connection:
            connection.execute(text("INSERT INTO marks (who) VALUES ('second engine')"))
        assert _marks(engine) == ["first engine", "second engine"]
    finally:
        other.dispose()


def test_a_writer_in_another_process_is_waited_for_and_its_death_frees_the_turn(database):
    path, engine = database
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, f"sqlite:///{path}"],
                              stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        wrote = threading.Event()

        def write() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO marks (who) VALUES ('after')"))
            wrote.set()

        threading.Thread(target=write, daemon=True).start()
        # Not a timer: the writer must still be waiting while the holder lives.
        assert not wrote.wait(0.5)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert wrote.wait(10), "the killed holder's turn was never given up"
    finally:
        if holder.poll() is None:
            holder.kill()
    assert _marks(engine) == ["after"]  # the holder's insert died with it


def test_readers_do_not_queue_behind_a_writer(database):
    _path, engine = database
    with engine.begin() as writer:
        writer.execute(text("INSERT INTO marks (who) VALUES ('pending')"))
        result: list[list[str]] = []
        reader = threading.Thread(target=lambda: result.append(_read_only(engine)))
        reader.start()
        reader.join(10)
        assert result == [[]]  # the reader saw the last committed state, without waiting


def _read_only(engine) -> list[str]:
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection, \
            connection.begin():
        return list(connection.execute(text("SELECT who FROM marks")).scalars())


def test_a_transaction_abandoned_and_closed_by_another_thread_gives_its_turn_back(database):
    _path, engine = database
    opened: list = []

    def abandon() -> None:  # begins a write and leaves it open, as a crashed handler would
        connection = engine.connect()
        connection.begin()
        connection.execute(text("INSERT INTO marks (who) VALUES ('abandoned')"))
        opened.append(connection)

    thread = threading.Thread(target=abandon)
    thread.start()
    thread.join()
    opened[0].close()  # the pool's clean-up, here in the test's thread
    done = threading.Event()

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO marks (who) VALUES ('next')"))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(10), "the abandoned transaction's turn was never given back"
    assert _marks(engine) == ["next"]
