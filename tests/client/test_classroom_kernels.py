"""Poll and Hands from two real kernels of a real Jupyter server with the extension.

On a personal server every kernel is its owner (a moderator): the teacher's
kernel asks and drives the activity, the second kernel joins it, and both
kernels act as one user (one ballot, one hand, one upvote).
"""

from __future__ import annotations

import json
from typing import Any

WAIT = """
import json, time
def wait_for(read, predicate):
    deadline = time.monotonic() + 20
    while not predicate(read()) and time.monotonic() < deadline:
        time.sleep(0.02)
    print(json.dumps(read()))
"""


def results(kernel: Any, predicate: str) -> dict[str, Any]:
    """``poll.results`` in ``kernel`` once ``predicate`` (a lambda's source) holds (bounded)."""
    return json.loads(kernel.run(f"wait_for(lambda: poll.results, {predicate})"))


def hands_state(kernel: Any, predicate: str) -> dict[str, Any]:
    """``hands.state`` in ``kernel`` once ``predicate`` holds (bounded)."""
    return json.loads(kernel.run(f"wait_for(lambda: hands.state, {predicate})"))


def kernel_env(server: Any) -> dict[str, str]:
    """What the extension puts in the environment of the kernels its server starts."""
    return {"PARTYWIDGET_JUPYTER_URL": server.http_url,
            "PARTYWIDGET_JUPYTER_TOKEN": server.token}


def test_a_teacher_kernel_asks_another_kernel_votes_and_both_read_the_results(
        jupyter_server: Any, start_kernel: Any) -> None:
    teacher, student = start_kernel(kernel_env(jupyter_server)), start_kernel(
        kernel_env(jupyter_server))
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


def test_a_kernel_raises_a_hand_and_asks_another_answers(
        jupyter_server: Any, start_kernel: Any) -> None:
    teacher, student = start_kernel(kernel_env(jupyter_server)), start_kernel(
        kernel_env(jupyter_server))
    for kernel in (teacher, student):
        kernel.run("from partywidget import Hands\nhands = Hands('kernels-hands')" + WAIT)
    student.run("hands.raise_hand()\nhands.ask('Why is range() exclusive?')")
    seen = hands_state(teacher, "lambda s: s['questions'] and s['raised']")
    assert seen["position"] == 1 and len(seen["hands"]) == 1  # the owner's, one hand
    (question,) = seen["questions"]
    assert question["mine"] is True and question["author"]  # the teacher sees the author
    teacher.run(f"hands.upvote({question['id']})")
    student.run(f"hands.upvote({question['id']})")  # the same user: still one vote
    seen = hands_state(student, "lambda s: s['questions'][0]['voted']")
    assert seen["questions"][0]["votes"] == 1
    teacher.run(f"hands.answered({question['id']})\nhands.lower_hand()")
    seen = hands_state(student, "lambda s: not s['questions'] and not s['raised']")
    assert seen["position"] is None
