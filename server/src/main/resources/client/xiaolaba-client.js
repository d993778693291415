/*
 * xiaolaba push client, served by every xiaolaba server at GET /client.js.
 * No dependencies, no build step. Load it as a plain script (<script src="/client.js">), import it
 * for its side effect (import "/client.js"), or require() it in Node; it defines XiaolabaClient.
 *
 *   const client = new XiaolabaClient({ channels: ["area:320623100201"] })
 *     .on("push", (m) => show(m.data))
 *     .on("subscribed", (s) => { if (!s.recovered) refetchOverRest(s.channel); })
 *     .connect();
 *
 * It reconnects with jittered exponential backoff, keeps the last offset of each channel in
 * localStorage and sends it back as `since`, so nothing is missed across reloads and outages, and
 * acknowledges each push. The protocol is described in docs/protocol.md.
 */
(function (root, factory) {
  "use strict";
  var XiaolabaClient = factory();
  if (typeof module === "object" && module && module.exports) module.exports = XiaolabaClient;
  root.XiaolabaClient = XiaolabaClient;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  var EVENTS = ["open", "authed", "subscribed", "push", "message", "error", "close"];

  /** Orders stream offsets ("millis-sequence"). */
  function compareOffsets(a, b) {
    var x = String(a).split("-"), y = String(b).split("-");
    var d = Number(x[0]) - Number(y[0]);
    return d !== 0 ? d : Number(x[1] || 0) - Number(y[1] || 0);
  }

  function defaultUrl() {
    if (typeof location === "undefined") throw new Error("XiaolabaClient: options.url is required outside a browser");
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
  }

  /** localStorage when the page may use it, else memory (private mode, Node). */
  function defaultStorage() {
    try {
      if (typeof localStorage !== "undefined") {
        localStorage.setItem("xiaolaba.probe", "1");
        localStorage.removeItem("xiaolaba.probe");
        return localStorage;
      }
    } catch (e) { /* storage refused: fall through */ }
    var memory = {};
    return {
      getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
      setItem: function (k, v) { memory[k] = String(v); },
      removeItem: function (k) { delete memory[k]; }
    };
  }

  function XiaolabaClient(options) {
    options = options || {};
    this.url = options.url || defaultUrl();
    this.token = options.token || null; // sent in the first frame of every connection, never in the URL
    this.channels = (options.channels || []).slice();
    this.storage = options.storage || defaultStorage();
    this.storageKey = options.storageKey || "xiaolaba.offsets";
    this.autoAck = options.autoAck !== false;
    this.minDelayMs = options.minDelayMs || 500;
    this.maxDelayMs = options.maxDelayMs || 30000;
    this.pingIntervalMs = options.pingIntervalMs || 25000;
    this.silenceLimitMs = options.silenceLimitMs || 70000;
    this.WebSocketImpl = options.WebSocket || (typeof WebSocket !== "undefined" ? WebSocket : null);
    if (!this.WebSocketImpl) throw new Error("XiaolabaClient: no WebSocket; pass options.WebSocket");
    this.random = options.random || Math.random;
    this.state = "idle"; // idle | connecting | open | waiting | closed
    this._handlers = {};
    this._failures = 0;
    this._ws = null;
    this._retryTimer = null;
    this._pingTimer = null;
    this._lastHeard = 0;
    var self = this;
    this._onOnline = function () { if (self.state === "waiting") self._open(); };
    EVENTS.forEach(function (e) { self._handlers[e] = []; });
  }

  /** Adds a handler: open, authed (the token was accepted), subscribed, push, message, error (server errors), close. */
  XiaolabaClient.prototype.on = function (event, fn) {
    if (!this._handlers[event]) throw new Error("XiaolabaClient: unknown event '" + event + "'; expected " + EVENTS.join(", "));
    this._handlers[event].push(fn);
    return this;
  };

  XiaolabaClient.prototype.off = function (event, fn) {
    var list = this._handlers[event] || [];
    var i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
    return this;
  };

  XiaolabaClient.prototype._emit = function (event, value) {
    var list = this._handlers[event].slice();
    for (var i = 0; i < list.length; i++) {
      try { list[i](value); } catch (e) { setTimeout(function () { throw e; }, 0); }
    }
  };

  /** Connects, and keeps reconnecting until close(). */
  XiaolabaClient.prototype.connect = function () {
    if (this.state === "idle" || this.state === "closed") {
      if (typeof addEventListener === "function") addEventListener("online", this._onOnline);
      this._open();
    }
    return this;
  };

  /** Stops for good: closes the socket and cancels any retry. */
  XiaolabaClient.prototype.close = function () {
    this.state = "closed";
    clearTimeout(this._retryTimer);
    clearInterval(this._pingTimer);
    if (typeof removeEventListener === "function") removeEventListener("online", this._onOnline);
    var ws = this._ws;
    this._ws = null;
    if (ws) { this._detach(ws); try { ws.close(1000, "bye"); } catch (e) { /* already closed */ } }
  };

  /** Adds channels (area:CODE) and subscribes to them now if connected. */
  XiaolabaClient.prototype.subscribe = function (channels) {
    var fresh = [];
    for (var i = 0; i < channels.length; i++) {
      if (this.channels.indexOf(channels[i]) < 0) { this.channels.push(channels[i]); fresh.push(channels[i]); }
    }
    if (fresh.length && this.state === "open") this._subscribe(fresh);
    return this;
  };

  /** The last offset processed per channel, as kept in storage. */
  XiaolabaClient.prototype.offsets = function () {
    try {
      var text = this.storage.getItem(this.storageKey);
      var parsed = text ? JSON.parse(text) : {};
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (e) {
      return {};
    }
  };

  XiaolabaClient.prototype._saveOffset = function (channel, offset) {
    this._saveIn(this.storageKey, this.offsets(), channel, offset);
  };

  /** The epoch of each channel's history the kept offsets belong to (a reset starts a new one). */
  XiaolabaClient.prototype.epochs = function () {
    try {
      var text = this.storage.getItem(this.storageKey + ".epochs");
      var parsed = text ? JSON.parse(text) : {};
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (e) {
      return {};
    }
  };

  XiaolabaClient.prototype._saveIn = function (key, all, channel, value) {
    if (value === null || value === undefined) delete all[channel];
    else all[channel] = value;
    try { this.storage.setItem(key, JSON.stringify(all)); } catch (e) { /* full or refused */ }
  };

  /** Confirms a push was shown (sent automatically unless autoAck is false). */
  XiaolabaClient.prototype.ack = function (channel, offset) {
    return this._send({ op: "ack", channel: channel, offset: offset });
  };

  XiaolabaClient.prototype._send = function (message) {
    if (!this._ws || this.state !== "open") return false;
    this._ws.send(JSON.stringify(message));
    return true;
  };

  XiaolabaClient.prototype._subscribe = function (channels) {
    var known = this.offsets(), knownEpochs = this.epochs(), since = {}, epochs = {};
    for (var i = 0; i < channels.length; i++) {
      if (known[channels[i]]) since[channels[i]] = known[channels[i]];
      if (known[channels[i]] && knownEpochs[channels[i]]) epochs[channels[i]] = knownEpochs[channels[i]];
    }
    this._send({ op: "subscribe", channels: channels, since: since, epochs: epochs });
  };

  XiaolabaClient.prototype._open = function () {
    var self = this;
    clearTimeout(this._retryTimer);
    this.state = "connecting";
    var ws;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (e) {
      this._lost(null, 1006, String(e && e.message || e));
      return;
    }
    this._ws = ws;
    ws.onopen = function () {
      if (self._ws !== ws) return;
      self.state = "open";
      self._lastHeard = Date.now();
      clearInterval(self._pingTimer);
      self._pingTimer = setInterval(function () { self._checkLiveness(ws); }, Math.min(self.pingIntervalMs, 5000));
      self._lastPing = Date.now();
      // The token first: the server takes frames after it in order once the token is checked.
      if (self.token) self._send({ op: "auth", token: self.token });
      self._emit("open", { url: self.url });
      if (self.channels.length) self._subscribe(self.channels);
    };
    ws.onmessage = function (event) {
      if (self._ws !== ws) return;
      self._lastHeard = Date.now();
      self._failures = 0; // the server answered: the next outage backs off from scratch
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      self._emit("message", msg);
      self._dispatch(msg);
    };
    ws.onclose = function (event) { self._lost(ws, event.code, event.reason); };
    ws.onerror = function () { /* onclose follows with the code */ };
  };

  XiaolabaClient.prototype._dispatch = function (msg) {
    if (msg.type === "authed") {
      this._emit("authed", msg);
    } else if (msg.type === "subscribed") {
      var known = this.offsets()[msg.channel];
      if (!msg.recovered) this._saveOffset(msg.channel, msg.offset); // refetch, then go on from here
      else if (!known && msg.offset) this._saveOffset(msg.channel, msg.offset);
      if (msg.epoch) this._saveIn(this.storageKey + ".epochs", this.epochs(), msg.channel, msg.epoch);
      this._emit("subscribed", msg);
    } else if (msg.type === "push") {
      var last = this.offsets()[msg.channel];
      if (last && compareOffsets(msg.offset, last) <= 0) return; // already seen before a reconnect
      this._emit("push", msg);
      this._saveOffset(msg.channel, msg.offset);
      if (this.autoAck) this.ack(msg.channel, msg.offset);
    } else if (msg.type === "error") {
      this._emit("error", msg);
    }
  };

  XiaolabaClient.prototype._checkLiveness = function (ws) {
    if (this._ws !== ws) return;
    var now = Date.now();
    if (now - this._lastHeard > this.silenceLimitMs) {
      this._lost(ws, 4000, "nothing heard for " + this.silenceLimitMs + " ms");
      try { ws.close(); } catch (e) { /* dead anyway */ }
    } else if (now - this._lastPing >= this.pingIntervalMs) {
      this._lastPing = now;
      this._send({ op: "ping" });
    }
  };

  XiaolabaClient.prototype._detach = function (ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  };

  /** The socket is gone: wait a jittered, growing delay and try again. */
  XiaolabaClient.prototype._lost = function (ws, code, reason) {
    if (ws && this._ws !== ws) return;
    if (ws) this._detach(ws);
    this._ws = null;
    clearInterval(this._pingTimer);
    if (this.state === "closed") return;
    var ceiling = Math.min(this.maxDelayMs, this.minDelayMs * Math.pow(2, this._failures));
    this._failures++;
    var delay = Math.round(ceiling / 2 + this.random() * ceiling / 2);
    this.state = "waiting";
    this._emit("close", { code: code, reason: reason || "", retryInMs: delay });
    var self = this;
    this._retryTimer = setTimeout(function () { self._open(); }, delay);
  };

  XiaolabaClient.compareOffsets = compareOffsets;
  return XiaolabaClient;
});
