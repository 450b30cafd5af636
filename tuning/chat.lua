-- wrk script used by tuning/load.sh: POST an OpenAI chat-completions request.
--
-- Environment (set by load.sh):
--   BENCH_BODY    path of a file holding the JSON request body (~500 B); load.sh
--                 writes one per (model, stream) pair, curl's smoke check sends
--                 the very same file
--   BENCH_STREAM  "true" for an SSE request (Accept: text/event-stream)
--   BENCH_KEY     bearer token for Authorization (default "bench-key")
--
-- The request is static: no request()/response() callbacks are defined, so wrk
-- formats it once and replays the same bytes. That keeps wrk's own CPU per
-- request minimal (a response() callback would run Lua for every reply and
-- would make the load generator, not the server, the bottleneck sooner).

local path = os.getenv("BENCH_BODY")
if not path then
  error("BENCH_BODY is not set (run this through tuning/load.sh)")
end
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

local stream = os.getenv("BENCH_STREAM") == "true"

wrk.method = "POST"
wrk.body = body -- wrk.format() adds Content-Length itself
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = stream and "text/event-stream" or "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "bench-key")
wrk.headers["User-Agent"] = "cliproxy-load/1.0"
