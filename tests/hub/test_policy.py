"""HubPolicy: moderators and room groups decided from the hub's user model alone."""

from __future__ import annotations

import pytest

from partywidget.cli import build_parser
from partywidget.errors import ConfigurationError
from partywidget.server.hub import HubPolicy, hub_bind_address

STUDENT = {"name": "alice", "admin": False, "groups": ["class-101"]}
TEACHER = {"name": "tess", "admin": False, "groups": ["teachers"]}
ADMIN = {"name": "root", "admin": True, "groups": []}


def test_moderators_are_admins_and_the_teacher_group():
    policy = HubPolicy()
    assert [policy.is_moderator(m) for m in (STUDENT, TEACHER, ADMIN)] == [False, True, True]
    assert HubPolicy(teacher_group="class-101").is_moderator(STUDENT)


def test_the_identity_comes_from_the_model_only():
    assert HubPolicy().identity({**STUDENT, "moderator": True, "username": "root"}) == {
        "username": "alice", "name": "alice", "display_name": "alice", "initials": "A",
        "color": None, "verified": True, "groups": ["class-101"], "admin": False,
        "moderator": False}


def test_the_first_matching_pattern_decides_and_other_rooms_are_open():
    policy = HubPolicy(room_groups={"class-101*": ["class-101"], "class-*": ["staff"]})
    assert policy.may_enter(STUDENT, "class-101-a")
    assert not policy.may_enter(STUDENT, "class-102")
    assert policy.may_enter(STUDENT, "lobby")
    assert not policy.may_enter({"name": "m", "groups": []}, "class-101")
    assert policy.may_enter(TEACHER, "class-102") and policy.may_enter(ADMIN, "class-101")


def test_serve_takes_room_groups_and_the_teacher_group():
    args = build_parser().parse_args(["serve", "--jupyterhub", "--teacher-group", "staff",
                                      "--room-group", "lab-*=a, b", "--room-group", "x=c"])
    assert args.jupyterhub and args.teacher_group == "staff"
    assert dict(args.room_group) == {"lab-*": ["a", "b"], "x": ["c"]}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--room-group", "no-groups="])


def test_the_bind_address_comes_from_the_hub_environment():
    env = {"JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:10101", "JUPYTERHUB_API_TOKEN": "t",
           "JUPYTERHUB_SERVICE_PREFIX": "/services/partywidget/"}
    assert hub_bind_address(env) == ("127.0.0.1", 10101, "/services/partywidget/")
    with pytest.raises(ConfigurationError, match="hub-managed service"):
        hub_bind_address({})
