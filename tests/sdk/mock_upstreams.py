"""Loopback mock upstreams for the SDK end-to-end tests: one HTTP server that speaks the four
upstream families under path prefixes (/oa OpenAI-compatible, /cl Anthropic, /ge Gemini,
/cx Codex Responses) and records every request. Each answers with a fixed text, or, when the
request offers tools and carries no tool result yet, with a call to the first tool."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEXT = {"oa": "Hello from openai", "cl": "Hello from claude", "ge": "Hello from gemini", "cx": "Hello from codex"}
ARGS = {"city": "Paris"}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []

    def add(self, family, path, headers, body):
        with self.lock:
            self.requests.append({"family": family, "path": path, "headers": headers, "body": body})

    def last(self, family):
        with self.lock:
            for r in reversed(self.requests):
                if r["family"] == family:
                    return r
        return None


def _split(text):
    mid = len(text) // 2
    return [text[:mid], text[mid:]]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    recorder: Recorder = None

    def log_message(self, *args):
        pass

    # ---- plumbing -------------------------------------------------------
    def _json(self, obj, status=200):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse_start(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: str):
        raw = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(raw), raw))
        self.wfile.flush()

    def _sse_end(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _event(self, name, obj):
        prefix = f"event: {name}\n" if name else ""
        self._chunk(f"{prefix}data: {json.dumps(obj)}\n\n")

    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(n) or b"{}")
        family = self.path.split("/")[1]
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.recorder.add(family, self.path, headers, body)
        getattr(self, "_" + family)(body)

    # ---- OpenAI-compatible ---------------------------------------------
    def _oa(self, body):
        tools = body.get("tools") or []
        answered = any(m.get("role") == "tool" for m in body.get("messages", []))
        call = tools and not answered
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        base = {"id": "chatcmpl-mock", "created": 1700000000, "model": body.get("model")}
        if not body.get("stream"):
            msg = {"role": "assistant", "content": None if call else TEXT["oa"]}
            if call:
                msg["tool_calls"] = [{"id": "call_mock1", "type": "function",
                                      "function": {"name": tools[0]["function"]["name"], "arguments": json.dumps(ARGS)}}]
            return self._json({**base, "object": "chat.completion", "usage": usage,
                               "choices": [{"index": 0, "message": msg, "finish_reason": "tool_calls" if call else "stop"}]})
        self._sse_start()
        chunk = lambda delta, fin=None: self._event(None, {**base, "object": "chat.completion.chunk",
                                                              "choices": [{"index": 0, "delta": delta, "finish_reason": fin}]})
        chunk({"role": "assistant", "content": ""})
        if call:
            chunk({"tool_calls": [{"index": 0, "id": "call_mock1", "type": "function",
                                   "function": {"name": tools[0]["function"]["name"], "arguments": ""}}]})
            for part in ['{"city":', '"Paris"}']:
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": part}}]})
            chunk({}, "tool_calls")
        else:
            for part in _split(TEXT["oa"]):
                chunk({"content": part})
            chunk({}, "stop")
        self._event(None, {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        self._chunk("data: [DONE]\n\n")
        self._sse_end()

    # ---- Anthropic ------------------------------------------------------
    def _cl(self, body):
        if self.path.startswith("/cl/v1/messages/count_tokens"):
            return self._json({"input_tokens": 42})
        tools = body.get("tools") or []
        answered = any(isinstance(m.get("content"), list) and any(b.get("type") == "tool_result" for b in m["content"])
                       for m in body.get("messages", []))
        call = tools and not answered
        usage = {"input_tokens": 10, "output_tokens": 5}
        if not body.get("stream"):
            content = ([{"type": "tool_use", "id": "toolu_mock1", "name": tools[0]["name"], "input": ARGS}]
                       if call else [{"type": "text", "text": TEXT["cl"]}])
            return self._json({"id": "msg_mock", "type": "message", "role": "assistant", "model": body.get("model"),
                               "content": content, "stop_reason": "tool_use" if call else "end_turn",
                               "stop_sequence": None, "usage": usage})
        self._sse_start()
        self._event("message_start", {"type": "message_start", "message": {
            "id": "msg_mock", "type": "message", "role": "assistant", "model": body.get("model"), "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}})
        if call:
            self._event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
                "type": "tool_use", "id": "toolu_mock1", "name": tools[0]["name"], "input": {}}})
            for part in ['{"city":', '"Paris"}']:
                self._event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "input_json_delta", "partial_json": part}})
        else:
            self._event("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}})
            for part in _split(TEXT["cl"]):
                self._event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "text_delta", "text": part}})
        self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self._event("message_delta", {"type": "message_delta", "delta": {
            "stop_reason": "tool_use" if call else "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 5}})
        self._event("message_stop", {"type": "message_stop"})
        self._sse_end()

    # ---- Gemini ---------------------------------------------------------
    def _ge(self, body):
        m = re.match(r"^/ge/v1beta/models/([^:]+):(\w+)", self.path)
        model, action = (m.group(1), m.group(2)) if m else ("?", "?")
        if action == "countTokens":
            return self._json({"totalTokens": 42})
        decls = [d for t in body.get("tools", []) for d in t.get("functionDeclarations", [])]
        answered = any("functionResponse" in p for c in body.get("contents", []) for p in c.get("parts", []))
        call = decls and not answered
        usage = {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}
        def response(parts, finish):
            cand = {"content": {"role": "model", "parts": parts}, "index": 0}
            if finish:
                cand["finishReason"] = finish
            out = {"candidates": [cand], "modelVersion": model, "responseId": "gem-mock"}
            if finish:
                out["usageMetadata"] = usage
            return out
        parts = [{"functionCall": {"name": decls[0]["name"], "args": ARGS}}] if call else [{"text": TEXT["ge"]}]
        if action == "generateContent":
            return self._json(response(parts, "STOP"))
        self._sse_start()
        if call:
            self._event(None, response(parts, "STOP"))
        else:
            first, second = _split(TEXT["ge"])
            self._event(None, response([{"text": first}], None))
            self._event(None, response([{"text": second}], "STOP"))
        self._sse_end()

    # ---- Codex (Responses, always streamed) ----------------------------
    def _cx(self, body):
        tools = body.get("tools") or []
        items = body.get("input") if isinstance(body.get("input"), list) else []
        answered = any(i.get("type") == "function_call_output" for i in items)
        call = tools and not answered
        seq = iter(range(1000))
        ev = lambda name, obj: self._event(name, {"type": name, "sequence_number": next(seq), **obj})
        skeleton = {"id": "resp_mock", "object": "response", "created_at": 1700000000, "model": body.get("model"),
                    "status": "in_progress", "output": []}
        self._sse_start()
        ev("response.created", {"response": skeleton})
        ev("response.in_progress", {"response": skeleton})
        if call:
            item = {"type": "function_call", "id": "fc_mock1", "call_id": "call_mock1", "name": tools[0]["name"],
                    "arguments": "", "status": "in_progress"}
            ev("response.output_item.added", {"output_index": 0, "item": item})
            for part in ['{"city":', '"Paris"}']:
                ev("response.function_call_arguments.delta", {"item_id": "fc_mock1", "output_index": 0, "delta": part})
            done = {**item, "arguments": json.dumps(ARGS, separators=(",", ":")), "status": "completed"}
            ev("response.function_call_arguments.done", {"item_id": "fc_mock1", "output_index": 0, "arguments": done["arguments"]})
            ev("response.output_item.done", {"output_index": 0, "item": done})
        else:
            item = {"type": "message", "id": "msg_mock1", "role": "assistant", "status": "in_progress", "content": []}
            ev("response.output_item.added", {"output_index": 0, "item": item})
            ev("response.content_part.added", {"item_id": "msg_mock1", "output_index": 0, "content_index": 0,
                                               "part": {"type": "output_text", "text": "", "annotations": []}})
            for part in _split(TEXT["cx"]):
                ev("response.output_text.delta", {"item_id": "msg_mock1", "output_index": 0, "content_index": 0, "delta": part})
            ev("response.output_text.done", {"item_id": "msg_mock1", "output_index": 0, "content_index": 0, "text": TEXT["cx"]})
            part = {"type": "output_text", "text": TEXT["cx"], "annotations": []}
            ev("response.content_part.done", {"item_id": "msg_mock1", "output_index": 0, "content_index": 0, "part": part})
            done = {**item, "status": "completed", "content": [part]}
            ev("response.output_item.done", {"output_index": 0, "item": done})
        ev("response.completed", {"response": {**skeleton, "status": "completed", "output": [done],
                                                "usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}}})
        self._sse_end()


def start():
    """Starts the mock on 127.0.0.1 with an OS-chosen port; returns (server, recorder)."""
    recorder = Recorder()
    handler = type("BoundHandler", (Handler,), {"recorder": recorder})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, recorder
