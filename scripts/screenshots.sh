#!/usr/bin/env bash
# Regenerate the chat screenshots of the README and docs (docs/images/chat.png,
# chat-dark.png, chat-narrow.png): runs tests/browser/test_chat_tools_in_browser.py,
# which takes them in real JupyterLab pages (headless Chromium) into tests/artifacts/,
# and copies them here. Debian's colour emoji font is installed first when run as
# root, so reaction chips show their emoji. Run from a checkout set up by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && ! fc-list 2>/dev/null | grep -qi "color emoji"; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq fonts-noto-color-emoji >/dev/null
fi

python -m pytest -p no:cacheprovider -q tests/browser/test_chat_tools_in_browser.py
cp tests/artifacts/chat-rich-light.png docs/images/chat.png
cp tests/artifacts/chat-rich-dark.png docs/images/chat-dark.png
cp tests/artifacts/chat-narrow.png docs/images/chat-narrow.png
echo "docs/images/chat.png, chat-dark.png and chat-narrow.png updated"
