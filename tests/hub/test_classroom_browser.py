"""A lesson on the real hub: teacher tess and students alice and bob, each in their own JupyterLab.

tess creates a poll and a quiz in her kernel; alice and bob vote and answer by
clicking the widgets in their own pages, on their own single-user servers;
tess's kernel then reads ``poll.results`` and ``quiz.scores()`` with both students
by name, and her Reveal reaches the students' pages.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import kernel_state, screenshot
from tests.hub.labpages import SLOW, open_notebook, run_all, write_notebook

pytestmark = pytest.mark.timeout(420)

OPTIONS = ["for i in range(5)", "while i < 5"]
QUESTIONS = [{"question": "2+2?", "choices": ["3", "4"], "answer": "4"},
             {"question": "Capital of France?", "answer": "Paris"}]

#: The teacher's kernel writes what it reads to lesson.state.json on every frame
#: (tests/browser/pages.py kernel_state reads it): poll.results and quiz.scores().
REPORT = """import json, os
def report(_frame=None):
    try:
        scores = quiz.scores()
        scores = scores.to_dict("records") if hasattr(scores, "to_dict") else scores
    except Exception:  # no quiz view yet
        scores = None
    with open("lesson.tmp", "w") as f:
        json.dump({"results": poll.results, "scores": scores}, f, default=str)
    os.replace("lesson.tmp", "lesson.state.json")
poll.client.on_event(report)
quiz.client.on_event(report)
report()"""


def live(page: Page, kind: str) -> Locator:
    """The page's ``.pw-<kind>`` widget once it is connected."""
    view = page.locator(f".pw-{kind}").last
    expect(view.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
    return view


def test_a_teacher_runs_a_poll_and_a_quiz_with_two_students_in_their_own_labs(hub, sign_in):
    if "tess" not in hub.envs:
        hub.envs.update(hub.spawn("tess"))
    lesson = secrets.token_hex(4)
    poll_room, quiz_room = f"lesson-poll-{lesson}", f"lesson-quiz-{lesson}"
    notebooks = {"tess": [f"from partywidget import Poll, Quiz\npoll = Poll({poll_room!r}, "
                          f"'Which loop?', {OPTIONS!r})\npoll",
                          f"quiz = Quiz({quiz_room!r}, {QUESTIONS!r})\nquiz", REPORT]}
    for name in ("alice", "bob"):
        notebooks[name] = [f"from partywidget import Poll, Quiz\nPoll({poll_room!r})",
                           f"Quiz({quiz_room!r})"]
    # Three pages load and start their kernels side by side, then each runs its notebook.
    pages = {name: sign_in(name) for name in notebooks}
    for name, cells in notebooks.items():
        open_notebook(pages[name], hub, name, write_notebook(hub, name, "lesson.ipynb", cells))
    for page in pages.values():
        run_all(page, "lesson.ipynb")
    teacher = pages.pop("tess")
    students = {name: (live(page, "poll"), live(page, "quiz")) for name, page in pages.items()}
    home = hub.workdir / "home" / "tess"
    kernel_state(home, "lesson", lambda s: s["results"] is not None and s["scores"] == [],
                 timeout=SLOW / 1000)

    # Each student clicks their choices in their own widgets.
    for name, (option, choice, text) in {"alice": (OPTIONS[0], "4", "Paris"),
                                         "bob": (OPTIONS[1], "3", " paris ")}.items():
        poll, quiz = students[name]
        poll.locator(".pw-option", has_text=option).click()
        expect(poll.locator(".pw-option", has_text=option)).to_have_attribute(
            "aria-pressed", "true", timeout=SLOW)
        quiz.locator(".pw-choice", has_text=choice).click()
        quiz.locator(".pw-free-answer").fill(text)
        quiz.locator(".pw-free-answer").press("Enter")

    # The teacher's kernel reads both students, by name (kernel_state fails showing the last
    # state if this never holds).
    def scores(state: dict) -> list[tuple[str, int]]:
        return [(r["username"], r["score"]) for r in state["scores"] or []]

    state = kernel_state(home, "lesson", lambda s: s["results"]["total"] == 2 and scores(s) == [
        ("alice", 2), ("bob", 1)], timeout=SLOW / 1000)
    assert state["results"]["counts"] == {OPTIONS[0]: 1, OPTIONS[1]: 1}
    assert state["results"]["voters"] == {OPTIONS[0]: ["alice"], OPTIONS[1]: ["bob"]}
    assert [(r["q1"], r["q2"]) for r in state["scores"]] == [("4", "Paris"), ("3", "paris")]

    # The teacher reveals from her widget: each student sees their own marks.
    live(teacher, "quiz").locator(".pw-reveal").click()
    for name, correct in (("alice", "true"), ("bob", "false")):
        quiz = students[name][1]
        expect(quiz).to_have_attribute("data-revealed", "true", timeout=SLOW)
        expect(quiz.locator(".pw-quiz-question").first).to_have_attribute("data-correct",
                                                                           correct)

    # The docs' pictures of both sides (docs/jupyterhub.md; scripts/screenshots.sh copies them).
    screenshot(live(teacher, "poll"), "hub-poll-teacher.png")
    screenshot(students["bob"][0], "hub-poll-student.png")
    screenshot(live(teacher, "quiz"), "hub-quiz-teacher.png")
    screenshot(students["bob"][1], "hub-quiz-student.png")
