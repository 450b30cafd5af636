"""The official OpenAI, Anthropic and Google SDKs as real clients of the running gateway, each
against every upstream family (OpenAI-compatible, Claude, Gemini, Codex), streamed and not,
with and without tools. The mocks record what reached them."""

import json

import pytest
from conftest import CLIENT_KEY, MODELS
from mock_upstreams import ARGS, TEXT

import anthropic
import openai
from google import genai
from google.genai import types as gtypes

ALL = list(MODELS)
WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def expected_text(model):
    return TEXT[MODELS[model][0]]


def check_upstream(recorder, model):
    """The upstream got its own key and its own model name, never the client's."""
    family, upstream_model, key = MODELS[model]
    rec = recorder.last(family)
    assert rec is not None, f"{family} upstream was not called"
    headers = rec["headers"]
    sent_key = headers.get("authorization", "").removeprefix("Bearer ") or headers.get("x-api-key") \
        or headers.get("x-goog-api-key")
    assert sent_key == key
    assert CLIENT_KEY not in json.dumps(headers)
    if family == "ge":
        assert f"/models/{upstream_model}:" in rec["path"]
    else:
        assert rec["body"].get("model") == upstream_model
    return rec


# ---------------------------------------------------------------- OpenAI Chat
@pytest.fixture
def oai(gateway):
    return openai.OpenAI(base_url=gateway + "/v1", api_key=CLIENT_KEY, max_retries=0)


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize("stream", [False, True])
def test_openai_chat_text(oai, upstream, model, stream):
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    if stream:
        chunks = list(oai.chat.completions.create(model=model, messages=msgs, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert all(c.model == model for c in chunks)
    else:
        r = oai.chat.completions.create(model=model, messages=msgs)
        text = r.choices[0].message.content
        assert r.model == model
        assert r.usage.total_tokens == 15
    assert text == expected_text(model)
    check_upstream(upstream[1], model)


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize("stream", [False, True])
def test_openai_chat_tools_round_trip(oai, upstream, model, stream):
    tools = [{"type": "function", "function": {"name": WEATHER["name"], "description": WEATHER["description"],
                                               "parameters": WEATHER["schema"]}}]
    msgs = [{"role": "user", "content": "Weather in Paris?"}]
    if stream:
        calls = {}
        for c in oai.chat.completions.create(model=model, messages=msgs, tools=tools, stream=True):
            for tc in (c.choices[0].delta.tool_calls or []) if c.choices else []:
                entry = calls.setdefault(tc.index, {"id": None, "name": None, "args": ""})
                entry["id"] = entry["id"] or tc.id
                entry["name"] = entry["name"] or (tc.function.name if tc.function else None)
                entry["args"] += (tc.function.arguments or "") if tc.function else ""
        call = calls[0]
    else:
        r = oai.chat.completions.create(model=model, messages=msgs, tools=tools)
        assert r.choices[0].finish_reason == "tool_calls"
        tc = r.choices[0].message.tool_calls[0]
        call = {"id": tc.id, "name": tc.function.name, "args": tc.function.arguments}
    assert call["name"] == "get_weather"
    assert json.loads(call["args"]) == ARGS
    msgs += [{"role": "assistant", "content": None, "tool_calls": [
        {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["args"]}}]},
             {"role": "tool", "tool_call_id": call["id"], "content": "sunny, 21C"}]
    r = oai.chat.completions.create(model=model, messages=msgs, tools=tools)
    assert r.choices[0].message.content == expected_text(model)


# ------------------------------------------------------------ OpenAI Responses
@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize("stream", [False, True])
def test_openai_responses_text(oai, upstream, model, stream):
    if stream:
        text = ""
        done = None
        for ev in oai.responses.create(model=model, instructions="Be brief.", input="Hi", stream=True):
            if ev.type == "response.output_text.delta":
                text += ev.delta
            if ev.type == "response.completed":
                done = ev.response
        assert done is not None and done.output_text == expected_text(model)
    else:
        r = oai.responses.create(model=model, instructions="Be brief.", input="Hi")
        text = r.output_text
        assert r.usage.total_tokens == 15
    assert text == expected_text(model)
    check_upstream(upstream[1], model)


@pytest.mark.parametrize("model", ALL)
def test_openai_responses_tools(oai, upstream, model):
    tools = [{"type": "function", "name": WEATHER["name"], "description": WEATHER["description"],
              "parameters": WEATHER["schema"]}]
    r = oai.responses.create(model=model, input="Weather in Paris?", tools=tools)
    calls = [o for o in r.output if o.type == "function_call"]
    assert calls and calls[0].name == "get_weather" and json.loads(calls[0].arguments) == ARGS
    follow = [{"role": "user", "content": "Weather in Paris?"},
              {"type": "function_call", "call_id": calls[0].call_id, "name": calls[0].name,
               "arguments": calls[0].arguments},
              {"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny"}]
    r = oai.responses.create(model=model, input=follow, tools=tools)
    assert r.output_text == expected_text(model)


# -------------------------------------------------------------- Anthropic
@pytest.fixture
def claude(gateway):
    return anthropic.Anthropic(base_url=gateway, api_key=CLIENT_KEY, max_retries=0)


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_messages_text(claude, upstream, model, stream):
    kw = dict(model=model, max_tokens=256, system="Be brief.", messages=[{"role": "user", "content": "Hi"}])
    if stream:
        with claude.messages.stream(**kw) as s:
            text = "".join(s.text_stream)
            final = s.get_final_message()
        assert final.stop_reason == "end_turn"
    else:
        r = claude.messages.create(**kw)
        text = "".join(b.text for b in r.content if b.type == "text")
        assert r.stop_reason == "end_turn" and r.model == model
    assert text == expected_text(model)
    check_upstream(upstream[1], model)


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_tools_round_trip(claude, upstream, model, stream):
    tools = [{"name": WEATHER["name"], "description": WEATHER["description"], "input_schema": WEATHER["schema"]}]
    msgs = [{"role": "user", "content": "Weather in Paris?"}]
    kw = dict(model=model, max_tokens=256, tools=tools, messages=msgs)
    if stream:
        with claude.messages.stream(**kw) as s:
            first = s.get_final_message()
    else:
        first = claude.messages.create(**kw)
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.name == "get_weather" and use.input == ARGS
    msgs += [{"role": "assistant", "content": [b.model_dump() for b in first.content]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}]}]
    r = claude.messages.create(model=model, max_tokens=256, tools=tools, messages=msgs)
    assert "".join(b.text for b in r.content if b.type == "text") == expected_text(model)


@pytest.mark.parametrize("model", ALL)
def test_anthropic_count_tokens(claude, model):
    n = claude.messages.count_tokens(model=model, messages=[{"role": "user", "content": "Hello there, how are you?"}])
    if model == "cl-model":
        assert n.input_tokens == 42  # the Claude upstream's own count
    else:
        assert 3 <= n.input_tokens <= 20  # counted locally with a real tokenizer


# ------------------------------------------------------------------ Gemini
@pytest.fixture(params=["v1beta", "v1"])
def gem(gateway, request):
    return genai.Client(api_key=CLIENT_KEY, http_options=gtypes.HttpOptions(base_url=gateway, api_version=request.param))


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize("stream", [False, True])
def test_gemini_generate_text(gem, upstream, model, stream):
    cfg = gtypes.GenerateContentConfig(system_instruction="Be brief.")
    if stream:
        text = "".join(c.text or "" for c in gem.models.generate_content_stream(model=model, contents="Hi", config=cfg))
    else:
        r = gem.models.generate_content(model=model, contents="Hi", config=cfg)
        text = r.text
        assert r.usage_metadata.total_token_count == 15
    assert text == expected_text(model)
    check_upstream(upstream[1], model)


@pytest.mark.parametrize("model", ALL)
def test_gemini_function_calling(gem, upstream, model):
    decl = gtypes.FunctionDeclaration(name=WEATHER["name"], description=WEATHER["description"],
                                      parameters_json_schema=WEATHER["schema"])
    cfg = gtypes.GenerateContentConfig(tools=[gtypes.Tool(function_declarations=[decl])],
                                       automatic_function_calling=gtypes.AutomaticFunctionCallingConfig(disable=True))
    r = gem.models.generate_content(model=model, contents="Weather in Paris?", config=cfg)
    call = r.function_calls[0]
    assert call.name == "get_weather" and dict(call.args) == ARGS
    contents = [gtypes.Content(role="user", parts=[gtypes.Part(text="Weather in Paris?")]),
                r.candidates[0].content,
                gtypes.Content(role="user", parts=[gtypes.Part(function_response=gtypes.FunctionResponse(
                    id=call.id, name=call.name, response={"output": "sunny"}))])]
    r = gem.models.generate_content(model=model, contents=contents, config=cfg)
    assert r.text == expected_text(model)


@pytest.mark.parametrize("model", ALL)
def test_gemini_count_tokens(gem, model):
    n = gem.models.count_tokens(model=model, contents="Hello there, how are you?")
    if model == "ge-model":
        assert n.total_tokens == 42
    else:
        assert 3 <= n.total_tokens <= 20


# ------------------------------------------------------------- errors
def test_errors_come_in_each_clients_shape(gateway):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gateway + "/v1", api_key="wrong", max_retries=0).models.list()
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=gateway, api_key="wrong", max_retries=0).messages.create(
            model="cl-model", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.NotFoundError):
        openai.OpenAI(base_url=gateway + "/v1", api_key=CLIENT_KEY, max_retries=0).chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "x"}])
