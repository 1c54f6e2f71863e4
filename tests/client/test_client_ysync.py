"""``DocSync``, the client half of the y-websocket protocol, with no socket: frames in, frames out."""

from __future__ import annotations

import pycrdt

from partywidget.client.ysync import DocSync
from partywidget.protocol import yjs


def test_many_local_edits_leave_as_one_merged_update():
    doc, sent, scheduled = pycrdt.Doc(), [], []
    DocSync(doc, sent.append, scheduled.append)  # kept alive by its observer on doc
    text = doc.get("t", type=pycrdt.Text)
    for n in range(100):
        text += str(n % 10)
    assert len(scheduled) == 1 and sent == []
    scheduled[0]()
    (frame,) = sent
    (update,) = yjs.parse_frame(frame)
    other = pycrdt.Doc()
    other.apply_update(update.update)
    assert str(other.get("t", type=pycrdt.Text)) == str(text)


def test_remote_updates_are_applied_and_never_sent_back():
    source = pycrdt.Doc()
    source.get("t", type=pycrdt.Text).insert(0, "remote")
    doc, sent = pycrdt.Doc(), []
    sync = DocSync(doc, sent.append)
    sync.receive(yjs.Update(source.get_update()).serialize())
    assert str(doc.get("t", type=pycrdt.Text)) == "remote" and sent == []


def test_the_servers_sync_step1_is_answered_with_what_it_lacks():
    doc, sent = pycrdt.Doc(), []
    sync = DocSync(doc, sent.append)
    doc.get("t", type=pycrdt.Text).insert(0, "offline edit")
    sent.clear()
    sync.receive(yjs.SyncStep1(pycrdt.Doc().get_state()).serialize())
    (answer,) = [m for f in sent for m in yjs.parse_frame(f)]
    assert isinstance(answer, yjs.SyncStep2)
    server = pycrdt.Doc()
    server.apply_update(answer.update)
    assert str(server.get("t", type=pycrdt.Text)) == "offline edit"
