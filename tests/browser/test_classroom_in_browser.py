"""Poll, Hands, Quiz and Snippets in real JupyterLab pages: a teacher's notebook, a second page joining.

Each page logs in on its own (a browser session is its own user on a personal
server, and a moderator there): the tests watch one page act and the other follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Locator, expect

from tests.browser.pages import QUICK, SLOW, NotebookPage, kernel_state, screenshot
from tests.conftest import ServerProcess
from tests.integration.test_jwt_identities import AUDIENCE, SECRET, hs256, serve

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def write_notebook(root: Path, name: str, cells: list[str]) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, root / f"{name}.ipynb")


def report_cell(name: str, obj: str = "poll", read: str = "results") -> str:
    """A cell that writes ``<obj>.<read>`` to ``<name>.state.json`` on every frame."""
    return ("import json, os\n"
            "def report(_frame=None):\n"
            f"    with open({name + '.tmp'!r}, 'w') as f:\n"
            f"        json.dump({{{read!r}: {obj}.{read}}}, f)\n"
            f"    os.replace({name + '.tmp'!r}, {name + '.state.json'!r})\n"
            f"{obj}.client.on_event(report)\nreport()")


def open_live(open_notebook: Callable[[str], NotebookPage], path: str, kind: str
              ) -> tuple[NotebookPage, Locator]:
    """Open and run a notebook; the page and its newest live ``.pw-<kind>`` view."""
    page = open_notebook(path)
    page.run_all()
    view = page.page.locator(f".pw-{kind}").last
    expect(view.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
    return page, view


def open_class(open_notebook: Callable[[str], NotebookPage], root: Path, cls: str, room: str,
               read: str, args: str = "") -> tuple[NotebookPage, Locator, NotebookPage, Locator]:
    """The teacher's and a student's pages of activity ``cls`` (``"Hands"``) in ``room``, live.

    The teacher's notebook makes ``<cls lower> = cls(room<args>)`` and reports its
    ``read`` attribute (:func:`report_cell`); the student's shows ``cls(room)``, opened
    once the teacher's kernel has joined. Returns (teacher, its view, student, its view).
    """
    obj = cls.lower()
    teacher_name, student_name = f"{obj}-teacher", f"{obj}-student"
    write_notebook(root, teacher_name, [
        f"from partywidget import {cls}\n{obj} = {cls}({room!r}{args})\n{obj}",
        report_cell(teacher_name, obj, read)])
    write_notebook(root, student_name, [f"from partywidget import {cls}\n{cls}({room!r})"])
    teacher, a = open_live(open_notebook, f"lab/tree/{teacher_name}.ipynb", obj)
    kernel_state(root, teacher_name, lambda s: s[read] is not None)
    student, b = open_live(open_notebook, f"lab/tree/{student_name}.ipynb", obj)
    return teacher, a, student, b


def bar(view: Locator, label: str) -> Locator:
    return view.locator(".pw-option", has_text=label)


def test_bars_move_in_every_page_as_votes_arrive(lab: ServerProcess, open_notebook) -> None:
    root = Path(lab.workdir)
    room = "e2e-poll"
    write_notebook(root, "teacher", [
        f"from partywidget import Poll\npoll = Poll({room!r}, 'Best <b>editor</b>?', "
        f"['vim', {XSS!r}, 'emacs'])\npoll", report_cell("teacher")])
    write_notebook(root, "student", [f"from partywidget import Poll\npoll = Poll({room!r})\npoll"])
    teacher, student = open_notebook("lab/tree/teacher.ipynb"), None
    teacher.run_all()
    kernel_state(root, "teacher", lambda s: s["results"] is not None)
    student = open_notebook("lab/tree/student.ipynb")
    student.run_all()
    views = []
    for page in (teacher, student):
        view = page.page.locator(".pw-poll").last
        expect(view.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
        expect(view.locator(".pw-question")).to_have_text("Best <b>editor</b>?", timeout=QUICK)
        views.append(view)
    a, b = views

    # A vote in one page moves the bar in the other, and reaches the teacher's kernel.
    bar(b, "emacs").click()
    expect(bar(a, "emacs")).to_have_attribute("data-count", "1", timeout=QUICK)
    expect(bar(a, "emacs").locator(".pw-bar")).to_have_attribute("style", "width: 100%;")
    state = kernel_state(root, "teacher", lambda s: s["results"]["total"] == 1)
    assert state["results"]["counts"] == {"vim": 0, XSS: 0, "emacs": 1}
    # The other page is another login (its own user): a second ballot, bars at 50%.
    bar(a, XSS).click()
    expect(bar(b, XSS)).to_have_attribute("data-count", "1", timeout=QUICK)
    expect(b).to_have_attribute("data-total", "2")
    expect(bar(b, "emacs").locator(".pw-bar")).to_have_attribute("style", "width: 50%;")
    # A changed vote moves that user's ballot, it is never doubled.
    bar(a, "vim").click()
    expect(bar(b, "vim")).to_have_attribute("data-count", "1", timeout=QUICK)
    expect(bar(b, XSS)).to_have_attribute("data-count", "0")
    expect(b).to_have_attribute("data-total", "2")
    expect(bar(a, "vim")).to_have_attribute("aria-pressed", "true")

    # HTML in the question and options is shown as text: no <img>, no dialog.
    for view in (a, b):
        expect(view.locator(".pw-label", has_text=XSS)).to_be_visible()
        assert view.locator("img, b").count() == 0
    screenshot(a, "poll-light.png")

    # The teacher closes from the widget: every page stops taking votes; reset reopens.
    a.locator(".pw-close").click()
    expect(b).to_have_attribute("data-closed", "true", timeout=QUICK)
    expect(bar(b, "vim")).to_be_disabled()
    kernel_state(root, "teacher", lambda s: s["results"]["closed"])
    b.locator(".pw-reset").click()
    expect(a).to_have_attribute("data-total", "0", timeout=QUICK)
    expect(bar(a, "vim")).to_be_enabled()

    # Teachers ask a new poll from the widget too.
    b.locator(".pw-ask summary").click()
    b.locator(".pw-ask-question").fill("Tea or coffee?")
    b.locator(".pw-ask-options").fill("tea\ncoffee\n")
    b.locator(".pw-ask-submit").click()
    expect(a.locator(".pw-question")).to_have_text("Tea or coffee?", timeout=QUICK)
    kernel_state(root, "teacher", lambda s: s["results"]["options"] == ["tea", "coffee"])

    student.theme("JupyterLab Dark")
    screenshot(b, "poll-dark.png")
    assert teacher.dialogs == [] and student.dialogs == []


def test_hands_and_questions_move_between_pages(lab: ServerProcess, open_notebook) -> None:
    root = Path(lab.workdir)
    teacher, a, student, b = open_class(open_notebook, root, "Hands", "e2e-hands", "state")

    # B raises a hand: A (a teacher) sees it by name, B sees its place.
    b.locator(".pw-hand").click()
    expect(b.locator(".pw-place")).to_have_text("Your hand is up: 1st of 1.", timeout=QUICK)
    expect(a.locator(".pw-raised-hand")).to_have_count(1, timeout=QUICK)
    expect(a).to_have_attribute("data-raised", "1")

    # Questions: text stays text; upvotes move; ordering by votes; Answered removes.
    for text in (XSS, "second question"):
        b.locator(".pw-question-input").fill(text)
        b.locator(".pw-question-input").press("Enter")
    expect(a.locator(".pw-question")).to_have_count(2, timeout=QUICK)
    expect(a.locator(".pw-question-text").first).to_have_text(XSS)
    assert a.locator(".pw-questions img").count() == 0
    a.locator(".pw-question", has_text="second question").locator(".pw-upvote").click()
    expect(b.locator(".pw-question", has_text="second question")).to_have_attribute(
        "data-votes", "1", timeout=QUICK)
    b.locator(".pw-by-votes").click()
    expect(b.locator(".pw-question-text").first).to_have_text("second question")
    state = kernel_state(root, "hands-teacher", lambda s: len(s["state"]["questions"]) == 2)
    assert state["state"]["raised"] == 1
    screenshot(a, "hands-light.png")
    a.locator(".pw-question", has_text="second question").locator(".pw-answered").click()
    expect(b.locator(".pw-question")).to_have_count(1, timeout=QUICK)
    a.locator(".pw-lower").click()
    expect(b.locator(".pw-place")).to_have_text("0 hands up.", timeout=QUICK)
    kernel_state(root, "hands-teacher", lambda s: s["state"]["raised"] == 0)
    assert teacher.dialogs == [] and student.dialogs == []


def test_a_quiz_is_answered_in_one_page_and_marked_in_the_other(lab: ServerProcess,
                                                                 open_notebook) -> None:
    root = Path(lab.workdir)
    questions = [{"question": "2+2?", "choices": ["3", "4"], "answer": "4"},
                 {"question": XSS, "answer": "Paris"}]
    teacher, a, student, b = open_class(open_notebook, root, "Quiz", "e2e-quiz", "results",
                                        f", {questions!r}")
    expect(b.locator(".pw-quiz-text").nth(1)).to_have_text(XSS, timeout=QUICK)
    assert b.locator("img").count() == 0

    b.locator(".pw-choice", has_text="4").click()
    b.locator(".pw-free-answer").fill(" paris ")
    b.locator(".pw-free-answer").press("Enter")
    # The teacher's chart: question 1 and 2 each right once.
    expect(a.locator(".pw-chart-row").nth(1)).to_have_attribute("data-right", "1", timeout=QUICK)
    expect(a.locator(".pw-chart-row").first).to_have_attribute("data-right", "1")
    state = kernel_state(root, "quiz-teacher", lambda s: s["results"]["submitted"] == 1)
    assert state["results"]["scores"][0]["score"] == 2
    a.locator(".pw-reveal").click()
    expect(b).to_have_attribute("data-revealed", "true", timeout=QUICK)
    expect(b.locator(".pw-quiz-question").nth(1)).to_have_attribute("data-correct", "true")
    expect(b.locator(".pw-quiz-answer").nth(1)).to_contain_text("Answer: Paris")
    screenshot(a, "quiz-light.png")
    assert teacher.dialogs == [] and student.dialogs == []


def test_a_snippet_pushed_in_one_page_shows_as_text_in_the_other(lab: ServerProcess,
                                                                 open_notebook) -> None:
    root = Path(lab.workdir)
    teacher, a, student, b = open_class(open_notebook, root, "Snippets", "e2e-snippets",
                                        "snippets")
    a.locator(".pw-push-code").fill(f"print({XSS!r})")
    a.locator(".pw-push").click()
    expect(b.locator(".pw-snippet-code")).to_have_text(f"print({XSS!r})", timeout=QUICK)
    assert b.locator(".pw-snippet-list img").count() == 0
    state = kernel_state(root, "snippets-teacher", lambda s: len(s["snippets"]) == 1)
    assert state["snippets"][0]["code"] == f"print({XSS!r})"
    assert teacher.dialogs == [] and student.dialogs == []


@pytest.fixture(scope="module")
def jwt_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``partywidget serve`` with JWT identities (the integration tests' HS256 server)."""
    server = serve(tmp_path_factory.mktemp("jwt-class"), hs256("probe"), "--jwt-audience",
                   AUDIENCE, "--jwt-teacher-group", "staff",
                   env={"PARTYWIDGET_JWT_SECRET": SECRET})
    try:
        yield server
    finally:
        server.stop()


def jwt_cell(host: ServerProcess, token: str, code: str) -> str:
    """A first cell pointing the kernel at ``host`` with ``token``, as a course site would."""
    return (f"import os\nos.environ.update(PARTYWIDGET_URL={host.http_url!r}, "
            f"PARTYWIDGET_TOKEN={token!r})\n{code}")


def test_a_teacher_and_a_student_signed_by_jwt_run_a_poll_and_a_quiz(
        lab: ServerProcess, open_notebook, jwt_host: ServerProcess) -> None:
    # Issue 15: widgets pass the JWT in PARTYWIDGET_TOKEN (through their kernel, which
    # holds it) and join as its user; only the token's moderator gets teacher controls.
    root, room = Path(lab.workdir), "jwt-lesson"
    questions = [{"question": "What does len([1, 2, 3]) return?", "choices": ["2", "3", "4"],
                  "answer": "3"},
                 {"question": "2 ** 10 = ?", "answer": "1024"}]
    write_notebook(root, "jwt-teacher", [
        jwt_cell(jwt_host, hs256("mrs-t", name="Ms Turing", moderator=True),
                 "from partywidget import Poll, Quiz\npoll = Poll(" + repr(room) + ", "
                 "'Which plot shows a distribution best?', "
                 "['histogram', 'pie chart', 'line plot'], hidden=True)\npoll"),
        f"quiz = Quiz({room!r}, {questions!r})\nquiz",
        "import json, os\n"
        "def report(_frame=None):\n"
        "    with open('jwt-teacher.tmp', 'w') as f:\n"
        "        json.dump({'poll': poll.results, 'quiz': quiz.results,\n"
        "                   'user': poll.client.user}, f)\n"
        "    os.replace('jwt-teacher.tmp', 'jwt-teacher.state.json')\n"
        "poll.client.on_event(report)\nquiz.client.on_event(report)\nreport()"])
    write_notebook(root, "jwt-student", [
        jwt_cell(jwt_host, hs256("ada", name="Ada Lovelace"),
                 f"from partywidget import Poll, Quiz\nPoll({room!r})"), f"Quiz({room!r})"])
    teacher = open_notebook("lab/tree/jwt-teacher.ipynb")
    teacher.run_all()
    state = kernel_state(root, "jwt-teacher", lambda s: bool(s["poll"] and s["quiz"]))
    assert state["user"]["username"] == "mrs-t" and state["user"]["moderator"] is True
    student = open_notebook("lab/tree/jwt-student.ipynb")
    student.run_all()
    (t_poll, t_quiz), (s_poll, s_quiz) = (
        (page.widget("poll"), page.widget("quiz")) for page in (teacher, student))
    expect(s_poll.locator(".pw-question")).to_have_text("Which plot shows a distribution best?",
                                                        timeout=QUICK)
    expect(t_poll.locator(".pw-close")).to_be_visible()
    expect(s_poll.locator(".pw-close")).to_be_hidden()  # the student's token moderates nothing

    bar(s_poll, "histogram").click()
    bar(t_poll, "pie chart").click()
    state = kernel_state(root, "jwt-teacher", lambda s: s["poll"]["total"] == 2)
    assert state["poll"]["voters"]["histogram"] == ["Ada Lovelace"]  # as the token's user
    s_quiz.locator(".pw-choice", has_text="3").click()
    s_quiz.locator(".pw-free-answer").fill("1000")
    s_quiz.locator(".pw-free-answer").press("Enter")
    state = kernel_state(root, "jwt-teacher", lambda s: s["quiz"]["submitted"] == 1)
    assert [(s["username"], s["name"], s["score"]) for s in state["quiz"]["scores"]] == [
        ("ada", "Ada Lovelace", 1)]
    assert bar(s_poll, "histogram").get_attribute("data-count") is None  # hidden=True
    t_poll.locator(".pw-reveal").click()
    expect(bar(s_poll, "histogram")).to_have_attribute("data-count", "1", timeout=QUICK)
    t_quiz.locator(".pw-reveal").click()
    expect(s_quiz).to_have_attribute("data-revealed", "true", timeout=QUICK)
    assert teacher.dialogs == [] and student.dialogs == []
