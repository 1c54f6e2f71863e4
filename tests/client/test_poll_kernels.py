"""Poll from two real kernels of a real Jupyter server with the extension.

On a personal server every kernel is its owner (a moderator): the teacher's
kernel asks and drives the poll, the second kernel joins with ``Poll(room)``,
and both kernels' votes are one ballot, the owner's.
"""

from __future__ import annotations

import json
from typing import Any

WAIT = """
import json, time
def wait_for(predicate):
    deadline = time.monotonic() + 20
    while not predicate(poll.results) and time.monotonic() < deadline:
        time.sleep(0.02)
    print(json.dumps(poll.results))
"""


def results(kernel: Any, predicate: str) -> dict[str, Any]:
    """``poll.results`` in ``kernel`` once ``predicate`` (a lambda's source) holds (bounded)."""
    return json.loads(kernel.run(f"wait_for({predicate})"))


def test_a_teacher_kernel_asks_another_kernel_votes_and_both_read_the_results(
        jupyter_server: Any, start_kernel: Any) -> None:
    env = {"PARTYWIDGET_JUPYTER_URL": jupyter_server.http_url,
           "PARTYWIDGET_JUPYTER_TOKEN": jupyter_server.token}
    teacher, student = start_kernel(env), start_kernel(env)
    teacher.run("from partywidget import Poll\n"
                "poll = Poll('kernels-poll', '2+2?', ['3', '4', '5'], hidden=True)" + WAIT)
    student.run("from partywidget import Poll\npoll = Poll('kernels-poll')" + WAIT)
    joined = results(student, "lambda r: r is not None")
    assert joined["question"] == "2+2?" and joined["options"] == ["3", "4", "5"]

    student.run("poll.vote('4')")
    seen = results(teacher, "lambda r: r['total'] == 1")
    assert seen["counts"] == {"3": 0, "4": 1, "5": 0} and seen["mine"] == ["4"]
    # The same user in another kernel: the ballot is replaced, never doubled.
    teacher.run("poll.vote('5')")
    seen = results(student, "lambda r: r['mine'] == ['5']")
    assert seen["total"] == 1 and seen["counts"] == {"3": 0, "4": 0, "5": 1}
    assert list(seen["voters"]) == ["3", "4", "5"] and len(seen["voters"]["5"]) == 1

    teacher.run("poll.close()")
    assert results(student, "lambda r: r['closed']")["closed"] is True
    teacher.run("poll.reset()")
    after = results(student, "lambda r: not r['closed'] and r['total'] == 0")
    assert after["mine"] == [] and after["revealed"] is False
    teacher.run("poll.reveal()")
    assert results(student, "lambda r: r['revealed']")["revealed"] is True
