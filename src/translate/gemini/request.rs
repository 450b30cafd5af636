//! Gemini requests ⇄ IR: a client's `generateContent` / `countTokens` body into the IR, and
//! the IR into an upstream `generateContent` body (the model goes in the URL, built by the
//! provider). Pure, no I/O.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::error::{Error, Kind};
use crate::ir::{
    Block, Effort, Message, Reasoning, Request, ResponseFormat, Role, Sampling, Tool, ToolChoice,
};
use crate::protocol::gemini;

use super::parts::{self, CallIds, Mode};
use super::schema;

/// The largest thinking budget a Gemini model takes (2.5 Pro); larger IR budgets (Claude
/// allows far more, and the `max` level is 128000) are clamped to it.
const MAX_THINKING_BUDGET: i64 = 32768;

/// The safety settings CLIProxyAPI attaches to every translated Gemini request: filters off,
/// so that a client of another API is not blocked where its own provider would not block.
const DEFAULT_SAFETY_SETTINGS: &str = r#"[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"},{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"OFF"},{"category":"HARM_CATEGORY_SEXUALLY_EXPLICIT","threshold":"OFF"},{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","threshold":"OFF"},{"category":"HARM_CATEGORY_CIVIC_INTEGRITY","threshold":"BLOCK_NONE"}]"#;

fn invalid(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(Kind::InvalidRequest, format!("invalid Gemini {what}: {e}"))
}

/// Decodes a client's `generateContent` body; `model` comes from the URL (a leading
/// `models/` is dropped).
///
/// Roles: `model` is the assistant, anything else (missing, `user`, `function`) the user.
/// Parts: text, thought text, `thoughtSignature` (see [`parts`] for where it goes; Gemini
/// CLI's skip sentinel counts as none), `inlineData`, `fileData`, `functionCall` (id
/// synthesised when absent, seeded so that the matching `functionResponse` gets the same
/// one), `functionResponse`, and code execution parts (kept opaque). Built-in tools
/// (`googleSearch`, `codeExecution`, …) and settings the IR has no place for (safety
/// settings, `responseModalities`, `cachedContent`, …) are dropped.
pub fn decode_request(body: &[u8], model: &str) -> Result<Request, Error> {
    let wire: gemini::Request<'_> =
        serde_json::from_slice(body).map_err(|e| invalid("request", e))?;
    Ok(from_wire(wire, model))
}

/// Decodes a `countTokens` body: `{contents}` or `{generateContentRequest:{…}}`.
pub fn decode_count_tokens(body: &[u8], model: &str) -> Result<Request, Error> {
    let wrapper: gemini::CountTokensRequest<'_> =
        serde_json::from_slice(body).map_err(|e| invalid("countTokens request", e))?;
    match wrapper.generate_content_request {
        Some(inner) => decode_request(inner.get().as_bytes(), model),
        None => decode_request(body, model),
    }
}

fn from_wire(wire: gemini::Request<'_>, model: &str) -> Request {
    let mut req = Request {
        model: model.strip_prefix("models/").unwrap_or(model).to_owned(),
        ..Request::default()
    };
    if let Some(system) = wire.system_instruction {
        for part in system.parts {
            if let Some(text) = part.text {
                if !text.is_empty() && part.thought != Some(true) {
                    req.system.push(Block::Text(text.into_owned()));
                }
            }
        }
    }
    let mut ids = CallIds::for_request();
    for content in wire.contents {
        let role = match content.role.as_deref() {
            Some("model") => Role::Assistant,
            _ => Role::User,
        };
        let mut blocks = Vec::with_capacity(content.parts.len());
        parts::decode_parts(content.parts, &mut ids, &mut blocks);
        if !blocks.is_empty() {
            req.messages.push(Message {
                role,
                content: blocks,
            });
        }
    }
    for tool in wire.tools {
        for decl in tool.function_declarations {
            let parameters = match (decl.parameters_json_schema, decl.parameters) {
                (Some(schema), _) => schema.get().to_owned(),
                (None, Some(openapi)) => schema::normalize_openapi(openapi.get()).into_owned(),
                (None, None) => schema::EMPTY_OBJECT.to_owned(),
            };
            req.tools.push(Tool {
                name: decl.name.into_owned(),
                description: decl.description.map(Cow::into_owned),
                parameters,
            });
        }
    }
    req.tool_choice = wire
        .tool_config
        .and_then(|c| c.function_calling_config)
        .and_then(tool_choice);
    if let Some(config) = wire.generation_config {
        decode_generation_config(config, &mut req);
    }
    req
}

/// `AUTO`/`VALIDATED` → auto, `NONE` → none, `ANY` → required, or the one tool when exactly
/// one name is allowed (several allowed names cannot be expressed: required).
fn tool_choice(config: gemini::FunctionCallingConfig<'_>) -> Option<ToolChoice> {
    let mode = config.mode?.to_ascii_uppercase();
    Some(match mode.as_str() {
        "AUTO" | "VALIDATED" => ToolChoice::Auto,
        "NONE" => ToolChoice::None,
        "ANY" => match config.allowed_function_names.as_slice() {
            [one] => ToolChoice::Named(one.to_string()),
            _ => ToolChoice::Required,
        },
        _ => return None,
    })
}

fn decode_generation_config(config: gemini::GenerationConfig<'_>, req: &mut Request) {
    req.sampling = Sampling {
        temperature: config.temperature,
        top_p: config.top_p,
        top_k: config.top_k,
        max_tokens: config.max_output_tokens,
        stop: config
            .stop_sequences
            .into_iter()
            .map(Cow::into_owned)
            .collect(),
        seed: config.seed,
        presence_penalty: config.presence_penalty,
        frequency_penalty: config.frequency_penalty,
    };
    req.n = config.candidate_count;
    let schema = config
        .response_json_schema
        .or(config.response_schema)
        .map(|s| schema::normalize_openapi(s.get()).into_owned());
    req.response_format = match (config.response_mime_type.as_deref(), schema) {
        (_, Some(schema)) => Some(ResponseFormat::JsonSchema {
            name: "response".to_owned(),
            schema,
            strict: None,
        }),
        (Some("application/json"), None) => Some(ResponseFormat::JsonObject),
        (Some("text/plain"), None) => Some(ResponseFormat::Text),
        _ => None,
    };
    if let Some(thinking) = config.thinking_config {
        let reasoning = Reasoning {
            effort: thinking.thinking_level.as_deref().and_then(Effort::parse),
            budget: thinking.thinking_budget,
            include_thoughts: thinking.include_thoughts,
        };
        if reasoning != Reasoning::default() {
            req.reasoning = Some(reasoning);
        }
    }
}

/// Encodes the IR as an upstream `generateContent` body for `upstream_model` (used only to
/// choose between `thinkingLevel`, for Gemini 3, and `thinkingBudget`).
///
/// - Roles alternate: consecutive same-role turns are merged, tool results go in `user`
///   turns, and mid-conversation system messages are appended to `systemInstruction`
///   (Gemini has no system turn).
/// - Tool calls carry no `id` (Vertex rejects the field; Gemini pairs by order and name);
///   tool results are named from the block or the earlier call.
/// - Signatures: only Gemini's are replayed; other families' reasoning is dropped, and a
///   replayed call without one gets the skip sentinel (Gemini 3 rejects unsigned calls).
/// - Tool schemas are cleaned ([`schema::clean`]) and sent as `parametersJsonSchema`.
/// - Default safety settings (filters off) are attached, as CLIProxyAPI does.
///
/// Errors (`InvalidRequest`): `n > 1` (only the first candidate could be returned), an image
/// URL Gemini cannot fetch, tool arguments or schemas that are not valid JSON.
pub fn encode_request(req: &Request, upstream_model: &str) -> Result<Vec<u8>, Error> {
    if req.n.is_some_and(|n| n > 1) {
        return Err(Error::new(
            Kind::InvalidRequest,
            "n > 1 is not supported when translating to Gemini: only one candidate can be returned",
        ));
    }
    let names: HashMap<&str, &str> = req
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .filter_map(|b| match b {
            Block::ToolCall { id, name, .. } => Some((id.as_str(), name.as_str())),
            _ => None,
        })
        .collect();

    let mut system: Vec<gemini::Part<'_>> = Vec::new();
    push_system_text(&mut system, &req.system);
    let mut contents: Vec<gemini::Content<'_>> = Vec::new();
    for msg in &req.messages {
        if msg.role == Role::System {
            push_system_text(&mut system, &msg.content);
            continue;
        }
        let mut pending = None;
        for (i, block) in msg.content.iter().enumerate() {
            let role = match (msg.role, block) {
                (_, Block::ToolResult { .. }) | (Role::User | Role::System, _) => "user",
                (Role::Assistant, _) => "model",
            };
            if contents.last().and_then(|c| c.role.as_deref()) != Some(role) {
                contents.push(gemini::Content {
                    role: Some(Cow::Borrowed(role)),
                    parts: Vec::new(),
                });
            }
            if let Some(content) = contents.last_mut() {
                parts::push_block(
                    &mut content.parts,
                    block,
                    msg.content.get(i + 1),
                    &mut pending,
                    Mode::Replay,
                    &names,
                )?;
            }
        }
    }
    let contents = merge_turns(contents);

    let mut declarations = Vec::with_capacity(req.tools.len());
    for tool in &req.tools {
        declarations.push(declaration(tool)?);
    }
    let has_tools = !declarations.is_empty();
    let wire = gemini::Request {
        contents,
        system_instruction: (!system.is_empty()).then_some(gemini::Content {
            role: None,
            parts: system,
        }),
        tools: if has_tools {
            vec![gemini::Tool {
                function_declarations: declarations,
            }]
        } else {
            Vec::new()
        },
        tool_config: req
            .tool_choice
            .as_ref()
            .filter(|_| has_tools)
            .map(encode_tool_choice),
        safety_settings: serde_json::from_str::<&RawValue>(DEFAULT_SAFETY_SETTINGS)
            .ok()
            .map(Cow::Borrowed),
        generation_config: generation_config(req, upstream_model)?,
    };
    serde_json::to_vec(&wire).map_err(|e| Error::new(Kind::Internal, e.to_string()))
}

fn push_system_text<'a>(system: &mut Vec<gemini::Part<'a>>, blocks: &'a [Block]) {
    for block in blocks {
        if let Block::Text(text) = block {
            if !text.is_empty() {
                system.push(gemini::Part {
                    text: Some(Cow::Borrowed(text)),
                    ..gemini::Part::default()
                });
            }
        }
    }
}

/// Drops empty turns and merges neighbours that now share a role.
fn merge_turns(contents: Vec<gemini::Content<'_>>) -> Vec<gemini::Content<'_>> {
    let mut out: Vec<gemini::Content<'_>> = Vec::with_capacity(contents.len());
    for content in contents.into_iter().filter(|c| !c.parts.is_empty()) {
        match out.last_mut() {
            Some(last) if last.role == content.role => last.parts.extend(content.parts),
            _ => out.push(content),
        }
    }
    out
}

fn declaration(tool: &Tool) -> Result<gemini::FunctionDeclaration<'_>, Error> {
    let raw = if tool.parameters.trim().is_empty() {
        schema::EMPTY_OBJECT
    } else {
        tool.parameters.as_str()
    };
    if let Err(e) = serde_json::from_str::<&RawValue>(raw) {
        return Err(Error::new(
            Kind::InvalidRequest,
            format!(
                "tool '{}' has a parameters schema that is not valid JSON: {e}",
                tool.name
            ),
        ));
    }
    let cleaned = match schema::clean(raw) {
        Cow::Borrowed(s) => serde_json::from_str::<&RawValue>(s).ok().map(Cow::Borrowed),
        Cow::Owned(s) => Some(parts::raw_owned(s)),
    };
    Ok(gemini::FunctionDeclaration {
        name: Cow::Borrowed(&tool.name),
        description: tool.description.as_deref().map(Cow::Borrowed),
        parameters: None,
        parameters_json_schema: cleaned,
    })
}

fn encode_tool_choice(choice: &ToolChoice) -> gemini::ToolConfig<'_> {
    let (mode, allowed) = match choice {
        ToolChoice::Auto => ("AUTO", Vec::new()),
        ToolChoice::None => ("NONE", Vec::new()),
        ToolChoice::Required => ("ANY", Vec::new()),
        ToolChoice::Named(name) => ("ANY", vec![Cow::Borrowed(name.as_str())]),
    };
    gemini::ToolConfig {
        function_calling_config: Some(gemini::FunctionCallingConfig {
            mode: Some(Cow::Borrowed(mode)),
            allowed_function_names: allowed,
        }),
    }
}

fn generation_config<'a>(
    req: &'a Request,
    upstream_model: &str,
) -> Result<Option<gemini::GenerationConfig<'a>>, Error> {
    let s = &req.sampling;
    let (response_mime_type, response_json_schema) = match &req.response_format {
        None => (None, None),
        Some(ResponseFormat::Text) => (Some("text/plain"), None),
        Some(ResponseFormat::JsonObject) => (Some("application/json"), None),
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            let raw = serde_json::from_str::<&RawValue>(schema).map_err(|e| {
                Error::new(
                    Kind::InvalidRequest,
                    format!("the response format's JSON schema is not valid JSON: {e}"),
                )
            })?;
            (Some("application/json"), Some(Cow::Borrowed(raw)))
        }
    };
    let config = gemini::GenerationConfig {
        stop_sequences: s.stop.iter().map(|x| Cow::Borrowed(x.as_str())).collect(),
        response_mime_type: response_mime_type.map(Cow::Borrowed),
        response_schema: None,
        response_json_schema,
        candidate_count: req.n,
        max_output_tokens: s.max_tokens,
        temperature: s.temperature,
        top_p: s.top_p,
        top_k: s.top_k,
        seed: s.seed,
        presence_penalty: s.presence_penalty,
        frequency_penalty: s.frequency_penalty,
        thinking_config: req
            .reasoning
            .as_ref()
            .and_then(|r| thinking_config(r, upstream_model)),
    };
    let empty = config.stop_sequences.is_empty()
        && config.response_mime_type.is_none()
        && config.candidate_count.is_none()
        && config.max_output_tokens.is_none()
        && config.temperature.is_none()
        && config.top_p.is_none()
        && config.top_k.is_none()
        && config.seed.is_none()
        && config.presence_penalty.is_none()
        && config.frequency_penalty.is_none()
        && config.thinking_config.is_none();
    Ok((!empty).then_some(config))
}

/// Reasoning settings as Gemini takes them: `thinkingLevel` for Gemini 3 models (a budget is
/// converted to its level; auto stays a dynamic budget), `thinkingBudget` for older ones (a
/// level is converted to its budget, clamped to 32768). Thoughts are included whenever
/// reasoning is on, unless the client said otherwise.
fn thinking_config<'a>(r: &Reasoning, model: &str) -> Option<gemini::ThinkingConfig<'a>> {
    let level_model = model.to_ascii_lowercase().contains("gemini-3");
    let effort = match (r.effort, r.budget) {
        (Some(e), Some(_)) if level_model => Some(e),
        (_, Some(b)) => Some(Effort::from_budget(b)),
        (Some(e), None) => Some(e),
        (None, None) => None,
    };
    let off = effort == Some(Effort::None);
    let include_thoughts = r.include_thoughts.or(effort.map(|_| !off));
    let mut config = gemini::ThinkingConfig {
        include_thoughts,
        thinking_budget: None,
        thinking_level: None,
    };
    match effort {
        None => {}
        Some(Effort::Auto) => config.thinking_budget = Some(-1),
        Some(level) if level_model => {
            let name = match level {
                // Gemini 3 cannot turn thinking off: the lowest level, thoughts hidden.
                Effort::None | Effort::Low => "low",
                Effort::Minimal => "minimal",
                Effort::Medium => "medium",
                _ => "high",
            };
            config.thinking_level = Some(Cow::Borrowed(name));
        }
        Some(level) => {
            let budget = r.budget.filter(|b| *b >= 0).unwrap_or(level.budget());
            config.thinking_budget = Some(budget.min(MAX_THINKING_BUDGET));
        }
    }
    (config.include_thoughts.is_some()
        || config.thinking_budget.is_some()
        || config.thinking_level.is_some())
    .then_some(config)
}
