"""A fake anywidget model in relay mode, as JavaScript for benchmark pages.

``FAKE_MODEL`` (to splice into a page function's body) defines
``relayModel(traits, joinFrames)``: a model whose
``hello`` (the view asking the kernel relay to join) is answered with
``status: open`` then each of ``joinFrames`` (JSON texts), as the kernel relay
would; it returns ``{model, emit}``. No server, no kernel, no network.
"""

FAKE_MODEL = """
function relayModel(traits, joinFrames) {
  const listeners = {};
  const emit = (name, arg) => (listeners[name] ?? []).forEach((cb) => cb(arg));
  const hello = () => {
    emit("msg:custom", {kind: "status", status: "open"});
    for (const data of joinFrames()) emit("msg:custom", {kind: "frame", data});
  };
  const model = {
    get: (k) => traits[k], set: (k, v) => { traits[k] = v; }, save_changes() {},
    on: (name, cb) => { (listeners[name] ??= []).push(cb); },
    off: (name, cb) => { listeners[name] = (listeners[name] ?? []).filter((c) => c !== cb); },
    send: (msg) => { if (msg.kind === "hello") queueMicrotask(hello); },
  };
  return {model, emit};
}
"""
