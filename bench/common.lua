-- Shared by the bench/*.lua wrk scripts: configuration from the environment, per-thread
-- counting of non-2xx answers (the first one is shown), and one machine-readable summary line
-- for bench/run.sh:
--   BENCH requests=… duration_us=… rps=… p50_us=… p99_us=… mean_us=… non2xx=… sock_errors=…
-- Environment: BENCH_TOKEN (bearer token; empty: no Authorization header), BENCH_IDS (file of
-- ids, one a line), BENCH_PREFIX (path before the id), BENCH_PATH (fixed path), BENCH_NONCE.

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

non2xx = 0
first_bad = ""

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_bad == "" then
         first_bad = status .. " " .. string.gsub(string.sub(body or "", 1, 300), "%s+", " ")
      end
   end
end

function done(summary, latency, requests)
   local bad, sample = 0, ""
   for _, t in ipairs(threads) do
      bad = bad + (t:get("non2xx") or 0)
      if sample == "" then
         sample = t:get("first_bad") or ""
      end
   end
   local e = summary.errors
   local sock = e.connect + e.read + e.write + e.timeout
   local secs = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d mean_us=%.1f non2xx=%d sock_errors=%d\n",
      summary.requests, summary.duration, summary.requests / secs, latency:percentile(50),
      latency:percentile(99), latency.mean, bad, sock))
   if sample ~= "" then
      io.write("BENCHERR first non-2xx answer: " .. sample .. "\n")
   end
end

function bench_headers(json_body)
   local h = {}
   local token = os.getenv("BENCH_TOKEN") or ""
   if token ~= "" then
      h["Authorization"] = "Bearer " .. token
   end
   if json_body then
      h["Content-Type"] = "application/json"
   end
   return h
end

function bench_lines(path)
   local t = {}
   for line in io.lines(path) do
      if #line > 0 then
         t[#t + 1] = line
      end
   end
   assert(#t > 0, "no lines in " .. path)
   return t
end

function bench_seed()
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919 + tonumber(os.getenv("BENCH_NONCE") or "0"))
end
