"""The wire contract, sans I/O: what travels between clients and room hosts.

Like ``websockets/frames.py``, nothing here touches a socket, a loop or a
file, and nothing imports the rest of partywidget but :mod:`partywidget.errors`:
the room host, the kernel client, the widgets and the kernel relay all speak
through these modules, so a frame is spelled in exactly one place.

* :mod:`.close`: close codes, and which end a membership;
* :mod:`.names`: party, room and connection-id rules;
* :mod:`.jsonrules`: strict JSON in, standard JSON out;
* :mod:`.ratelimit`: the token bucket of every rate limit;
* :mod:`.outgoing`: a message encoded once for every recipient;
* :mod:`.frames`: frames every built-in party shares, and the presence fold;
* one module per built-in party (:mod:`.chat`, :mod:`.board`, :mod:`.poll`,
  :mod:`.hands`, :mod:`.quiz`, :mod:`.snippets`): its typed envelopes and the client-side fold of
  its stream; :mod:`.activity` holds what the classroom parties share.

docs/protocol.md documents every frame.
"""

from .close import FINAL_CLOSE_CODES, CloseCode
from .jsonrules import MAX_JSON_DEPTH, decode_json, encode_json
from .names import MAX_ID_LENGTH, MAX_NAME_LENGTH, check_connection_id, check_name
from .outgoing import Outgoing
from .ratelimit import TokenBucket

__all__ = [
    "FINAL_CLOSE_CODES", "MAX_ID_LENGTH", "MAX_JSON_DEPTH", "MAX_NAME_LENGTH", "CloseCode",
    "Outgoing", "TokenBucket", "check_connection_id", "check_name", "decode_json",
    "encode_json",
]
