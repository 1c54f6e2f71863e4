#!/usr/bin/env bash
# Regenerate the screenshots of the README and docs: the chat (docs/images/chat.png,
# chat-dark.png, chat-narrow.png) from tests/browser/test_chat_tools_in_browser.py, and
# a teacher's and a student's poll and quiz on the real test hub (docs/images/hub-*.png,
# docs/jupyterhub.md) from tests/hub/test_classroom_browser.py. Those tests take them in
# real JupyterLab pages (headless Chromium) into tests/artifacts/; this copies them here. Debian's colour emoji font is installed first when run as
# root, so reaction chips show their emoji. Run from a checkout set up by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && ! fc-list 2>/dev/null | grep -qi "color emoji"; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq fonts-noto-color-emoji >/dev/null
fi

python -m pytest -p no:cacheprovider -q tests/browser/test_chat_tools_in_browser.py \
  tests/hub/test_classroom_browser.py
cp tests/artifacts/chat-rich-light.png docs/images/chat.png
cp tests/artifacts/chat-rich-dark.png docs/images/chat-dark.png
cp tests/artifacts/chat-narrow.png docs/images/chat-narrow.png
for side in poll-teacher poll-student quiz-teacher quiz-student; do
  cp "tests/artifacts/hub-$side.png" "docs/images/hub-$side.png"
done
echo "docs/images/chat.png, chat-dark.png, chat-narrow.png and hub-*.png updated"
