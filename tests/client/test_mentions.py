"""``on_mention``: a kernel bot answers only when addressed, over a real ``partywidget serve``."""

from __future__ import annotations

from typing import Any

import partywidget


def test_a_bot_hears_only_messages_that_mention_it(standalone_server: Any,
                                                   wait_until: Any) -> None:
    url = standalone_server.http_url
    with partywidget.connect("bots", url=url, name="Calc") as bot, \
            partywidget.connect("bots", url=url, name="Ada") as ada:
        heard: list[str] = []
        every: list[str] = []
        bot.on_message(lambda m: every.append(m["content"]))

        @bot.on_mention
        def answer(message: dict[str, Any]) -> None:
            heard.append(message["content"])
            bot.send(f"@Ada {message['content'].count('+') + 1} terms")

        bot.send("I am @Calc")  # its own message never addresses it
        ada.send("hello everyone")
        ada.send("@calc 1+2+3")
        wait_until(lambda: "@Ada 3 terms" in every, what="the bot's answer")
        assert heard == ["@calc 1+2+3"]

        bot.off(answer)
        ada.send("@Calc again")
        ada.send("after")
        wait_until(lambda: "after" in every, what="the later messages")
        assert heard == ["@calc 1+2+3"]
