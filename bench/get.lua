-- GET one entity by an id drawn at random from BENCH_IDS, at BENCH_PREFIX .. id. The same script
-- drives graphcerts, nginx (the entity files) and json-server.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local ids, prefix, headers

function init(args)
   bench_seed()
   ids = bench_lines(os.getenv("BENCH_IDS"))
   prefix = os.getenv("BENCH_PREFIX")
   headers = bench_headers(false)
end

function request()
   return wrk.format("GET", prefix .. ids[math.random(#ids)], headers)
end
